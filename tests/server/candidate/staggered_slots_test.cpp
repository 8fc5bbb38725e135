// Staggered filing windows (分时段填报, issue 21) through the server: with a slot naming the
// candidate's city in 本科批's formal window, a submission before the slot opens is refused with
// 403 window_closed and the slot's times, a draft is saved all the same, and inside the slot the
// submission is accepted. Candidates pick_case(720..729).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>

#include "core/time.hpp"
#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

constexpr const char* slot_open = "2023-07-01T08:00:00+08:00";
constexpr const char* slot_close = "2023-07-02T12:00:00+08:00";

// The shipped timetable plus one slot of 本科批 for the candidates of `city`; its file name.
std::string schedule_with_slot(const std::string& city) {
  std::ifstream in(ZHIYUAN_SOURCE_DIR "/config/schedule.toml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text += "\n[[batches.undergrad.slots]]\nopen = \"" + std::string(slot_open) + "\"\nclose = \"" +
          slot_close + "\"\ncities = [\"" + city + "\"]\n";
  const auto path = std::filesystem::path(ZHIYUAN_TEST_VAR_DIR) /
                    ("schedule-slots-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << text;
  return path.string();
}

std::string city_of(const std::string& exam_no) {
  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  return tx
      .exec_params1(
          "SELECT u.code FROM candidates c JOIN units u ON u.id = c.city_id WHERE c.exam_no = $1",
          exam_no)[0]
      .as<std::string>();
}

// The candidate's current 本科批 draft version ("0" when none), for If-Match.
std::string draft_version(const std::string& exam_no) {
  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  const auto version = tx.exec_params1(
                             "SELECT coalesce(max(d.version), 0) FROM drafts d JOIN candidates c"
                             " USING (candidate_id) WHERE c.exam_no = $1 AND d.batch = 1"
                             " AND NOT d.drill",
                             exam_no)[0]
                           .as<std::int64_t>();
  // Built piece by piece: GCC 12 warns (-Wrestrict, wrongly) on "\"" + to_string(...).
  std::string quoted = "\"";
  quoted += std::to_string(version);
  quoted += '"';
  return quoted;
}

http_reply submit(std::uint16_t port, const std::string& token, const std::string& key,
                  const std::string& body) {
  return request(port, "POST", "/api/v1/applications/undergrad",
                 bearer(token) + json_header() + "Idempotency-Key: " + key + "\r\n", body);
}

TEST(staggered_slots, a_submission_outside_the_slot_is_refused_with_its_times) {
  const auto c = pick_case(720);
  const std::string file = schedule_with_slot(city_of(c.exam_no));
  std::vector<std::string> slot_args = {"--filing.schedule_file", file};
  const std::string key = "slot-" + std::to_string(::getpid()) + "-";
  {
    // 2023-06-30 10:00: 本科批 is open, the candidate's slot is not yet.
    server_process before(server_args(offset_to(formal_open_instant), slot_args));
    const std::string token = ready_session(before.port(), c.exam_no);
    const auto refused = submit(before.port(), token, key + "1", c.body);
    EXPECT_EQ(refused.status, 403u) << refused.body;
    EXPECT_NE(refused.body.find("\"code\":\"window_closed\""), std::string::npos) << refused.body;
    EXPECT_NE(refused.body.find("outside_slot_window"), std::string::npos) << refused.body;
    const auto open = core::format_rfc3339(*core::parse_rfc3339(slot_open));
    const auto close = core::format_rfc3339(*core::parse_rfc3339(slot_close));
    EXPECT_NE(refused.body.find(R"("slot":{"open":")" + open + R"(","close":")" + close),
              std::string::npos)
        << refused.body;
    // Drafts are not staggered.
    const auto draft =
        request(before.port(), "PUT", "/api/v1/drafts/undergrad",
                bearer(token) + json_header() + "If-Match: " + draft_version(c.exam_no) + "\r\n",
                R"({"choices":)" + c.choices + "}");
    EXPECT_EQ(draft.status, 200u) << draft.body;
  }
  {
    // 2023-07-01 10:00: inside the slot.
    server_process inside(server_args(offset_to("2023-07-01T10:00:00+08:00"), slot_args));
    const std::string token = ready_session(inside.port(), c.exam_no);
    const auto accepted = submit(inside.port(), token, key + "2", c.body);
    EXPECT_LT(accepted.status, 300u) << accepted.body;
  }
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace zhiyuan::test
