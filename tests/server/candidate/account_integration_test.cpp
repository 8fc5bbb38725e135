// The candidate's account through HTTP, and the candidate's whole journey: first sign-in,
// passwords, pledge, confirmations, browsing, favourites, draft, submission, re-login and an
// offline check of the signed receipt. Candidates pick_case(100..199).
#include <sodium.h>

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>

#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

// Instants of config/schedule.toml (2023): assisted filing, confirmations still open; then the
// formal window of 本科批 (confirmations closed).
constexpr const char* assisted_instant = "2023-06-24T10:00:00+08:00";

simdjson::dom::element parse(simdjson::dom::parser& p, const std::string& body) {
  return p.parse(body);
}

http_reply post_json(std::uint16_t port, const std::string& path, const std::string& token,
                     const std::string& body) {
  return request(port, "POST", path, bearer(token) + json_header(), body);
}

http_reply get(std::uint16_t port, const std::string& path, const std::string& token) {
  return request(port, "GET", path, bearer(token), "");
}

std::string passwords_body(const std::string& current, const std::string& login,
                           const std::string& save) {
  return R"({"current_password":")" + current + R"(","login_password":")" + login +
         R"(","save_password":")" + save + "\"}";
}

std::string contact_body(const std::string& postcode) {
  return R"({"phone":"13812345678","address":{"province":"湖南省","city":"长沙市",)"
         R"("district":"岳麓区","street":"麓山南路 2 号","postcode":")" +
         postcode + R"(","recipient":"张三"}})";
}

std::string decode64(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return "";
  }
  out.resize(len);
  return out;
}

// What an auditor does with a receipt and the published key, offline: rebuild nothing from
// the server's word but the receipt itself.
void expect_receipt_verifies(simdjson::dom::element receipt, const std::string& public_key64,
                             const std::string& exam_no, const std::string& canonical_choices) {
  const std::string canonical{std::string_view(receipt["canonical"])};
  const std::string expected_text =
      "zhiyuan-receipt-v1\nexam_no=" + exam_no + "\nbatch=undergrad\ndrill=0\naccepted_at=" +
      std::string(std::string_view(receipt["accepted_at"])) +
      "\nchoices_sha256=" + sha256_hex(canonical_choices) +
      "\nversion=" + std::to_string(std::int64_t(receipt["version"])) + "\nprev=" +
      (receipt["prev_hash"].is_null() ? std::string()
                                      : std::string(std::string_view(receipt["prev_hash"]))) +
      "\n";
  EXPECT_EQ(canonical, expected_text);
  EXPECT_EQ(std::string_view(receipt["receipt_hash"]), sha256_hex(canonical));
  const std::string sig = decode64(std::string_view(receipt["signature"]));
  const std::string pk = decode64(public_key64);
  ASSERT_EQ(sig.size(), crypto_sign_BYTES);
  ASSERT_EQ(pk.size(), crypto_sign_PUBLICKEYBYTES);
  EXPECT_EQ(crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                        reinterpret_cast<const unsigned char*>(canonical.data()),
                                        canonical.size(),
                                        reinterpret_cast<const unsigned char*>(pk.data())),
            0);
  std::string forged = canonical;
  forged[forged.find("version=") + 8] ^= 1;
  EXPECT_NE(
      crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                  reinterpret_cast<const unsigned char*>(forged.data()),
                                  forged.size(), reinterpret_cast<const unsigned char*>(pk.data())),
      0);
}

class account_test : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && server_) {
      std::fprintf(stderr, "--- server output ---\n%s\n", server_->output().c_str());
    }
  }
  std::uint16_t start(const char* instant, std::vector<std::string> extra = {}) {
    server_.reset();
    server_ = std::make_unique<server_process>(server_args(offset_to(instant), std::move(extra)));
    return server_->port();
  }
  std::unique_ptr<server_process> server_;
};

TEST_F(account_test, candidate_journey_from_first_login_to_a_verified_receipt) {
  const auto c = pick_case(100);
  reset_to_first_login(c.exam_no);
  const std::string first_pw = loadtest::synthetic_login_password(c.exam_no);
  const std::string login_pw = "Journey-Login-7";
  const std::string save_pw = "Journey-Save-8";
  simdjson::dom::parser p;

  // --- Assisted filing: set up the account, browse, keep favourites.
  std::uint16_t port = start(assisted_instant);
  auto r = request(port, "POST", "/api/v1/auth/login", json_header(),
                   R"({"exam_no":")" + c.exam_no + R"(","password":")" + first_pw + "\"}");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_TRUE(bool(parse(p, r.body)["must_set_passwords"]));
  EXPECT_TRUE(bool(parse(p, r.body)["pledge_required"]));
  EXPECT_NE(r.header("set-cookie").find("HttpOnly"), std::string::npos);
  EXPECT_NE(r.header("set-cookie").find("SameSite=Strict"), std::string::npos);
  std::string token(std::string_view(parse(p, r.body)["token"]));

  // Nothing may be written before the passwords and the pledge.
  r = post_json(port, "/api/v1/me/pledge", token, "");
  EXPECT_EQ(r.status, 403u);
  EXPECT_NE(r.body.find("passwords_required"), std::string::npos) << r.body;
  r = request(port, "PUT", "/api/v1/me/contact", bearer(token) + json_header(),
              contact_body("410082"));
  EXPECT_EQ(r.status, 403u);
  EXPECT_NE(r.body.find("passwords_required"), std::string::npos) << r.body;

  // Password rules, each refusal naming the field.
  r = post_json(port, "/api/v1/me/passwords", token, passwords_body(first_pw, "short1", save_pw));
  EXPECT_EQ(r.status, 422u);
  EXPECT_NE(r.body.find("\"login_password\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("too_short"), std::string::npos) << r.body;
  r = post_json(port, "/api/v1/me/passwords", token, passwords_body(first_pw, login_pw, login_pw));
  EXPECT_EQ(r.status, 422u);
  EXPECT_NE(r.body.find("same_as_other"), std::string::npos) << r.body;
  r = post_json(port, "/api/v1/me/passwords", token,
                passwords_body("Wrong-Current-1", login_pw, save_pw));
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("current_password"), std::string::npos) << r.body;
  r = post_json(port, "/api/v1/me/passwords", token, R"({"current_password":"x"})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("login_password"), std::string::npos) << r.body;
  // A second session (another device, or someone who knew the first password) ...
  const std::string other_session = login(port, c.exam_no);
  r = post_json(port, "/api/v1/me/passwords", token, passwords_body(first_pw, login_pw, save_pw));
  ASSERT_EQ(r.status, 200u) << r.body;
  // ... ends with the password change; this one goes on.
  EXPECT_EQ(get(port, "/api/v1/me", other_session).status, 401u);
  EXPECT_EQ(get(port, "/api/v1/me", token).status, 200u);

  // The pledge, once; its time sticks.
  r = request(port, "PUT", "/api/v1/me/contact", bearer(token) + json_header(),
              contact_body("410082"));
  EXPECT_EQ(r.status, 403u);
  EXPECT_NE(r.body.find("pledge_required"), std::string::npos) << r.body;
  r = post_json(port, "/api/v1/me/pledge", token, "");
  ASSERT_EQ(r.status, 200u) << r.body;
  const std::string pledged_at(std::string_view(parse(p, r.body)["pledged_at"]));
  r = post_json(port, "/api/v1/me/pledge", token, "");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(std::string_view(parse(p, r.body)["pledged_at"]), pledged_at);

  // Confirmations and contact.
  r = post_json(port, "/api/v1/me/confirmations", token, R"({"household":true})");
  EXPECT_EQ(r.status, 200u) << r.body;
  r = post_json(port, "/api/v1/me/confirmations", token, R"({"physical_exam":true})");
  EXPECT_EQ(r.status, 200u) << r.body;
  r = post_json(port, "/api/v1/me/confirmations", token, R"({"household":false})");
  EXPECT_EQ(r.status, 400u);
  r = post_json(port, "/api/v1/me/confirmations", token, "{}");
  EXPECT_EQ(r.status, 400u);
  r = post_json(port, "/api/v1/me/confirmations", token, R"({"marriage":true})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("marriage"), std::string::npos) << r.body;
  r = request(port, "PUT", "/api/v1/me/contact", bearer(token) + json_header(),
              contact_body("4100"));
  EXPECT_EQ(r.status, 422u);
  EXPECT_NE(r.body.find("address.postcode"), std::string::npos) << r.body;
  r = request(port, "PUT", "/api/v1/me/contact", bearer(token) + json_header(),
              contact_body("410082"));
  EXPECT_EQ(r.status, 200u) << r.body;

  r = get(port, "/api/v1/me", token);
  ASSERT_EQ(r.status, 200u) << r.body;
  {
    auto me = parse(p, r.body);
    EXPECT_EQ(std::string_view(me["exam_no"]), c.exam_no);
    EXPECT_NE(std::string_view(me["id_number"]).find("**********"), std::string_view::npos);
    EXPECT_FALSE(bool(me["must_set_passwords"]));
    EXPECT_FALSE(me["confirmations"]["household"].is_null());
    EXPECT_FALSE(me["confirmations"]["physical_exam"].is_null());
    EXPECT_GE(std::int64_t(me["unread_notices"]), 0);
    EXPECT_EQ(std::string_view(me["contact"]["phone"]), "138****5678");
    EXPECT_EQ(std::string_view(me["contact"]["address"]["postcode"]), "410082");
    for (auto b : me["batches"]) {
      if (std::string_view(b["batch"]) == "undergrad") {
        EXPECT_TRUE(bool(b["eligible"]));
        EXPECT_EQ(std::string_view(b["phase"]), "assisted");
      }
    }
  }

  // Browsing and favourites are open in assisted filing; a group from the valid form.
  r = get(port, "/api/v1/plans?batch=undergrad", token);
  EXPECT_EQ(r.status, 200u) << r.body;
  const auto form = parse(p, c.body)["choices"];
  const std::int64_t first_group = form.at(0)["group"];
  r = request(port, "PUT", "/api/v1/favorites/group/" + std::to_string(first_group),
              bearer(token) + json_header(), R"({"category":"冲"})");
  EXPECT_EQ(r.status, 200u) << r.body;
  // ... but not drafts.
  r = request(port, "PUT", "/api/v1/drafts/undergrad",
              bearer(token) + json_header() + "If-Match: \"0\"\r\n",
              R"({"choices":)" + c.choices + "}");
  EXPECT_EQ(r.status, 403u) << r.body;

  // --- Formal filing (a new server day): the old password is gone, the new one signs in.
  port = start(formal_open_instant);
  r = request(port, "POST", "/api/v1/auth/login", json_header(),
              R"({"exam_no":")" + c.exam_no + R"(","password":")" + first_pw + "\"}");
  EXPECT_EQ(r.status, 401u);
  r = request(port, "POST", "/api/v1/auth/login", json_header(),
              R"({"exam_no":")" + c.exam_no + R"(","password":")" + login_pw + "\"}");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_FALSE(bool(parse(p, r.body)["must_set_passwords"]));
  EXPECT_FALSE(bool(parse(p, r.body)["pledge_required"]));
  token = std::string(std::string_view(parse(p, r.body)["token"]));

  r = post_json(port, "/api/v1/me/confirmations", token, R"({"household":true})");
  EXPECT_EQ(r.status, 403u);
  EXPECT_NE(r.body.find("confirmation_closed"), std::string::npos) << r.body;

  r = request(port, "PUT", "/api/v1/drafts/undergrad",
              bearer(token) + json_header() + "If-Match: \"0\"\r\n",
              R"({"choices":)" + c.choices + "}");
  EXPECT_EQ(r.status, 200u) << r.body;
  // The candidate's own pages are never kept by a browser or a shared cache.
  r = get(port, "/api/v1/drafts/undergrad", token);
  EXPECT_EQ(r.header("cache-control"), "private, no-store");
  EXPECT_EQ(r.header("vary"), "Authorization, Cookie");

  // An Idempotency-Key is required before anything else.
  r = post_json(port, "/api/v1/applications/undergrad", token,
                R"({"choices":)" + c.choices + R"(,"save_password":")" + save_pw + "\"}");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("idempotency_key_required"), std::string::npos) << r.body;
  auto submit = [&](const std::string& pw) {
    return request(
        port, "POST", "/api/v1/applications/undergrad",
        bearer(token) + json_header() + "Idempotency-Key: " + unique_key("journey") + "\r\n",
        R"({"choices":)" + c.choices + R"(,"save_password":")" + pw + "\"}");
  };
  r = submit("Wrong-Save-99");
  EXPECT_EQ(r.status, 403u);
  EXPECT_NE(r.body.find("wrong_save_password"), std::string::npos) << r.body;
  r = submit(loadtest::synthetic_save_password(c.exam_no));  // the old save password is gone
  EXPECT_EQ(r.status, 403u);
  auto first = submit(save_pw);
  ASSERT_EQ(first.status, 201u) << first.body;
  auto second = submit(save_pw);  // remembered by the session: no second hash
  ASSERT_EQ(second.status, 201u) << second.body;
  r = submit("Wrong-Save-99");  // the memo never accepts another password
  EXPECT_EQ(r.status, 403u);

  auto key = request(port, "GET", "/api/v1/receipts/public-key", "", "");
  ASSERT_EQ(key.status, 200u) << key.body;
  const std::string public_key(std::string_view(parse(p, key.body)["public_key"]));
  simdjson::dom::parser p1, p2;
  const simdjson::dom::element r1 = p1.parse(first.body);
  const simdjson::dom::element r2 = p2.parse(second.body);
  expect_receipt_verifies(r1, public_key, c.exam_no, c.canonical);
  expect_receipt_verifies(r2, public_key, c.exam_no, c.canonical);
  EXPECT_EQ(std::int64_t(r2["version"]), std::int64_t(r1["version"]) + 1);
  EXPECT_EQ(std::string_view(r2["prev_hash"]), std::string_view(r1["receipt_hash"]));

  // The database holds the same chain.
  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  auto row = tx.exec_params(
      "SELECT encode(a.digest, 'hex'), encode(a.prev_hash, 'hex') FROM applications a"
      " JOIN candidates c USING (candidate_id) WHERE c.exam_no = $1 AND a.batch = 1"
      " AND NOT a.drill",
      c.exam_no);
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0].as<std::string>(), std::string(std::string_view(r2["receipt_hash"])));
  EXPECT_EQ(row[0][1].as<std::string>(), std::string(std::string_view(r1["receipt_hash"])));

  r = get(port, "/api/v1/me", token);
  ASSERT_EQ(r.status, 200u);
  for (auto b : parse(p, r.body)["batches"]) {
    if (std::string_view(b["batch"]) == "undergrad") {
      EXPECT_EQ(std::string_view(b["status"]), "submitted");
      EXPECT_EQ(std::int64_t(b["submitted_version"]), std::int64_t(r2["version"]));
    }
  }

  r = get(port, "/api/v1/me/logins", token);
  ASSERT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("\"bad_password\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"ok\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"ip\":\"127.0.0.1\""), std::string::npos) << r.body;

  r = post_json(port, "/api/v1/auth/logout", token, "");
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(get(port, "/api/v1/me", token).status, 401u);
}

TEST_F(account_test, sessions_survive_a_restart_and_logout_is_durable) {
  const auto a = pick_case(101);
  const auto b = pick_case(102);
  std::uint16_t port = start(formal_open_instant);
  const std::string kept = ready_session(port, a.exam_no);
  const std::string revoked = login(port, b.exam_no);
  ASSERT_EQ(post_json(port, "/api/v1/auth/logout", revoked, "").status, 204u);
  port = start(formal_open_instant);
  EXPECT_EQ(get(port, "/api/v1/me", kept).status, 200u);
  // ... with its account state: the pledge accepted before the restart still lets it write.
  auto write = request(port, "PUT", "/api/v1/me/contact", bearer(kept) + json_header(),
                       contact_body("410084"));
  EXPECT_EQ(write.status, 200u) << write.body;
  EXPECT_EQ(get(port, "/api/v1/me", revoked).status, 401u);
  auto r = get(port, "/api/v1/me", "");
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.header("www-authenticate"), "Bearer");
  // The cookie works as well as the bearer token.
  EXPECT_EQ(request(port, "GET", "/api/v1/me", "Cookie: zy_session=" + kept + "\r\n", "").status,
            200u);
}

TEST_F(account_test, guessing_is_throttled_per_account_with_retry_after) {
  const auto c = pick_case(103);
  const std::uint16_t port = start(formal_open_instant);
  auto attempt = [&](const std::string& pw) {
    return request(port, "POST", "/api/v1/auth/login", json_header(),
                   R"({"exam_no":")" + c.exam_no + R"(","password":")" + pw + "\"}");
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(attempt("Wrong-Pass-1").status, 401u) << i;
  // Right after the fifth failure even the right password waits.
  auto r = attempt(loadtest::synthetic_login_password(c.exam_no));
  EXPECT_EQ(r.status, 429u) << r.body;
  EXPECT_FALSE(r.header("retry-after").empty());
  // Other accounts are not affected.
  EXPECT_FALSE(login(port, pick_case(104).exam_no).empty());
}

TEST_F(account_test, guessing_is_throttled_per_address) {
  const std::uint16_t port = start(formal_open_instant, {"--auth.login_ip_per_minute", "6"});
  // Burst of one, then one every ten seconds from 127.0.0.1, whatever the account.
  EXPECT_FALSE(login(port, pick_case(105).exam_no).empty());
  auto r = request(port, "POST", "/api/v1/auth/login", json_header(),
                   R"({"exam_no":")" + pick_case(106).exam_no + R"(","password":"x"})");
  EXPECT_EQ(r.status, 429u) << r.body;
  EXPECT_NE(r.body.find("too_many_requests"), std::string::npos);
  EXPECT_FALSE(r.header("retry-after").empty());
}

TEST_F(account_test, bad_input_names_the_field) {
  const std::uint16_t port = start(formal_open_instant);
  auto r = request(port, "POST", "/api/v1/auth/login", json_header(),
                   R"({"exam_no":"12","password":"x"})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("exam_no"), std::string::npos);
  r = request(port, "POST", "/api/v1/auth/login", json_header(), R"({"exam_no":"12345678901234"})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("password"), std::string::npos);
  r = request(port, "POST", "/api/v1/auth/login", "Content-Type: text/plain\r\n", "x");
  EXPECT_EQ(r.status, 415u);
  // Any bytes in User-Agent: the login history stores clean text, the sign-in works.
  const auto odd = pick_case(112);
  r = request(port, "POST", "/api/v1/auth/login",
              json_header() + "User-Agent: Mozilla \xff\xfe \xe6\xb9\r\n",
              R"({"exam_no":")" + odd.exam_no + R"(","password":")" +
                  loadtest::synthetic_login_password(odd.exam_no) + "\"}");
  EXPECT_EQ(r.status, 200u) << r.body;
  r = request(port, "POST", "/api/v1/auth/login", json_header(), "[1,2");
  EXPECT_EQ(r.status, 400u);
  const std::string token = ready_session(port, pick_case(107).exam_no);
  r = request(port, "PUT", "/api/v1/me/contact", bearer(token) + json_header(),
              R"({"phone":"13812345678","address":{"planet":"Mars"}})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("address.planet"), std::string::npos) << r.body;
  r = request(port, "PUT", "/api/v1/me/contact", bearer(token) + json_header(),
              R"({"phone":138,"address":{}})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("phone"), std::string::npos) << r.body;
}

TEST_F(account_test, a_candidate_sees_and_changes_only_their_own_account) {
  const auto a = pick_case(108);
  const auto b = pick_case(109);
  const std::uint16_t port = start(assisted_instant);
  const std::string ta = ready_session(port, a.exam_no);
  const std::string tb = ready_session(port, b.exam_no);
  simdjson::dom::parser p;
  auto before = get(port, "/api/v1/me", tb);
  ASSERT_EQ(before.status, 200u);
  // A writes contact and confirmations; the candidate comes from the session only.
  ASSERT_EQ(
      request(port, "PUT", "/api/v1/me/contact", bearer(ta) + json_header(), contact_body("410083"))
          .status,
      200u);
  ASSERT_EQ(post_json(port, "/api/v1/me/confirmations", ta, R"({"household":true})").status, 200u);
  auto me_a = get(port, "/api/v1/me", ta);
  EXPECT_EQ(std::string_view(parse(p, me_a.body)["exam_no"]), a.exam_no);
  auto after = get(port, "/api/v1/me", tb);
  EXPECT_EQ(std::string_view(parse(p, after.body)["exam_no"]), b.exam_no);
  EXPECT_EQ(after.body, before.body);  // nothing of B changed
  auto logins_a = get(port, "/api/v1/me/logins", ta);
  // A's history holds A's sign-ins only: as many as A made, never B's.
  EXPECT_EQ(logins_a.status, 200u);
  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  const auto n = tx.exec_params(
                       "SELECT count(*) FROM login_history h JOIN candidates c USING"
                       " (candidate_id) WHERE c.exam_no = $1",
                       a.exam_no)[0][0]
                     .as<std::size_t>();
  std::size_t shown = 0;
  for (auto x : parse(p, logins_a.body)["logins"]) {
    (void)x;
    ++shown;
  }
  EXPECT_EQ(shown, std::min<std::size_t>(n, 50));
}

// The drill (模拟演练) writes apart from the real data, and its data is purged when it ends.
TEST_F(account_test, drill_data_is_kept_apart_and_purged_after_the_drill) {
  const auto c = pick_case(111);
  auto count = [&](const char* table, bool drill) {
    pqxx::connection conn(database_url());
    pqxx::read_transaction tx(conn);
    return tx
        .exec_params(std::string("SELECT count(*) FROM ") + table +
                         " t JOIN candidates c USING (candidate_id) WHERE c.exam_no = $1"
                         " AND t.drill = $2",
                     c.exam_no, drill)[0][0]
        .as<int>();
  };
  auto submit = [&](std::uint16_t port, const std::string& token) {
    return request(
        port, "POST", "/api/v1/applications/undergrad",
        bearer(token) + json_header() + "Idempotency-Key: " + unique_key("drill") + "\r\n", c.body);
  };
  // A real submission first (formal window), then the drill's (drill window).
  std::uint16_t port = start(formal_open_instant);
  ASSERT_EQ(submit(port, ready_session(port, c.exam_no)).status, 201u);
  const int real = count("application_history", false);
  ASSERT_GE(real, 1);
  port = start("2023-06-15T10:00:00+08:00");
  const std::string token = ready_session(port, c.exam_no);
  auto r = submit(port, token);
  ASSERT_EQ(r.status, 201u) << r.body;
  simdjson::dom::parser p;
  EXPECT_TRUE(bool(p.parse(r.body)["drill"]));
  EXPECT_NE(std::string(std::string_view(p.parse(r.body)["canonical"])).find("drill=1\n"),
            std::string::npos);
  EXPECT_EQ(count("application_history", true), 1);
  EXPECT_EQ(count("application_history", false), real);  // the real data untouched
  // After the drill, the server purges the drill rows before it serves.
  port = start(formal_open_instant);
  EXPECT_EQ(count("application_history", true), 0);
  EXPECT_EQ(count("applications", true), 0);
  EXPECT_EQ(count("drafts", true), 0);
  EXPECT_EQ(count("application_history", false), real);
  EXPECT_NE(server_->output().find("\"drill_purged\""), std::string::npos);
}

// The README's offline check with openssl, on a real receipt.
TEST_F(account_test, receipt_verifies_with_openssl_as_the_readme_shows) {
  if (std::system("openssl version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl";
  const auto c = pick_case(110);
  const std::uint16_t port = start(formal_open_instant);
  const std::string token = ready_session(port, c.exam_no);
  auto r = request(
      port, "POST", "/api/v1/applications/undergrad",
      bearer(token) + json_header() + "Idempotency-Key: " + unique_key("ossl") + "\r\n", c.body);
  ASSERT_EQ(r.status, 201u) << r.body;
  auto key = request(port, "GET", "/api/v1/receipts/public-key", "", "");
  simdjson::dom::parser p, pk;
  auto receipt = p.parse(r.body);
  const std::string dir = std::string(ZHIYUAN_TEST_VAR_DIR) + "/receipt-check";
  std::system(("mkdir -p " + dir).c_str());
  std::ofstream(dir + "/key.pem") << std::string_view(pk.parse(key.body)["public_key_pem"]);
  std::ofstream(dir + "/receipt.txt") << std::string_view(receipt["canonical"]);
  std::ofstream(dir + "/receipt.sig") << decode64(std::string_view(receipt["signature"]));
  const std::string verify = "openssl pkeyutl -verify -pubin -inkey " + dir +
                             "/key.pem -rawin -in " + dir + "/receipt.txt -sigfile " + dir +
                             "/receipt.sig >/dev/null 2>&1";
  EXPECT_EQ(std::system(verify.c_str()), 0);
  std::ofstream(dir + "/receipt.txt", std::ios::app) << "tampered";
  EXPECT_NE(std::system(verify.c_str()), 0);
}

}  // namespace
}  // namespace zhiyuan::test
