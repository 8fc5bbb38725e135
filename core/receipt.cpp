#include "core/receipt.hpp"

namespace zhiyuan::core {

std::string receipt_head(const receipt_fields& r) {
  std::string out = "zhiyuan-receipt-v1\nexam_no=";
  out += r.exam_no;
  out += "\nbatch=";
  out += to_code(r.b);
  out += "\ndrill=";
  out += r.drill ? '1' : '0';
  out += "\naccepted_at=";
  out += r.accepted_at;
  out += "\nchoices_sha256=";
  out += r.choices_sha256;
  out += '\n';
  return out;
}

std::string receipt_tail(std::int64_t version, std::string_view prev_hash) {
  std::string out = "version=";
  out += std::to_string(version);
  out += "\nprev=";
  out += prev_hash;
  out += '\n';
  return out;
}

std::string canonical_receipt(const receipt_fields& r) {
  return receipt_head(r) + receipt_tail(r.version, r.prev_hash);
}

}  // namespace zhiyuan::core
