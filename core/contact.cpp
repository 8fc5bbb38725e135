#include "core/contact.hpp"

#include "core/text.hpp"

namespace zhiyuan::core {
namespace {

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

void check_text(std::vector<field_problem>& out, const char* field, std::string_view v,
                std::size_t max_bytes) {
  if (v.empty()) {
    out.push_back({field, "required"});
  } else if (v.size() > max_bytes) {
    out.push_back({field, "at most " + std::to_string(max_bytes) + " bytes"});
  } else if (!clean_text(v)) {
    out.push_back({field, "must be UTF-8 text without control characters"});
  }
}

}  // namespace

std::vector<field_problem> check_contact(const contact_details& c) {
  std::vector<field_problem> out;
  const std::string_view p = c.phone;
  if (p.size() != 11 || !all_digits(p) || p[0] != '1' || p[1] < '3') {
    out.push_back({"phone", "a mainland mobile number: 11 digits starting 13-19"});
  }
  const postal_address& a = c.address;
  check_text(out, "address.province", a.province, 64);
  check_text(out, "address.city", a.city, 64);
  check_text(out, "address.district", a.district, 64);
  check_text(out, "address.street", a.street, 200);
  if (a.postcode.size() != 6 || !all_digits(a.postcode)) {
    out.push_back({"address.postcode", "6 digits"});
  }
  check_text(out, "address.recipient", a.recipient, 64);
  return out;
}

}  // namespace zhiyuan::core
