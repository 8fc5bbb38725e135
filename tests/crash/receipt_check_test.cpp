// The submitter holds a receipt only when it answers the submission sent: the crash drills fail
// (zhiyuan-submitter exits 3) when the server answers with another candidate's, batch's or
// form's receipt. tests/crash/receipt_mismatch_test.sh runs the same against a real server.

#include "tests/crash/receipt_check.hpp"

#include <gtest/gtest.h>

#include <string>

namespace zhiyuan::crash {
namespace {

const std::string digest_a(64, 'a');
const std::string digest_b(64, 'b');
const std::string hash(64, 'c');

std::string receipt(std::string_view exam_no, std::string_view batch, std::string_view digest) {
  return "{\"exam_no\":\"" + std::string(exam_no) + "\",\"batch\":\"" + std::string(batch) +
         "\",\"version\":3,\"choices_sha256\":\"" + std::string(digest) + "\",\"receipt_hash\":\"" +
         hash + "\",\"accepted_at\":\"2023-06-30T04:00:00.000000Z\"}";
}

const sent_submission sent{"23010100100001", "undergrad", digest_a, "23010100100001-r1"};

TEST(receipt_check, a_receipt_of_the_form_sent_is_held) {
  const auto r = check_receipt(receipt("23010100100001", "undergrad", digest_a), sent);
  ASSERT_EQ(r.verdict, receipt_verdict::held) << r.problem;
  EXPECT_EQ(r.receipt.exam_no, "23010100100001");
  EXPECT_EQ(r.receipt.b, core::batch::undergrad);
  EXPECT_EQ(r.receipt.version, 3);
  EXPECT_EQ(r.receipt.receipt_hash, hash);
  EXPECT_EQ(r.receipt.key, "23010100100001-r1");
}

TEST(receipt_check, a_receipt_of_another_form_candidate_or_batch_is_not_held) {
  for (const auto& body : {receipt("23010100100001", "undergrad", digest_b),
                           receipt("23010100100002", "undergrad", digest_a),
                           receipt("23010100100001", "early_undergrad", digest_a)}) {
    const auto r = check_receipt(body, sent);
    EXPECT_EQ(r.verdict, receipt_verdict::mismatch) << body;
    EXPECT_NE(r.problem.find(sent.key), std::string::npos) << r.problem;
  }
}

TEST(receipt_check, what_is_not_a_receipt_is_not_held) {
  for (const std::string& body :
       {std::string("{}"), std::string("not json"),
        std::string("{\"exam_no\":\"23010100100001\",\"batch\":\"undergrad\"}"),
        receipt("23010100100001", "no_such_batch", digest_a)}) {
    EXPECT_EQ(check_receipt(body, sent).verdict, receipt_verdict::unparsable) << body;
  }
}

}  // namespace
}  // namespace zhiyuan::crash
