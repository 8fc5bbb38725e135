// province/province_loader against the PostgreSQL of the `database` ctest fixture, in a database
// of its own (created and dropped here), so that it never touches other tests' data.
#include "province/province_loader.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <cstdlib>
#include <pqxx/pqxx>
#include <string>

#include "storage/embedded_cluster.hpp"
#include "storage/migrate.hpp"

namespace zhiyuan::loadtest {
namespace {

// ZHIYUAN_LOADTEST_ADMIN_URL: a keyword/value conninfo with the right to create databases
// (for experiments); otherwise the maintenance database of the test cluster.
std::string admin_conninfo() {
  if (const char* url = std::getenv("ZHIYUAN_LOADTEST_ADMIN_URL")) return url;
  storage::embedded_options o;
  o.var_dir = ZHIYUAN_TEST_VAR_DIR;
  return storage::embedded_cluster(o).admin_connection_string();
}

class ProvinceLoader : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    name_ = fmt::format("zhiyuan_loadtest_{}", ::getpid());
    pqxx::connection admin(admin_conninfo());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_));
    tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  }
  static void TearDownTestSuite() {
    pqxx::connection admin(admin_conninfo());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_));
  }
  // A later dbname= overrides the earlier one in a keyword/value conninfo.
  static std::string conninfo() { return admin_conninfo() + " dbname=" + name_; }

  static std::int64_t count(pqxx::connection& conn, const std::string& query) {
    pqxx::read_transaction tx(conn);
    return tx.exec1(query)[0].as<std::int64_t>();
  }

  static inline std::string name_;
};

TEST_F(ProvinceLoader, LoadsRefusesAndReplaces) {
  pqxx::connection conn(conninfo());
  storage::migrate(conn);
  province_options o;
  o.candidates = 2'000;
  o.seed = 11;
  const province p = generate_province(o, 2);
  const password_hashes hashes = hash_synthetic_passwords(p.candidates, kdf_cost::test, 2);
  load_options options;
  options.cost = kdf_cost::test;

  const load_report report = load_province(conn, p, hashes, options);
  EXPECT_TRUE(report.truncated.empty());
  EXPECT_EQ(count(conn, "SELECT count(*) FROM candidates"), 2'000);
  EXPECT_EQ(count(conn, "SELECT count(*) FROM units"), static_cast<std::int64_t>(p.units.size()));
  EXPECT_EQ(count(conn, "SELECT count(*) FROM majors"), static_cast<std::int64_t>(p.majors.size()));
  EXPECT_EQ(count(conn, "SELECT count(*) FROM score_tables"),
            static_cast<std::int64_t>(p.score_tables.size()));
  EXPECT_EQ(count(conn,
                  "SELECT count(*) FROM candidates WHERE is_test_data AND NOT "
                  "must_set_passwords AND save_hash IS NOT NULL AND pledge_at IS NULL"),
            2'000);
  EXPECT_EQ(count(conn,
                  "SELECT count(*) FROM dataset_info WHERE key = 'test_data' AND value = "
                  "'true'"),
            1);
  EXPECT_EQ(count(conn, "SELECT max(major_id) FROM majors"),
            static_cast<std::int64_t>(p.majors.size()));
  // The foreign keys and indexes dropped for the COPY are back.
  EXPECT_EQ(count(conn,
                  "SELECT count(*) FROM pg_constraint WHERE conrelid = "
                  "'candidates'::regclass AND contype = 'f'"),
            3);
  EXPECT_EQ(count(conn, "SELECT count(*) FROM pg_index WHERE indrelid = 'candidates'::regclass"),
            5);

  // The stored hash is the synthetic password's.
  {
    pqxx::read_transaction tx(conn);
    const auto row = tx.exec1(
        "SELECT exam_no, login_hash, save_hash FROM candidates "
        "WHERE candidate_id = 1234");
    const std::string exam_no = row[0].as<std::string>();
    const std::string login = synthetic_login_password(exam_no);
    const std::string save = synthetic_save_password(exam_no);
    ASSERT_GE(sodium_init(), 0);
    EXPECT_EQ(crypto_pwhash_str_verify(row[1].c_str(), login.c_str(), login.size()), 0);
    EXPECT_EQ(crypto_pwhash_str_verify(row[2].c_str(), save.c_str(), save.size()), 0);
  }

  EXPECT_THROW(load_province(conn, p, hashes, options), std::runtime_error);
  EXPECT_GT(seed_rows(conn), 0);

  // --replace, with the constraints kept in place this time; hashing overlapping the load.
  options.replace = true;
  options.defer_candidate_constraints = false;
  password_hashing hashing(p.candidates, kdf_cost::test, 2);
  const load_report again = load_province(conn, p, hashing, options);
  EXPECT_FALSE(again.truncated.empty());
  EXPECT_EQ(count(conn, "SELECT count(*) FROM candidates"), 2'000);
  EXPECT_EQ(count(conn, "SELECT max(major_id) FROM majors"),
            static_cast<std::int64_t>(p.majors.size()));
}

}  // namespace
}  // namespace zhiyuan::loadtest
