// A table of hostile inputs against the real server: every JSON body of the candidate and the
// admin API with its string member replaced by NUL, invalid UTF-8, lone surrogates, huge
// numbers, deep nesting and wrong types; whole bodies with a BOM, duplicated members, trailing
// content, wrong content types; query and path parameters out of range; and smuggling-shaped
// heads. Each must be answered with a 4xx application/problem+json carrying a code, and none
// may change the rows of the candidate and the admin it aims at (digest before and after).
// Candidates pick_case(600..609); admin accounts are unique per run.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <pqxx/pqxx>

#include "tests/support/admin_fixture.hpp"

namespace zhiyuan::test {
namespace {

using namespace std::string_literals;

struct hostile_case {
  std::string name;
  std::string bytes;  // the whole request as sent
};

// One request as bytes: `headers` end in CRLF each; Content-Length is the body's unless
// `length` says otherwise.
std::string raw(std::string_view method, std::string_view target, std::string_view headers,
                std::string_view body) {
  std::string r;
  r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  r.append(headers);
  r.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  r.append("Connection: close\r\n\r\n").append(body);
  return r;
}

// A JSON endpoint: its valid body with one string member written as "@" (the slot the
// mutations replace), and the headers it needs besides Content-Type.
struct json_endpoint {
  std::string method, target, headers, body;
};

std::string replace_slot(const std::string& body, const std::string& with) {
  std::string out = body;
  const auto at = out.find("\"@\"");
  if (at != std::string::npos) out.replace(at, 3, with);
  return out;
}

std::string nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// Every member of `body` (an object) written twice.
std::string doubled(const std::string& body) {
  const std::string inner = body.substr(1, body.size() - 2);
  return "{" + inner + "," + inner + "}";
}

void add_json_cases(std::vector<hostile_case>& out, const json_endpoint& e) {
  const std::string json = "Content-Type: application/json\r\n";
  const std::string valid = replace_slot(e.body, "\"x-hostile\"");
  const std::vector<std::pair<std::string, std::string>> slots = {
      {"nul escape", R"("a\u0000b")"},
      {"raw nul", "\"a\0b\""s},
      {"invalid utf-8", "\"\xff\xfe\""},
      {"overlong utf-8", "\"\xc0\xaf\""},
      {"lone surrogate", R"("\ud800")"},
      {"raw control", "\"a\x01\x1f\""},
      {"huge float", "1e999"},
      {"huge integer", "123456789012345678901234567890"},
      {"deep nesting", nested(5000)},
      {"object", "{}"},
      {"bool", "true"},
      {"null", "null"},
  };
  for (const auto& [what, value] : slots) {
    out.push_back({e.method + " " + e.target + ": " + what,
                   raw(e.method, e.target, e.headers + json, replace_slot(e.body, value))});
  }
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"BOM", "\xef\xbb\xbf" + valid},
      {"duplicated members", doubled(valid)},
      {"trailing garbage", valid + "x"},
      {"two documents", valid + valid},
      {"truncated", valid.substr(0, valid.size() - 1)},
      {"array", "[" + valid + "]"},
      {"empty", ""},
  };
  for (const auto& [what, body] : bodies) {
    out.push_back(
        {e.method + " " + e.target + ": " + what, raw(e.method, e.target, e.headers + json, body)});
  }
  const std::vector<std::pair<std::string, std::string>> types = {
      {"text/plain", "Content-Type: text/plain\r\n"},
      {"application/jsonx", "Content-Type: application/jsonx\r\n"},
      {"form", "Content-Type: application/x-www-form-urlencoded\r\n"},
      {"no content type", ""},
  };
  for (const auto& [what, header] : types) {
    out.push_back({e.method + " " + e.target + ": " + what,
                   raw(e.method, e.target, e.headers + header, valid)});
  }
}

// Heads shaped like request smuggling or obsolete syntax: refused, never guessed at.
void add_head_cases(std::vector<hostile_case>& out, const std::string& auth) {
  const std::string start = "PUT /api/v1/me/contact HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
                            "Content-Type: application/json\r\n";
  const std::string body = R"({"phone":"1"})";
  const std::string n = std::to_string(body.size());
  const std::vector<std::pair<std::string, std::string>> heads = {
      {"Content-Length with Transfer-Encoding", "Content-Length: " + n +
                                                    "\r\nTransfer-Encoding: chunked\r\n\r\nd\r\n" +
                                                    body + "\r\n0\r\n\r\n"},
      {"duplicate Content-Length, differing",
       "Content-Length: " + n + "\r\nContent-Length: 3\r\n\r\n" + body},
      {"duplicate Content-Length, equal",
       "Content-Length: " + n + "\r\nContent-Length: " + n + "\r\n\r\n" + body},
      {"Content-Length list", "Content-Length: " + n + ", " + n + "\r\n\r\n" + body},
      {"negative Content-Length", "Content-Length: -1\r\n\r\n" + body},
      {"huge Content-Length", "Content-Length: 99999999999999999999999\r\n\r\n" + body},
      {"Content-Length with sign", "Content-Length: +" + n + "\r\n\r\n" + body},
      {"obsolete line folding", "X-Folded: a\r\n b\r\nContent-Length: " + n + "\r\n\r\n" + body},
      {"folded Content-Length", "Content-Length:\r\n " + n + "\r\n\r\n" + body},
      {"space before colon", "Content-Length : " + n + "\r\n\r\n" + body},
      {"Transfer-Encoding gzip", "Transfer-Encoding: gzip\r\n\r\n" + body},
      {"Transfer-Encoding chunked twice",
       "Transfer-Encoding: chunked, chunked\r\n\r\nd\r\n" + body + "\r\n0\r\n\r\n"},
      {"Transfer-Encoding chunked, identity",
       "Transfer-Encoding: chunked, identity\r\n\r\nd\r\n" + body + "\r\n0\r\n\r\n"},
      {"bad chunk size", "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + body + "\r\n0\r\n\r\n"},
      {"NUL in a header", "X-Nul: a\0b\r\nContent-Length: "s + n + "\r\n\r\n" + body},
      {"bare LF line ends", "Content-Length: " + n + "\n\n" + body},
  };
  for (const auto& [what, rest] : heads) out.push_back({"head: " + what, start + rest});
  out.push_back({"head: request line with two spaces",
                 "GET  /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"});
  out.push_back(
      {"head: HTTP/2.0 in an HTTP/1 line", "GET /api/v1/me HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n"});
  out.push_back({"head: non-ASCII header name",
                 "GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nX-\xe4\xb8\xad: 1\r\n\r\n"});
}

// Paths and queries out of range or malformed.
void add_target_cases(std::vector<hostile_case>& out, const std::string& cand,
                      const std::string& admin) {
  const std::vector<std::pair<std::string, std::string>> candidate_gets = {
      {"/api/v1/plans?batch=%ff", "invalid UTF-8 query"},
      {"/api/v1/plans?batch=undergrad%00", "NUL in query"},
      {"/api/v1/plans?batch=%zz", "bad percent escape"},
      {"/api/v1/plans?page_size=99999999999999999999", "huge page size"},
      {"/api/v1/plans?page_size=-1", "negative page size"},
      {"/api/v1/plans?page_size=1e3", "float page size"},
      {"/api/v1/plans?page_token=%00%01", "control page token"},
      {"/api/v1/plans?page_token=" + std::string(65, 'A'), "long page token"},
      {"/api/v1/plans?track=%e4%b8", "truncated UTF-8 track"},
      {"/api/v1/plans/99999999999999999999999", "huge group id"},
      {"/api/v1/plans/-1", "negative group id"},
      {"/api/v1/plans/0x10", "hex group id"},
      {"/api/v1/applications/undergrad%00", "NUL in batch"},
      {"/api/v1/applications/%ff", "invalid UTF-8 batch"},
      {"/api/v1/scores?college=%ff", "invalid UTF-8 college"},
      {"/api/v1/scores?group=99999999999999999999", "huge group"},
  };
  for (const auto& [target, what] : candidate_gets) {
    out.push_back({"GET " + target + ": " + what, raw("GET", target, cand, "")});
  }
  const std::vector<std::pair<std::string, std::string>> admin_gets = {
      {"/api/v1/admin/audit?from=yesterday", "bad time"},
      {"/api/v1/admin/audit?from=2023-02-30T00:00:00Z", "impossible date"},
      {"/api/v1/admin/audit?actor=0", "zero actor"},
      {"/api/v1/admin/audit?page_token=99999999999999999999", "huge page token"},
      {"/api/v1/admin/audit?unit=%ff", "invalid UTF-8 unit"},
      {"/api/v1/admin/notices?kind=%00", "NUL kind"},
      {"/api/v1/admin/incidents/99999999999999999999", "huge incident id"},
      {"/api/v1/admin/incidents?status=%ff", "invalid UTF-8 status"},
      {"/api/v1/admin/documents/-5", "negative document id"},
      {"/api/v1/admin/users?page_token=9999999999", "page token over int32"},
  };
  for (const auto& [target, what] : admin_gets) {
    out.push_back({"GET " + target + ": " + what, raw("GET", target, admin, "")});
  }
  const std::string json = "Content-Type: application/json\r\n";
  out.push_back({"If-Match garbage", raw("PUT", "/api/v1/drafts/undergrad",
                                         cand + json + "If-Match: \"abc\"\r\n", "{}")});
  out.push_back({"If-Match negative", raw("PUT", "/api/v1/drafts/undergrad",
                                          cand + json + "If-Match: \"-1\"\r\n", "{}")});
  out.push_back(
      {"If-Match huge", raw("PUT", "/api/v1/drafts/undergrad",
                            cand + json + "If-Match: \"99999999999999999999\"\r\n", "{}")});
  out.push_back({"Idempotency-Key with a control character",
                 raw("POST", "/api/v1/applications/undergrad",
                     cand + json + std::string("Idempotency-Key: a\x01z\r\n"), "{}")});
  out.push_back({"Idempotency-Key too long",
                 raw("POST", "/api/v1/applications/undergrad",
                     cand + json + "Idempotency-Key: " + std::string(300, 'k') + "\r\n", "{}")});
  out.push_back(
      {"Authorization huge",
       raw("GET", "/api/v1/me", "Authorization: Bearer " + std::string(4000, 'A') + "\r\n", "")});
  out.push_back(
      {"Authorization with NUL", raw("GET", "/api/v1/me", "Authorization: Bearer a\0b\r\n"s, "")});
}

// The rows a hostile request could change: the candidate's own state and what the admin owns.
constexpr const char* digest_query = R"~(
SELECT md5(concat_ws('|',
  (SELECT row(c.*)::text FROM candidates c WHERE c.candidate_id = $1),
  (SELECT string_agg(row(a.*)::text, ',' ORDER BY a.batch, a.drill) FROM applications a
    WHERE a.candidate_id = $1),
  (SELECT count(*) FROM application_history h WHERE h.candidate_id = $1),
  (SELECT string_agg(row(d.*)::text, ',' ORDER BY d.batch, d.drill) FROM drafts d
    WHERE d.candidate_id = $1),
  (SELECT string_agg(row(f.*)::text, ',' ORDER BY f.kind, f.target) FROM favorites f
    WHERE f.candidate_id = $1),
  (SELECT string_agg(row(f.*)::text, ',' ORDER BY f.position) FROM favorite_categories f
    WHERE f.candidate_id = $1),
  (SELECT string_agg(row(r.*)::text, ',' ORDER BY r.batch) FROM unfiled_reasons r
    WHERE r.candidate_id = $1),
  (SELECT count(*) FROM notice_reads n WHERE n.candidate_id = $1),
  (SELECT string_agg(row(u.*)::text, ',' ORDER BY u.admin_id) FROM admin_users u
    WHERE u.admin_id = ANY($2::int[]) OR u.username LIKE $3),
  (SELECT count(*) FROM notices n WHERE n.created_by = ANY($2::int[])),
  (SELECT count(*) FROM documents d WHERE d.uploaded_by = ANY($2::int[])),
  (SELECT count(*) FROM incidents i WHERE i.reported_by = ANY($2::int[])),
  (SELECT count(*) FROM incident_events e JOIN incidents i USING (incident_id)
    WHERE i.reported_by = ANY($2::int[])),
  (SELECT count(*) FROM schedule_revisions s WHERE s.changed_by = ANY($2::int[]))))
)~";

class hostile_inputs_test : public admin_server_suite<hostile_inputs_test> {
 protected:
  void TearDown() override {
    if (HasFailure())
      std::fprintf(
          stderr, "--- server output (tail) ---\n%s\n",
          server_->output()
              .substr(server_->output().size() > 20000 ? server_->output().size() - 20000 : 0)
              .c_str());
  }
};

// What a hostile request must get: a 4xx problem naming a code.
std::string judge(const http_reply& r) {
  if (r.status < 400 || r.status > 499) return "status " + std::to_string(r.status);
  if (r.header("content-type").rfind("application/problem+json", 0) != 0) {
    return "content type " + r.header("content-type");
  }
  simdjson::dom::parser p;
  std::string_view code;
  if (p.parse(r.body)["code"].get(code) || code.empty()) return "no code in the body";
  return "";
}

TEST_F(hostile_inputs_test, every_hostile_input_is_a_4xx_problem_and_changes_nothing) {
  pqxx::connection conn(database_url());
  const auto c = pick_case(600);
  std::int64_t candidate_id = 0;
  std::string school, province;
  {
    pqxx::work tx(conn);
    auto r = tx.exec_params1(
        "SELECT c.candidate_id, s.code, (SELECT p.code FROM units p WHERE p.parent_id IS NULL"
        " ORDER BY p.id LIMIT 1) FROM candidates c JOIN units s ON s.id = c.school_id"
        " WHERE c.exam_no = $1",
        c.exam_no);
    tx.commit();
    candidate_id = r[0].as<std::int64_t>();
    school = r[1].as<std::string>();
    province = r[2].as<std::string>();
  }
  const std::string tag = run_unique_tag();
  auto manager = make_admin_account(conn, province, core::admin_role::manager, "hostile.m." + tag);
  auto other = make_admin_account(conn, school, core::admin_role::manager, "hostile.o." + tag);
  admin_login(port(), manager);
  ASSERT_FALSE(manager.token.empty());
  const std::string cand_token = ready_session(port(), c.exam_no);
  ASSERT_FALSE(cand_token.empty());
  // An incident of the manager's, so that its events endpoint has a target.
  auto incident =
      request(port(), "POST", "/api/v1/admin/incidents", bearer(manager.token) + json_header(),
              R"({"category":"network","severity":"low","description":"hostile-table target"})");
  ASSERT_EQ(incident.status, 201u) << incident.body;
  simdjson::dom::parser p;
  const std::int64_t incident_id = p.parse(incident.body)["id"].get_int64().value();
  simdjson::dom::parser cp;
  const std::int64_t group = cp.parse(c.choices).at(0)["group"].get_int64().value();

  const std::string cand = bearer(cand_token), admin = bearer(manager.token);
  const std::string address =
      R"({"province":"湖南省","city":"长沙市","district":"岳麓区","street":"@",)"
      R"("postcode":"410082","recipient":"张三"})";
  const std::vector<json_endpoint> endpoints = {
      {"POST", "/api/v1/auth/login", "", R"({"exam_no":"00000000000000","password":"@"})"},
      {"POST", "/api/v1/me/confirmations", cand, R"({"household":true,"physical_exam":"@"})"},
      {"PUT", "/api/v1/me/contact", cand, R"({"phone":"13800138000","address":)" + address + "}"},
      {"PUT", "/api/v1/favorites/group/" + std::to_string(group), cand, R"({"category":"@"})"},
      {"PUT", "/api/v1/drafts/undergrad", cand + "If-Match: \"0\"\r\n",
       R"({"choices":[{"group":)" + std::to_string(group) +
           R"(,"majors":["@"],"accept_adjustment":true}]})"},
      {"POST", "/api/v1/applications/undergrad", cand + "Idempotency-Key: hostile-" + tag + "\r\n",
       R"({"choices":)" + c.choices + R"(,"save_password":"@"})"},
      {"POST", "/api/v1/admin/auth/login", "", R"({"username":"nobody.hostile","password":"@"})"},
      {"POST", "/api/v1/admin/users", admin,
       R"({"username":"@","unit":")" + school + R"(","role":"viewer"})"},
      {"PATCH", "/api/v1/admin/users/" + std::to_string(other.id), admin,
       R"({"disabled":false,"role":"@"})"},
      {"PUT", "/api/v1/admin/candidates/" + c.exam_no + "/unfiled-reason", admin,
       R"({"batch":"undergrad","reason":"other","note":"@"})"},
      {"POST", "/api/v1/admin/reminders", admin,
       R"({"unit":")" + school + R"(","batch":"undergrad","message":"@"})"},
      {"POST", "/api/v1/admin/notices", admin,
       R"({"unit":")" + school + R"(","title":"t","body":"@"})"},
      {"POST", "/api/v1/admin/incidents", admin,
       R"({"category":"@","severity":"low","description":"d"})"},
      {"POST", "/api/v1/admin/incidents/" + std::to_string(incident_id) + "/events", admin,
       R"({"kind":"comment","comment":"@"})"},
      {"PUT", "/api/v1/admin/schedule", admin + "If-Match: \"0\"\r\n", R"({"windows":"@"})"},
      {"POST", "/api/v1/admin/me/password", admin,
       R"({"current_password":"@","new_password":"Zz9-hostile-long"})"},
      {"POST", "/api/v1/me/passwords", cand,
       R"({"current_password":"@","login_password":"Aa1-hostile-lp","save_password":"Bb2-hostile-sp"})"},
  };
  std::vector<hostile_case> cases;
  for (const auto& e : endpoints) add_json_cases(cases, e);
  add_target_cases(cases, cand, admin);
  add_head_cases(cases, cand);

  const std::string admins =
      "{" + std::to_string(manager.id) + "," + std::to_string(other.id) + "}";
  auto digest = [&] {
    pqxx::work tx(conn);
    auto d = tx.exec_params1(digest_query, candidate_id, admins, "%.hostile%")[0].as<std::string>();
    tx.commit();
    return d;
  };
  std::string before = digest();
  int refused = 0, server_errors = 0;
  for (const auto& hc : cases) {
    raw_connection rc(port());
    rc.send(hc.bytes);
    auto r = rc.read_reply();
    if (!r) {
      ADD_FAILURE() << hc.name << ": no answer (" << rc.last_error().message() << ")";
      continue;
    }
    if (r->status >= 500) ++server_errors;
    const std::string why = judge(*r);
    EXPECT_EQ(why, "") << hc.name << "\n" << r->status << " " << r->body;
    if (why.empty()) ++refused;
    const std::string after = digest();
    EXPECT_EQ(after, before) << hc.name << " changed the database: " << r->body;
    before = after;  // each change reported once
  }
  std::printf("hostile_inputs: %zu cases, %d refused with a 4xx problem, %d answered 5xx\n",
              cases.size(), refused, server_errors);
  EXPECT_GE(cases.size(), 100u);
  EXPECT_EQ(server_errors, 0);
  // The sessions still work: nothing hostile signed anyone out.
  EXPECT_EQ(request(port(), "GET", "/api/v1/me", cand).status, 200u);
  EXPECT_EQ(request(port(), "GET", "/api/v1/admin/me", admin).status, 200u);
}

}  // namespace
}  // namespace zhiyuan::test
