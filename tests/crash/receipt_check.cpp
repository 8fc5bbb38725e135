#include "tests/crash/receipt_check.hpp"

#include <cstdint>

#include <fmt/format.h>
#include <simdjson.h>

namespace zhiyuan::crash {

receipt_check check_receipt(std::string_view body, const sent_submission& sent) {
  receipt_check out;
  simdjson::padded_string json(body);
  // One parser per thread, reused: a new one allocates its buffers for every receipt, a cost the
  // load generator would steal from what it measures. Views into it do not outlive this call.
  thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::string_view exam_no, batch, digest, receipt_hash;
  std::int64_t version = 0;
  const bool parsed = !parser.iterate(json).get(doc) && !doc["exam_no"].get_string().get(exam_no) &&
                      !doc["batch"].get_string().get(batch) &&
                      !doc["version"].get_int64().get(version) &&
                      !doc["choices_sha256"].get_string().get(digest) &&
                      !doc["receipt_hash"].get_string().get(receipt_hash);
  const auto b = parsed ? core::parse_batch(batch) : std::nullopt;
  if (!b) {
    out.problem = fmt::format("unparsable receipt for {}: {}", sent.key, body.substr(0, 400));
    return out;
  }
  if (exam_no != sent.exam_no || batch != sent.batch || digest != sent.choices_sha256) {
    out.verdict = receipt_verdict::mismatch;
    out.problem = fmt::format(
        "receipt for {} does not match the request: exam_no {} batch {} choices_sha256 {} "
        "(sent {} {} {})",
        sent.key, exam_no, batch, digest, sent.exam_no, sent.batch, sent.choices_sha256);
    return out;
  }
  out.verdict = receipt_verdict::held;
  out.receipt = {std::string(exam_no), *b, version, std::string(receipt_hash),
                 std::string(sent.key)};
  return out;
}

}  // namespace zhiyuan::crash
