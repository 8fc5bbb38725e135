// storage/write_path against the real PostgreSQL of the `database` ctest fixture. Every test
// writes to candidates created for this run only (ids from 9,000,000 up, fresh per run), so
// repeated runs against the persisting cluster pass.
#include "storage/write_path.hpp"

#include <sodium.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <thread>

#include "storage/embedded_cluster.hpp"
#include "storage/migrate.hpp"
#include "tests/storage/write_path_support.hpp"

namespace zhiyuan::storage {
namespace {

using namespace std::chrono_literals;
using test::collector;
using test::full_form;
using test::payload_of;
using test::render_receipt;

// ZHIYUAN_STORAGE_TEST_URL points the tests at another database (for experiments).
std::string database_url() {
  if (const char* url = std::getenv("ZHIYUAN_STORAGE_TEST_URL")) return url;
  embedded_options o;
  o.var_dir = ZHIYUAN_TEST_VAR_DIR;
  return embedded_cluster(o).connection_string();
}

std::int64_t parse_version(const std::string& body) {
  auto at = body.find("\"version\":");
  if (at == std::string::npos) return -1;
  return std::stoll(body.substr(at + 10));
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class write_path_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    url_ = new std::string(database_url());
    pqxx::connection c(*url_);
    migrate(c);
    school_ = test::school_place::find_or_create(c);
  }
  static void TearDownTestSuite() {
    delete url_;
    url_ = nullptr;
  }

  // Fresh candidates for one test; returns the first id.
  static std::int64_t make_candidates(int n) {
    pqxx::connection c(*url_);
    return test::make_candidates(c, school_, n);
  }

  static write_path_options options(unsigned writers = 2) {
    write_path_options o;
    o.writers = writers;
    o.retry_min = 5ms;
    o.retry_max = 200ms;
    // Quiet unless ZHIYUAN_STORAGE_TEST_LOG is set; failures are asserted.
    if (!std::getenv("ZHIYUAN_STORAGE_TEST_LOG")) o.log = [](std::string_view) {};
    return o;
  }

  // The arguments of `kind` from the one text a test varies (see test::payload_of): batch 1,
  // favourites of groups, random digests (a sign-in's token hash).
  static write_args args_of_kind(op_kind kind, const std::string& key, std::string payload,
                                 std::int64_t base_version) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    auto randomize = [](std::array<std::uint8_t, 32>& d) {
      for (auto& b : d) b = static_cast<std::uint8_t>(rng());
    };
    auto choices = [&](choices_args& c) {
      c.batch = 1;
      c.base_version = base_version;
      c.choices = std::move(payload);
      randomize(c.choices_sha256);
    };
    write_args args;
    switch (kind) {
      case op_kind::submit:
        choices(args.emplace<submit_args>());
        std::get<submit_args>(args).receipt_head = "head of " + key + "\n";
        break;
      case op_kind::save_draft:
        choices(args.emplace<draft_args>());
        break;
      case op_kind::favorite_put:
        args.emplace<favorite_put_args>().target = std::move(payload);
        std::get<favorite_put_args>(args).kind = 1;
        break;
      case op_kind::favorite_delete:
        args.emplace<favorite_delete_args>().target = std::move(payload);
        std::get<favorite_delete_args>(args).kind = 1;
        break;
      case op_kind::contact:
        args.emplace<contact_args>().phone = std::move(payload);
        std::get<contact_args>(args).base_version = base_version;
        break;
      case op_kind::confirm:
        args.emplace<confirm_args>().what = std::move(payload);
        std::get<confirm_args>(args).base_version = base_version;
        break;
      case op_kind::sign_in:
        args.emplace<sign_in_args>().ip = std::move(payload);
        randomize(std::get<sign_in_args>(args).token_hash);
        break;
      case op_kind::pledge:
        args.emplace<pledge_args>();
        break;
    }
    return args;
  }

  std::unique_ptr<write_op> make_op(op_kind kind, std::int64_t candidate, std::string key,
                                    std::string payload, std::int64_t base_version = -1) {
    auto op = std::make_unique<write_op>();
    op->request_hash = hash_of(key + "|" + payload + "|" + std::to_string(base_version));
    op->args = args_of_kind(kind, key, std::move(payload), base_version);
    op->candidate_id = candidate;
    op->idempotency_key = std::move(key);
    op->accepted_at_us = now_us();
    op->deadline = std::chrono::steady_clock::now() + 60s;
    op->render = render_receipt;
    op->done = collector::on_done;
    op->context = &done_;
    return op;
  }

  static std::array<std::uint8_t, 32> sha256(const std::string& s) {
    std::array<std::uint8_t, 32> h{};
    crypto_hash_sha256(h.data(), reinterpret_cast<const unsigned char*>(s.data()), s.size());
    return h;
  }
  static std::array<std::uint8_t, 32> hash_of(const std::string& s) {
    std::array<std::uint8_t, 32> h{};
    std::size_t x = std::hash<std::string>{}(s);
    for (std::size_t i = 0; i < h.size(); ++i) {
      h[i] = static_cast<std::uint8_t>(x >> ((i % 8) * 8));
      if (i % 8 == 7) x = std::hash<std::size_t>{}(x + i);
    }
    return h;
  }

  // Submits one op and waits for its completion.
  std::unique_ptr<write_op> run_one(write_path& wp, std::unique_ptr<write_op> op) {
    const std::size_t before = done_.ops.size();
    EXPECT_EQ(wp.try_submit(op), admit::ok);
    EXPECT_TRUE(done_.wait_for(before + 1));
    std::lock_guard lock(done_.mutex);
    auto out = std::move(done_.ops.back());
    done_.ops.pop_back();
    return out;
  }

  static pqxx::result query(const std::string& sql) {
    pqxx::connection c(*url_);
    pqxx::work tx(c);
    return tx.exec(sql);
  }

  static std::string* url_;
  static test::school_place school_;
  collector done_;
};
std::string* write_path_test::url_ = nullptr;
test::school_place write_path_test::school_;

// Four producers each submit k times for each of 40 candidates, last write wins. Per
// candidate: final version = number of submits, history = versions 1..n with a hash chain, and
// each producer's submissions appear in history in the order that producer enqueued them.
TEST_F(write_path_test, concurrent_producers_keep_per_candidate_order) {
  constexpr int producers = 4, candidates = 40, k = 8;
  const std::int64_t first = make_candidates(candidates);
  write_path wp(*url_, options());
  wp.start();
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (int s = 0; s < k; ++s) {
        for (int c = 0; c < candidates; ++c) {
          auto op = make_op(op_kind::submit, first + c, fmt::format("order-{}-{}", p, s),
                            fmt::format("p{}s{}", p, s));
          while (wp.try_submit(op) != admit::ok) std::this_thread::yield();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(done_.wait_for(producers * candidates * k));
  for (const auto& op : done_.take()) EXPECT_EQ(op->status, op_status::committed);

  auto rows = query(fmt::format(
      "SELECT h.candidate_id, h.version, h.choices, h.prev_hash = lag(h.digest) OVER w,"
      " a.version FROM application_history h JOIN applications a USING (candidate_id, batch,"
      " drill) WHERE h.candidate_id BETWEEN {} AND {}"
      " WINDOW w AS (PARTITION BY h.candidate_id ORDER BY h.version)"
      " ORDER BY h.candidate_id, h.version",
      first, first + candidates - 1));
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(producers * candidates * k));
  std::map<std::int64_t, std::vector<int>> last_seq;  // candidate → per-producer last seq
  std::map<std::int64_t, std::int64_t> expected_version;
  for (const auto& r : rows) {
    const auto cand = r[0].as<std::int64_t>();
    const auto version = r[1].as<std::int64_t>();
    EXPECT_EQ(version, ++expected_version[cand]);
    EXPECT_EQ(r[4].as<std::int64_t>(), producers * k);
    if (version > 1) {
      EXPECT_TRUE(r[3].as<bool>()) << "hash chain broken at " << version;
    }
    int p = 0, s = 0;
    ASSERT_EQ(std::sscanf(r[2].c_str(), "p%ds%d", &p, &s), 2);
    auto& seqs = last_seq.try_emplace(cand, producers, -1).first->second;
    EXPECT_GT(s, seqs[p]) << "producer " << p << " reordered for candidate " << cand;
    seqs[p] = s;
  }
  EXPECT_TRUE(wp.drain_and_stop(10s));
}

TEST_F(write_path_test, replay_returns_the_stored_response) {
  const std::int64_t id = make_candidates(1);
  write_path wp(*url_, options());
  wp.start();
  auto first = run_one(wp, make_op(op_kind::submit, id, "replay-key", "choices-a"));
  ASSERT_EQ(first->status, op_status::committed);
  EXPECT_EQ(first->version, 1);
  EXPECT_EQ(first->response_status, 200u);
  auto again = make_op(op_kind::submit, id, "replay-key", "choices-a");
  again->request_hash = first->request_hash;
  auto second = run_one(wp, std::move(again));
  EXPECT_EQ(second->status, op_status::replayed);
  EXPECT_EQ(second->response_status, first->response_status);
  EXPECT_EQ(second->response_body, first->response_body);
  auto rows =
      query(fmt::format("SELECT (SELECT version FROM applications WHERE candidate_id = {0}),"
                        " (SELECT count(*) FROM application_history WHERE candidate_id = {0})",
                        id));
  EXPECT_EQ(rows[0][0].as<int>(), 1);
  EXPECT_EQ(rows[0][1].as<int>(), 1);
}

TEST_F(write_path_test, same_key_different_body_is_a_mismatch) {
  const std::int64_t id = make_candidates(1);
  write_path wp(*url_, options());
  wp.start();
  auto first = run_one(wp, make_op(op_kind::submit, id, "mismatch-key", "choices-a"));
  ASSERT_EQ(first->status, op_status::committed);
  auto second = run_one(wp, make_op(op_kind::submit, id, "mismatch-key", "choices-b"));
  EXPECT_EQ(second->status, op_status::key_mismatch);
  auto rows =
      query(fmt::format("SELECT a.version, h.choices FROM applications a JOIN application_history h"
                        " USING (candidate_id, batch, drill, version) WHERE a.candidate_id = {}",
                        id));
  EXPECT_EQ(rows[0][0].as<int>(), 1);
  EXPECT_EQ(rows[0][1].as<std::string>(), "choices-a");
}

TEST_F(write_path_test, same_key_in_flight_is_refused) {
  const std::int64_t id = make_candidates(1);
  write_path wp(*url_, options());
  wp.start();
  wp.pause();
  auto a = make_op(op_kind::submit, id, "flight-key", "choices-a");
  const auto hash = a->request_hash;
  ASSERT_EQ(wp.try_submit(a), admit::ok);
  auto b = make_op(op_kind::submit, id, "flight-key", "choices-a");
  b->request_hash = hash;
  EXPECT_EQ(wp.try_submit(b), admit::key_in_flight);
  ASSERT_NE(b, nullptr);  // left with the caller
  // Another candidate may use the same key.
  const std::int64_t other = make_candidates(1);
  auto c = make_op(op_kind::submit, other, "flight-key", "choices-c");
  EXPECT_EQ(wp.try_submit(c), admit::ok);
  wp.resume();
  ASSERT_TRUE(done_.wait_for(2));
  for (const auto& op : done_.take()) EXPECT_EQ(op->status, op_status::committed);
  // Completed: the same request now replays.
  auto again = run_one(wp, std::move(b));
  EXPECT_EQ(again->status, op_status::replayed);
  EXPECT_NE(wp.render_metrics().find("zhiyuan_writer_shed_total{reason=\"key_in_flight\"} 1"),
            std::string::npos);
}

TEST_F(write_path_test, stale_base_version_conflicts_and_writes_nothing) {
  const std::int64_t id = make_candidates(1);
  write_path wp(*url_, options());
  wp.start();
  // No row yet: a base version of 3 is stale.
  EXPECT_EQ(run_one(wp, make_op(op_kind::submit, id, "c0", "x0", 3))->status, op_status::conflict);
  auto v1 = run_one(wp, make_op(op_kind::submit, id, "c1", "x1", 0));
  ASSERT_EQ(v1->status, op_status::committed);
  EXPECT_EQ(v1->version, 1);
  EXPECT_FALSE(v1->has_prev_hash);
  auto stale = run_one(wp, make_op(op_kind::submit, id, "c2", "x2", 0));
  EXPECT_EQ(stale->status, op_status::conflict);
  EXPECT_EQ(stale->response_status, 409u);
  auto v2 = run_one(wp, make_op(op_kind::submit, id, "c3", "x3", 1));
  ASSERT_EQ(v2->status, op_status::committed);
  EXPECT_EQ(v2->version, 2);
  EXPECT_TRUE(v2->has_prev_hash);
  // The database chains receipt hashes: SHA-256 of the server's head plus version and previous
  // hash (core::receipt_tail).
  EXPECT_EQ(v1->receipt_hash, sha256("head of c1\nversion=1\nprev=\n"));
  EXPECT_EQ(v2->prev_hash, v1->receipt_hash);
  std::string prev_hex;
  for (auto b : v1->receipt_hash) prev_hex += fmt::format("{:02x}", b);
  EXPECT_EQ(v2->receipt_hash, sha256("head of c3\nversion=2\nprev=" + prev_hex + "\n"));
  EXPECT_EQ(run_one(wp, make_op(op_kind::submit, id, "c4", "x4", 1))->status, op_status::conflict);
  // Drill data is a separate row with its own versions.
  auto drill = make_op(op_kind::submit, id, "c5", "drill", 0);
  std::get<submit_args>(drill->args).drill = true;
  EXPECT_EQ(run_one(wp, std::move(drill))->status, op_status::committed);
  auto rows = query(
      fmt::format("SELECT drill, version, choices FROM application_history WHERE candidate_id = {}"
                  " ORDER BY drill, version",
                  id));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][2].as<std::string>(), "x1");
  EXPECT_EQ(rows[1][2].as<std::string>(), "x3");
  EXPECT_TRUE(rows[2][0].as<bool>());
  // The conflict's response is stored too: its retry replays the 409.
  auto retry = make_op(op_kind::submit, id, "c2", "x2", 0);
  retry->request_hash = stale->request_hash;
  auto replay = run_one(wp, std::move(retry));
  EXPECT_EQ(replay->status, op_status::replayed);
  EXPECT_EQ(replay->response_status, 409u);
}

TEST_F(write_path_test, drafts_favorites_contact_and_confirmations) {
  const std::int64_t id = make_candidates(1);
  write_path wp(*url_, options());
  wp.start();
  // Drafts: same version rule as submissions, no history.
  EXPECT_EQ(run_one(wp, make_op(op_kind::save_draft, id, "d1", "draft \"1\" \\ ,{}", 0))->version,
            1);
  EXPECT_EQ(run_one(wp, make_op(op_kind::save_draft, id, "d2", "draft 2", 0))->status,
            op_status::conflict);
  EXPECT_EQ(run_one(wp, make_op(op_kind::save_draft, id, "d3", "draft 3", -1))->version, 2);
  // Favourites: put, re-categorise, delete, delete again.
  auto fav = [&](op_kind k, const char* key, const char* target, const char* category) {
    auto op = make_op(k, id, key, target);
    if (auto* put = std::get_if<favorite_put_args>(&op->args)) put->category = category;
    return run_one(wp, std::move(op))->status;
  };
  EXPECT_EQ(fav(op_kind::favorite_put, "f1", "G1001", "冲"), op_status::committed);
  EXPECT_EQ(fav(op_kind::favorite_put, "f2", "G1002", "稳"), op_status::committed);
  EXPECT_EQ(fav(op_kind::favorite_put, "f3", "G1001", "保"), op_status::committed);
  EXPECT_EQ(fav(op_kind::favorite_delete, "f4", "G1002", ""), op_status::committed);
  EXPECT_EQ(fav(op_kind::favorite_delete, "f5", "G1002", ""), op_status::committed);
  // Contact: profile version check.
  auto contact = make_op(op_kind::contact, id, "p1", "13800000000", 0);
  std::get<contact_args>(contact->args).address = R"({"city":"长沙","line":"岳麓区 1 号"})";
  auto ct = run_one(wp, std::move(contact));
  ASSERT_EQ(ct->status, op_status::committed);
  EXPECT_EQ(ct->version, 1);
  EXPECT_EQ(run_one(wp, make_op(op_kind::contact, id, "p2", "13900000000", 0))->status,
            op_status::conflict);
  // Confirmations: the first acceptance time sticks.
  auto confirm = make_op(op_kind::confirm, id, "h1", "household");
  confirm->accepted_at_us = 1'700'000'000'123'456;
  EXPECT_EQ(run_one(wp, std::move(confirm))->status, op_status::committed);
  auto later = make_op(op_kind::confirm, id, "h2", "household");
  later->accepted_at_us = 1'700'000'999'000'000;
  EXPECT_EQ(run_one(wp, std::move(later))->status, op_status::committed);
  EXPECT_EQ(run_one(wp, make_op(op_kind::confirm, id, "h3", "physical_exam"))->status,
            op_status::committed);

  auto d = query(fmt::format("SELECT version, choices FROM drafts WHERE candidate_id = {}", id));
  EXPECT_EQ(d[0][0].as<int>(), 2);
  EXPECT_EQ(d[0][1].as<std::string>(), "draft 3");
  EXPECT_EQ(query(fmt::format("SELECT count(*) FROM application_history WHERE candidate_id = {}",
                              id))[0][0]
                .as<int>(),
            0);
  auto f = query(fmt::format(
      "SELECT kind, target, category FROM favorites WHERE candidate_id = {} ORDER BY target", id));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0][1].as<std::string>(), "G1001");
  EXPECT_EQ(f[0][2].as<std::string>(), "保");
  auto c = query(
      fmt::format("SELECT phone, address->>'city', version,"
                  " (extract(epoch FROM household_confirmed_at) * 1000000)::bigint,"
                  " physical_exam_confirmed_at IS NOT NULL FROM candidates WHERE candidate_id = {}",
                  id));
  EXPECT_EQ(c[0][0].as<std::string>(), "13800000000");
  EXPECT_EQ(c[0][1].as<std::string>(), "长沙");
  EXPECT_EQ(c[0][2].as<int>(), 4);  // contact + three confirmations
  EXPECT_EQ(c[0][3].as<std::int64_t>(), 1'700'000'000'123'456);
  EXPECT_TRUE(c[0][4].as<bool>());
}

// Sign-ins and pledges are not keyed: neither looked up nor recorded, two of one candidate may
// be in flight at once, and batches rerun after an unknown commit outcome write nothing twice
// (one session, one login record, one window sign-in per candidate; the pledge's first time
// sticks), while keyed submissions in the same batch are replayed from their records.
TEST_F(write_path_test, sign_ins_and_pledges_are_group_committed_and_safe_to_rerun) {
  constexpr int n = 20;
  constexpr int m = 5;  // candidates submitting in the sign-ins' batch
  const std::int64_t first = make_candidates(n + m);
  write_path wp(*url_, options(1));
  wp.start();
  wp.pause();
  const std::string agent = "Mozilla/5.0 \"quoted\" \\ {志愿}";
  std::vector<std::array<std::uint8_t, 32>> tokens;
  for (int i = 0; i < n; ++i) {
    auto op = make_op(op_kind::sign_in, first + i, "same", i % 2 == 0 ? "127.0.0.1" : "");
    op->render = nullptr;
    auto& sign_in = std::get<sign_in_args>(op->args);
    sign_in.user_agent = agent;
    if (i % 3 == 0) sign_in.windows = {1};
    sign_in.expires_at = now_us() / 1'000'000 + 3600;
    tokens.push_back(sign_in.token_hash);
    ASSERT_EQ(wp.try_submit(op), admit::ok);
  }
  constexpr std::int64_t pledged_us = 1'700'000'000'654'321;
  for (int i = 0; i < n; ++i) {
    auto op = make_op(op_kind::pledge, first + i, "same", "");
    op->render = nullptr;
    op->accepted_at_us = pledged_us;
    ASSERT_EQ(wp.try_submit(op), admit::ok);  // same candidate and key: not keyed, admitted
  }
  for (int i = 0; i < m; ++i) {
    auto op = make_op(op_kind::submit, first + n + i, "keyed", fmt::format("k{}", i));
    ASSERT_EQ(wp.try_submit(op), admit::ok);
  }
  // Both batches (sign-ins with the submissions, then the pledges) commit, and the writer,
  // told the outcome is unknown, reruns each.
  wp.simulate_commit_loss(2);
  wp.resume();
  ASSERT_TRUE(done_.wait_for(2 * n + m));
  for (const auto& op : done_.take()) {
    if (op->kind() == op_kind::submit) {
      EXPECT_EQ(op->status, op_status::replayed);
      EXPECT_EQ(parse_version(op->response_body), 1) << op->response_body;
      continue;
    }
    EXPECT_EQ(op->status, op_status::committed);
    if (op->kind() == op_kind::pledge) {
      EXPECT_EQ(op->first_at_us, pledged_us);
    }
  }
  EXPECT_NE(wp.render_metrics().find("zhiyuan_writer_reconnects_total 2"), std::string::npos);
  // A rerun that replayed submissions found its lost COMMIT had landed (a loss may also hit a
  // rerun, which the next rerun resolves: at least one such resolution).
  const std::string doubt = wp.render_metrics(),
                    landed = "zhiyuan_writer_in_doubt_total{resolution=\"committed\"} ";
  ASSERT_NE(doubt.find(landed), std::string::npos) << doubt;
  EXPECT_GE(std::stoi(doubt.substr(doubt.find(landed) + landed.size())), 1) << doubt;
  EXPECT_EQ(query(fmt::format("SELECT count(*), max(version) FROM application_history"
                              " WHERE candidate_id BETWEEN {} AND {}",
                              first + n, first + n + m - 1))[0][0]
                .as<int>(),
            m);
  const std::string range = fmt::format("BETWEEN {} AND {}", first, first + n - 1);
  auto s = query(fmt::format(
      "SELECT count(*), count(DISTINCT candidate_id), count(ip), min(user_agent), max(user_agent)"
      " FROM sessions WHERE candidate_id {}",
      range));
  EXPECT_EQ(s[0][0].as<int>(), n);
  EXPECT_EQ(s[0][1].as<int>(), n);
  EXPECT_EQ(s[0][2].as<int>(), n / 2);
  EXPECT_EQ(s[0][3].as<std::string>(), agent);
  EXPECT_EQ(s[0][4].as<std::string>(), agent);
  EXPECT_EQ(
      query(fmt::format("SELECT count(*) FROM sessions WHERE token_hash = decode('{}', 'hex')",
                        [&] {
                          std::string h;
                          for (auto b : tokens[5]) h += fmt::format("{:02x}", b);
                          return h;
                        }()))[0][0]
          .as<int>(),
      1);
  EXPECT_EQ(query(fmt::format("SELECT count(*) FROM login_history WHERE outcome = 'ok' AND"
                              " candidate_id {}",
                              range))[0][0]
                .as<int>(),
            n);
  EXPECT_EQ(query(fmt::format("SELECT count(*) FROM window_logins WHERE batch = 1 AND"
                              " candidate_id {}",
                              range))[0][0]
                .as<int>(),
            (n + 2) / 3);
  EXPECT_EQ(
      query(fmt::format("SELECT count(*) FROM idempotency_keys WHERE candidate_id {}", range))[0][0]
          .as<int>(),
      0);
  // A later pledge keeps the first time.
  auto again = make_op(op_kind::pledge, first, "same", "");
  again->render = nullptr;
  again->accepted_at_us = pledged_us + 5'000'000;
  auto out = run_one(wp, std::move(again));
  EXPECT_EQ(out->status, op_status::committed);
  EXPECT_EQ(out->first_at_us, pledged_us);
  EXPECT_EQ(query(fmt::format("SELECT (extract(epoch FROM pledge_at) * 1000000)::bigint FROM"
                              " candidates WHERE candidate_id = {}",
                              first))[0][0]
                .as<std::int64_t>(),
            pledged_us);
}

// The first draft with quotes and backslashes survives the array literal round trip.
TEST_F(write_path_test, payloads_with_quotes_and_unicode_round_trip) {
  const std::int64_t id = make_candidates(1);
  write_path wp(*url_, options());
  wp.start();
  const std::string payload = "g1:1,2;a1|\"quoted\"\\back\\slash{}志愿 NULL";
  ASSERT_EQ(run_one(wp, make_op(op_kind::submit, id, "q1", payload))->status, op_status::committed);
  auto r =
      query(fmt::format("SELECT h.choices FROM applications a JOIN application_history h"
                        " USING (candidate_id, batch, drill, version)"
                        " WHERE a.candidate_id = {}",
                        id));
  EXPECT_EQ(r[0][0].as<std::string>(), payload);
}

// An op accepted before its window closed commits even though its batch runs after the close:
// the writer never re-checks windows, and accepted_at is the server's stamp. The close is a
// second ago and the op was stamped a microsecond before it (it waited in the queue since).
TEST_F(write_path_test, accepted_before_close_commits_after_close) {
  const std::int64_t id = make_candidates(1);
  write_path wp(*url_, options());
  wp.start();
  const std::int64_t close_us = now_us() - 1'000'000;
  auto op = make_op(op_kind::submit, id, "edge", "last-second");
  op->accepted_at_us = close_us - 1;
  ASSERT_EQ(wp.try_submit(op), admit::ok);
  ASSERT_TRUE(done_.wait_for(1));
  auto ops = done_.take();
  EXPECT_EQ(ops[0]->status, op_status::committed);
  EXPECT_GT(ops[0]->committed_at_us, close_us);
  auto r =
      query(fmt::format("SELECT (extract(epoch FROM accepted_at) * 1000000)::bigint,"
                        " (extract(epoch FROM committed_at) * 1000000)::bigint FROM applications"
                        " WHERE candidate_id = {}",
                        id));
  EXPECT_EQ(r[0][0].as<std::int64_t>(), close_us - 1);
  EXPECT_EQ(r[0][1].as<std::int64_t>(), ops[0]->committed_at_us);
}

// COMMIT succeeded but the writer could not know: the retried batch finds every op's record
// and answers with exactly the stored responses; nothing is written twice.
TEST_F(write_path_test, unknown_commit_outcome_resolves_to_stored_responses) {
  constexpr int n = 50;
  const std::int64_t first = make_candidates(n);
  write_path wp(*url_, options(1));
  wp.start();
  wp.pause();
  for (int i = 0; i < n; ++i) {
    auto op = make_op(op_kind::submit, first + i, "doubt", fmt::format("u{}", i));
    ASSERT_EQ(wp.try_submit(op), admit::ok);
  }
  wp.simulate_commit_loss(1);
  wp.resume();
  ASSERT_TRUE(done_.wait_for(n));
  for (const auto& op : done_.take()) {
    EXPECT_EQ(op->status, op_status::replayed);
    EXPECT_EQ(op->response_status, 200u);
    EXPECT_EQ(parse_version(op->response_body), 1) << op->response_body;
  }
  auto r = query(fmt::format(
      "SELECT count(*), max(version) FROM application_history WHERE candidate_id BETWEEN {} AND {}",
      first, first + n - 1));
  EXPECT_EQ(r[0][0].as<int>(), n);
  EXPECT_EQ(r[0][1].as<int>(), 1);
  EXPECT_NE(wp.render_metrics().find("zhiyuan_writer_reconnects_total 1"), std::string::npos);
  EXPECT_NE(wp.render_metrics().find("zhiyuan_writer_in_doubt_total{resolution=\"committed\"} 1\n"),
            std::string::npos);
}

std::uint64_t metric_value(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::stoull(text.substr(at + series.size() + 2));
}

// A burst queued while writers are paused goes out in a few large transactions.
TEST_F(write_path_test, bursts_are_written_in_large_batches) {
  constexpr int n = 600;
  const std::int64_t first = make_candidates(n);
  auto o = options(1);
  o.max_batch = 256;
  write_path wp(*url_, o);
  wp.start();
  wp.pause();
  for (int i = 0; i < n; ++i) {
    auto op = make_op(op_kind::submit, first + i, "burst", fmt::format("b{}", i));
    ASSERT_EQ(wp.try_submit(op), admit::ok);
  }
  EXPECT_NE(wp.render_metrics().find("zhiyuan_writer_queue_depth{writer=\"0\"} 600"),
            std::string::npos);
  wp.resume();
  ASSERT_TRUE(done_.wait_for(n));
  for (const auto& op : done_.take()) EXPECT_EQ(op->status, op_status::committed);
  const auto m = wp.render_metrics();
  EXPECT_EQ(metric_value(m, "zhiyuan_writer_batch_size_count"), 3u) << m;
  EXPECT_EQ(metric_value(m, "zhiyuan_writer_batch_size_sum"), static_cast<std::uint64_t>(n));
  EXPECT_EQ(
      metric_value(m, "zhiyuan_writer_operations_total{kind=\"submit\",status=\"committed\"}"),
      static_cast<std::uint64_t>(n));
  EXPECT_EQ(metric_value(m, "zhiyuan_writer_batch_size_bucket{le=\"64\"}"), 0u);
}

// One candidate's mixed writes in one burst: one op per candidate per transaction keeps them
// in order (each a separate batch), all applied.
TEST_F(write_path_test, one_candidate_many_ops_in_one_burst) {
  const std::int64_t id = make_candidates(1);
  write_path wp(*url_, options(1));
  wp.start();
  wp.pause();
  constexpr int n = 30;
  for (int i = 0; i < n; ++i) {
    auto op = make_op(i % 3 == 2 ? op_kind::save_draft : op_kind::submit, id,
                      fmt::format("same-{}", i), fmt::format("s{}", i));
    ASSERT_EQ(wp.try_submit(op), admit::ok);
  }
  wp.resume();
  ASSERT_TRUE(done_.wait_for(n));
  for (const auto& op : done_.take()) EXPECT_EQ(op->status, op_status::committed);
  auto r =
      query(fmt::format("SELECT (SELECT version FROM applications WHERE candidate_id = {0}),"
                        " (SELECT version FROM drafts WHERE candidate_id = {0}),"
                        " (SELECT h.choices FROM applications a JOIN application_history h"
                        "  USING (candidate_id, batch, drill, version) WHERE a.candidate_id = {0})",
                        id));
  EXPECT_EQ(r[0][0].as<int>(), 20);
  EXPECT_EQ(r[0][1].as<int>(), 10);
  EXPECT_EQ(r[0][2].as<std::string>(), "s28");
}

TEST_F(write_path_test, caps_shed_early_and_submissions_outrank_other_writes) {
  const std::int64_t first = make_candidates(12);
  auto o = options(1);
  o.max_in_flight = 10;
  write_path wp(*url_, o);
  wp.start();
  wp.pause();
  for (int i = 0; i < 8; ++i) {
    auto op = make_op(op_kind::submit, first + i, "cap", "x");
    ASSERT_EQ(wp.try_submit(op), admit::ok);
  }
  auto draft = make_op(op_kind::save_draft, first + 8, "cap", "x");
  EXPECT_EQ(wp.try_submit(draft), admit::overloaded);  // other writes stop at 80%
  for (int i = 8; i < 10; ++i) {
    auto op = make_op(op_kind::submit, first + i, "cap", "x");
    ASSERT_EQ(wp.try_submit(op), admit::ok);
  }
  auto over = make_op(op_kind::submit, first + 10, "cap", "x");
  EXPECT_EQ(wp.try_submit(over), admit::overloaded);
  EXPECT_EQ(wp.in_flight(), 10u);
  wp.resume();
  ASSERT_TRUE(done_.wait_for(10));
  EXPECT_NE(wp.render_metrics().find("zhiyuan_writer_shed_total{reason=\"overloaded\"} 2"),
            std::string::npos);
  EXPECT_TRUE(wp.drain_and_stop(10s));
  EXPECT_EQ(wp.try_submit(over), admit::stopping);
}

TEST_F(write_path_test, drain_and_stop_completes_every_queued_op) {
  constexpr int n = 500;
  const std::int64_t first = make_candidates(50);
  write_path wp(*url_, options());
  wp.start();
  for (int i = 0; i < n; ++i) {
    auto op = make_op(op_kind::submit, first + i % 50, fmt::format("drain-{}", i), "d");
    ASSERT_EQ(wp.try_submit(op), admit::ok);
  }
  EXPECT_TRUE(wp.drain_and_stop(30s));
  EXPECT_EQ(wp.in_flight(), 0u);
  auto ops = done_.take();
  ASSERT_EQ(ops.size(), static_cast<std::size_t>(n));
  for (const auto& op : ops) EXPECT_EQ(op->status, op_status::committed);
}

// Writers' backends are killed repeatedly during a burst. Every op must end committed or
// replayed (the retry after an unknown COMMIT outcome finds its stored response), and the
// database must hold exactly the acknowledged versions: no loss, no duplicate history.
TEST_F(write_path_test, killed_backends_lose_and_duplicate_nothing) {
  constexpr int producers = 4, candidates = 200, per_producer = 1500;
  const std::int64_t first = make_candidates(candidates);
  // Only this test's writers are killed: other tests (and servers) share the cluster.
  auto o = options();
  o.application_name = fmt::format("zhiyuan-writer-killed-{}", ::getpid());
  write_path wp(*url_, o);
  wp.start();
  std::atomic<bool> producing{true};
  std::atomic<int> kills{0};
  // Kills once a writer started a new batch since the last kill (its previous batch got through:
  // reconnected and committed), so every kill hits a live connection whatever the machine's
  // speed. Polled each millisecond.
  std::thread killer([&] {
    pqxx::connection c(*url_);
    std::uint64_t committed_before = 0;
    while (producing.load()) {
      const auto committed = metric_value(wp.render_metrics(), "zhiyuan_writer_batch_size_count");
      if (committed <= committed_before) {
        std::this_thread::sleep_for(1ms);
        continue;
      }
      committed_before = committed;
      pqxx::nontransaction tx(c);
      auto r = tx.exec(
          "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
          " WHERE application_name LIKE '" +
          o.application_name + "-%'");
      kills += r[0][0].as<int>();
    }
  });
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      std::mt19937 rng(p);
      for (int i = 0; i < per_producer; ++i) {
        auto op = make_op(op_kind::submit, first + static_cast<int>(rng() % candidates),
                          fmt::format("kill-{}-{}", p, i), fmt::format("k{}-{}", p, i));
        while (wp.try_submit(op) != admit::ok) std::this_thread::yield();
        if (i % 100 == 0) std::this_thread::sleep_for(2ms);  // spread over the kills
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(done_.wait_for(producers * per_producer, 110s));
  producing = false;
  killer.join();
  EXPECT_GT(kills.load(), 0);
  const auto m = wp.render_metrics();
  EXPECT_GT(metric_value(m, "zhiyuan_writer_reconnects_total"), 0u) << m;

  // Acknowledged (candidate, version) → payload, from committed ops and replayed receipts.
  std::map<std::pair<std::int64_t, std::int64_t>, std::string> acked;
  int replayed = 0;
  auto ops = done_.take();
  std::map<int, int> by_status;
  for (const auto& op : ops) ++by_status[static_cast<int>(op->status)];
  EXPECT_EQ(by_status[static_cast<int>(op_status::committed)] +
                by_status[static_cast<int>(op_status::replayed)],
            producers * per_producer)
      << "unavailable " << by_status[static_cast<int>(op_status::unavailable)] << ", failed "
      << by_status[static_cast<int>(op_status::failed)];
  for (const auto& op : ops) {
    if (op->status != op_status::committed && op->status != op_status::replayed) continue;
    const std::int64_t v =
        op->status == op_status::committed ? op->version : parse_version(op->response_body);
    if (op->status == op_status::replayed) ++replayed;
    EXPECT_TRUE(acked.emplace(std::pair{op->candidate_id, v}, payload_of(*op)).second)
        << "two acknowledgements for one version";
  }
  auto rows =
      query(fmt::format("SELECT candidate_id, version, choices FROM application_history"
                        " WHERE candidate_id BETWEEN {} AND {} ORDER BY candidate_id, version",
                        first, first + candidates - 1));
  ASSERT_EQ(rows.size(), acked.size());
  for (const auto& r : rows) {
    auto it = acked.find({r[0].as<std::int64_t>(), r[1].as<std::int64_t>()});
    ASSERT_NE(it, acked.end());
    EXPECT_EQ(it->second, r[2].as<std::string>());
  }
  std::printf("[ info     ] %d backend kills, %d replayed after unknown outcomes, %s retries\n",
              kills.load(), replayed,
              std::to_string(metric_value(m, "zhiyuan_writer_retries_total")).c_str());
}

// The filing counters (migrations 0007 and 0010) follow every insert and delete of window
// sign-ins, drafts and submissions, drill rows excluded: counts plus unfolded deltas of the
// school equal the counts taken from the rows, after each step. One repeatable-read snapshot,
// rolled back at the end, so other tests' writes neither disturb the comparison nor remain.
TEST_F(write_path_test, filing_counters_follow_every_insert_and_delete) {
  const std::int64_t first = make_candidates(4);
  pqxx::connection c(*url_);
  pqxx::transaction<pqxx::isolation_level::repeatable_read> tx(c);
  const std::string school = std::to_string(school_.school);
  // Rows (batch, counts…) where tracked and direct counts of the school differ.
  const std::string differences =
      "WITH tracked AS (SELECT batch, sum(eligible) e, sum(logged_in) l, sum(drafted) d,"
      "   sum(submitted) s, sum(drafted_submitted) ds FROM (SELECT * FROM filing_counts"
      "   WHERE school_id = " +
      school + " UNION ALL SELECT * FROM filing_deltas WHERE school_id = " + school +
      ") x GROUP BY batch),"
      " direct AS (SELECT b.batch, count(*) e,"
      "   count(*) FILTER (WHERE w.candidate_id IS NOT NULL) l,"
      "   count(*) FILTER (WHERE d.candidate_id IS NOT NULL) d,"
      "   count(*) FILTER (WHERE a.candidate_id IS NOT NULL) s,"
      "   count(*) FILTER (WHERE d.candidate_id IS NOT NULL AND a.candidate_id IS NOT NULL) ds"
      "   FROM candidates c CROSS JOIN (VALUES (0), (1), (2), (3)) AS b (batch)"
      "   LEFT JOIN window_logins w ON w.candidate_id = c.candidate_id AND w.batch = b.batch"
      "   LEFT JOIN drafts d ON d.candidate_id = c.candidate_id AND d.batch = b.batch"
      "     AND NOT d.drill"
      "   LEFT JOIN applications a ON a.candidate_id = c.candidate_id AND a.batch = b.batch"
      "     AND NOT a.drill"
      "   WHERE c.school_id = " +
      school +
      " AND c.eligible & (1 << b.batch) <> 0 GROUP BY b.batch)"
      " SELECT coalesce(t.batch, d.batch), t.e, d.e, t.l, d.l, t.d, d.d, t.s, d.s, t.ds, d.ds"
      " FROM tracked t FULL JOIN direct d USING (batch)"
      " WHERE (coalesce(t.e, 0), coalesce(t.l, 0), coalesce(t.d, 0), coalesce(t.s, 0),"
      "   coalesce(t.ds, 0)) IS DISTINCT FROM (coalesce(d.e, 0), coalesce(d.l, 0),"
      "   coalesce(d.d, 0), coalesce(d.s, 0), coalesce(d.ds, 0))";
  auto expect_consistent = [&](const char* step) {
    const auto r = tx.exec(differences);
    EXPECT_EQ(r.size(), 0u) << step << ": batch " << (r.empty() ? "" : r[0][0].c_str())
                            << " differs";
  };
  const std::string ids = fmt::format("{}, {}, {}, {}", first, first + 1, first + 2, first + 3);
  const std::string range = fmt::format("candidate_id BETWEEN {} AND {}", first, first + 3);
  expect_consistent("before");
  tx.exec("UPDATE candidates SET eligible = 3 WHERE " + range);  // batches 0 and 1
  expect_consistent("eligible");
  tx.exec("INSERT INTO window_logins (candidate_id, batch) SELECT unnest(ARRAY[" + ids + "]), 1");
  expect_consistent("window sign-ins");
  const std::string draft =
      "INSERT INTO drafts (candidate_id, batch, drill, version, choices, updated_at) SELECT g, 1, ";
  tx.exec(draft + "false, 1, 'x', now() FROM unnest(ARRAY[" + ids + "]) g WHERE g < " +
          std::to_string(first + 3));
  tx.exec(draft + "true, 1, 'x', now() FROM unnest(ARRAY[" + ids + "]) g");
  expect_consistent("drafts");
  const std::string application =
      "INSERT INTO applications (candidate_id, batch, drill, version, digest, accepted_at,"
      " committed_at) SELECT g, 1, ";
  tx.exec(application + "false, 1, '\\x00', now(), now() FROM unnest(ARRAY[" + ids +
          "]) g WHERE g > " + std::to_string(first));
  tx.exec(application + "true, 1, '\\x00', now(), now() FROM unnest(ARRAY[" + ids + "]) g");
  expect_consistent("submissions");
  const auto submitted = tx.exec("SELECT count(*) FROM applications WHERE NOT drill AND " + range);
  EXPECT_EQ(submitted[0][0].as<int>(), 3);
  tx.exec("DELETE FROM drafts WHERE candidate_id = " + std::to_string(first + 1));
  expect_consistent("draft deleted");
  tx.exec("DELETE FROM applications WHERE candidate_id = " + std::to_string(first + 2));
  expect_consistent("submission deleted");
  tx.exec("DELETE FROM window_logins WHERE " + range);
  expect_consistent("window sign-ins deleted");
  tx.exec("UPDATE candidates SET eligible = 2 WHERE candidate_id = " + std::to_string(first + 3));
  expect_consistent("eligibility changed");
  tx.abort();
}

// Full-size forms from concurrent producers all commit, each as one history row. (Their
// throughput is measured by bench/storage/write_path_bench.cpp, not here.)
TEST_F(write_path_test, full_form_submissions_from_concurrent_producers_all_commit) {
  constexpr int producers = 4, candidates = 200, per_producer = 150;
  const std::int64_t first = make_candidates(candidates);
  std::vector<std::string> forms;
  for (int i = 0; i < 16; ++i) forms.push_back(full_form(i));
  write_path wp(*url_, options(2));
  wp.start();
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i) {
        auto op = make_op(op_kind::submit, first + (p * per_producer + i) % candidates,
                          fmt::format("ff-{}-{}", p, i), forms[(p + i) % forms.size()]);
        while (wp.try_submit(op) != admit::ok) std::this_thread::yield();
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(done_.wait_for(producers * per_producer, 110s));
  for (const auto& op : done_.take()) ASSERT_EQ(op->status, op_status::committed);
  EXPECT_EQ(query(fmt::format("SELECT count(*) FROM application_history"
                              " WHERE candidate_id BETWEEN {} AND {}",
                              first, first + candidates - 1))[0][0]
                .as<int>(),
            producers * per_producer);
}

}  // namespace
}  // namespace zhiyuan::storage
