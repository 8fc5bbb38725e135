// An office's unfiled reason (上线未填报原因) checked against the facts: refused with
// already_submitted for a batch the candidate has submitted and with not_eligible for a batch
// the candidate is not eligible for, nothing recorded; accepted for an eligible candidate who
// has not filed. Candidates pick_case(610..619); admin accounts are unique per run.
#include <gtest/gtest.h>

#include <chrono>
#include <pqxx/pqxx>

#include "core/batch.hpp"
#include "storage/encoding.hpp"
#include "tests/support/admin_fixture.hpp"

namespace zhiyuan::test {
namespace {

class unfiled_reason_facts_test : public admin_server_suite<unfiled_reason_facts_test> {};

std::int64_t count(pqxx::connection& conn, const std::string& exam_no) {
  pqxx::work tx(conn);
  const auto n = tx.exec_params1(
                       "SELECT count(*) FROM unfiled_reasons r JOIN candidates c USING"
                       " (candidate_id) WHERE c.exam_no = $1",
                       exam_no)[0]
                     .as<std::int64_t>();
  tx.commit();
  return n;
}

TEST_F(unfiled_reason_facts_test, reasons_are_refused_for_submitted_and_ineligible_batches) {
  pqxx::connection conn(database_url());
  const auto submitted = pick_case(610);
  const auto unfiled = pick_case(611);
  std::string province;
  {
    pqxx::work tx(conn);
    province = tx.exec1("SELECT code FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1")[0]
                   .as<std::string>();
    tx.commit();
  }
  const std::string tag = run_unique_tag();
  auto op = make_admin_account(conn, province, core::admin_role::operator_, "facts.op." + tag);
  const std::string admin = bearer(admin_login(port(), op)) + json_header();
  auto reason = [&](const std::string& exam_no, std::string_view batch) {
    return request(port(), "PUT", "/api/v1/admin/candidates/" + exam_no + "/unfiled-reason", admin,
                   R"({"batch":")" + std::string(batch) + R"(","reason":"abandon"})");
  };

  // A candidate who has submitted 本科批: a reason for not filing it is refused.
  const std::string token = ready_session(port(), submitted.exam_no);
  auto sent =
      request(port(), "POST", "/api/v1/applications/undergrad",
              bearer(token) + json_header() + "Idempotency-Key: " + unique_key("facts") + "\r\n",
              submitted.body);
  ASSERT_EQ(sent.status, 201u) << sent.body;
  const auto before = count(conn, submitted.exam_no);
  auto refused = reason(submitted.exam_no, "undergrad");
  EXPECT_EQ(refused.status, 409u) << refused.body;
  EXPECT_NE(refused.body.find("\"already_submitted\""), std::string::npos) << refused.body;
  EXPECT_EQ(count(conn, submitted.exam_no), before);

  // A batch a candidate is not eligible for (a candidate who is not eligible for every batch;
  // nothing is written for it).
  std::string stranger;
  std::int16_t eligible = 0;
  {
    pqxx::work tx(conn);
    const auto r = tx.exec1(
        "SELECT exam_no, eligible FROM candidates WHERE eligible & 15 <> 15"
        " ORDER BY candidate_id LIMIT 1");
    tx.commit();
    stranger = r[0].as<std::string>();
    eligible = r[1].as<std::int16_t>();
  }
  std::string_view outside;
  for (const auto b : core::all_batches) {
    if ((eligible & (1 << storage::encode_batch(b))) == 0) outside = core::to_code(b);
  }
  ASSERT_FALSE(outside.empty());
  const auto none = count(conn, stranger);
  auto ineligible = reason(stranger, outside);
  EXPECT_EQ(ineligible.status, 422u) << ineligible.body;
  EXPECT_NE(ineligible.body.find("\"not_eligible\""), std::string::npos) << ineligible.body;
  EXPECT_EQ(ineligible.header("content-type"), "application/problem+json");
  EXPECT_EQ(count(conn, stranger), none);

  // Eligible and not filed: recorded, and shown to the office.
  const auto before_ok = count(conn, unfiled.exam_no);
  auto ok = reason(unfiled.exam_no, "undergrad");
  EXPECT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(count(conn, unfiled.exam_no), before_ok == 0 ? 1 : before_ok);
  auto seen = request(port(), "GET", "/api/v1/admin/candidates/" + unfiled.exam_no, admin);
  EXPECT_NE(seen.body.find(R"("status":"not_filed")"), std::string::npos) << seen.body;
  EXPECT_NE(seen.body.find(R"("unfiled_reason":"abandon")"), std::string::npos) << seen.body;
}

}  // namespace
}  // namespace zhiyuan::test
