#include "core/receipt.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::core {
namespace {

receipt_fields sample() {
  return {.exam_no = "23430101000001",
          .b = batch::undergrad,
          .drill = false,
          .accepted_at = "2023-07-02T08:59:59.123456Z",
          .choices_sha256 = "ab",
          .version = 3,
          .prev_hash = "cd"};
}

TEST(receipt, canonical_form_is_the_documented_lines) {
  EXPECT_EQ(canonical_receipt(sample()),
            "zhiyuan-receipt-v1\nexam_no=23430101000001\nbatch=undergrad\ndrill=0\n"
            "accepted_at=2023-07-02T08:59:59.123456Z\nchoices_sha256=ab\nversion=3\nprev=cd\n");
}

TEST(receipt, head_and_tail_make_the_whole) {
  auto r = sample();
  EXPECT_EQ(receipt_head(r) + receipt_tail(r.version, r.prev_hash), canonical_receipt(r));
  r.version = 1;
  r.prev_hash = "";
  EXPECT_EQ(receipt_tail(1, ""), "version=1\nprev=\n");
}

TEST(receipt, every_field_changes_the_bytes) {
  const std::string base = canonical_receipt(sample());
  auto r = sample();
  r.exam_no = "23430101000002";
  EXPECT_NE(canonical_receipt(r), base);
  r = sample();
  r.b = batch::vocational;
  EXPECT_NE(canonical_receipt(r), base);
  r = sample();
  r.drill = true;
  EXPECT_NE(canonical_receipt(r), base);
  r = sample();
  r.accepted_at = "2023-07-02T08:59:59.123457Z";
  EXPECT_NE(canonical_receipt(r), base);
  r = sample();
  r.choices_sha256 = "ac";
  EXPECT_NE(canonical_receipt(r), base);
  r = sample();
  r.version = 4;
  EXPECT_NE(canonical_receipt(r), base);
  r = sample();
  r.prev_hash = "ce";
  EXPECT_NE(canonical_receipt(r), base);
}

}  // namespace
}  // namespace zhiyuan::core
