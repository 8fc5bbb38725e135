#include "server/config.hpp"

#include <gtest/gtest.h>

#include <map>

namespace zhiyuan::server {
namespace {

env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(config, defaults_are_valid) {
  config c = resolve_config({});
  EXPECT_EQ(c.server.port, 8080);
  EXPECT_EQ(c.server.body_limit, 64u * 1024);
  EXPECT_TRUE(c.database.url.empty());
}

TEST(config, file_then_env_then_command_line) {
  config_sources src;
  src.file_text = "[server]\nport = 9001\nbody_limit = 4096\nhost = \"0.0.0.0\"\n";
  src.file_name = "test.toml";
  EXPECT_EQ(resolve_config(src).server.port, 9001);

  src.env = env_of({{"ZHIYUAN_SERVER_PORT", "9002"}});
  config c = resolve_config(src);
  EXPECT_EQ(c.server.port, 9002);
  EXPECT_EQ(c.server.body_limit, 4096u);  // from the file, untouched by env
  EXPECT_EQ(c.server.host, "0.0.0.0");

  src.overrides = {{"server.port", "9003"}};
  EXPECT_EQ(resolve_config(src).server.port, 9003);
}

TEST(config, durations_and_booleans) {
  config_sources src;
  src.env = env_of({{"ZHIYUAN_SERVER_READ_TIMEOUT_MS", "1500"}, {"ZHIYUAN_LOG_ACCESS", "true"}});
  config c = resolve_config(src);
  EXPECT_EQ(c.server.read_timeout.count(), 1500);
  EXPECT_TRUE(c.log.access);
}

struct bad_case {
  std::string key;
  std::string value;
};

class config_rejects : public ::testing::TestWithParam<bad_case> {};

TEST_P(config_rejects, bad_value_names_the_key) {
  config_sources src;
  src.overrides = {{GetParam().key, GetParam().value}};
  try {
    resolve_config(src);
    FAIL() << "accepted " << GetParam().key << "=" << GetParam().value;
  } catch (const config_error& e) {
    EXPECT_EQ(e.key(), GetParam().key);
  }
}

INSTANTIATE_TEST_SUITE_P(
    values, config_rejects,
    ::testing::Values(bad_case{"server.port", "70000"}, bad_case{"server.port", "http"},
                      bad_case{"server.port", "-1"}, bad_case{"server.body_limit", "10"},
                      bad_case{"server.io_threads", "999"}, bad_case{"server.max_connections", "0"},
                      bad_case{"server.read_timeout_ms", "0"}, bad_case{"log.level", "loud"},
                      bad_case{"log.access", "maybe"}, bad_case{"database.url", "mysql:x"},
                      bad_case{"database.health_interval_ms", "1"}, bad_case{"server.nope", "1"}));

TEST(config, file_errors_name_the_key) {
  config_sources src;
  src.file_name = "f.toml";
  src.file_text = "[server]\nprot = 1\n";
  try {
    resolve_config(src);
    FAIL();
  } catch (const config_error& e) {
    EXPECT_EQ(e.key(), "server.prot");
  }
  src.file_text = "[server]\nport = \"eighty\"\n";
  try {
    resolve_config(src);
    FAIL();
  } catch (const config_error& e) {
    EXPECT_EQ(e.key(), "server.port");
  }
  src.file_text = "[server\nport = 1\n";
  EXPECT_THROW(resolve_config(src), config_error);
}

TEST(config, secrets_are_redacted_in_the_description) {
  config_sources src;
  src.overrides = {{"database.url", "postgresql://app:s3cret@db.internal/zhiyuan"}};
  config c = resolve_config(src);
  std::string shown;
  for (const auto& [k, v] : describe(c)) {
    if (k == "database.url") shown = v;
  }
  EXPECT_EQ(shown.find("s3cret"), std::string::npos);
  EXPECT_NE(shown.find("db.internal"), std::string::npos);

  src.overrides = {{"database.url", "host=db password=hunter2 dbname=z"}};
  for (const auto& [k, v] : describe(resolve_config(src))) {
    if (k == "database.url") {
      EXPECT_EQ(v.find("hunter2"), std::string::npos) << v;
    }
  }
}

TEST(config, every_key_is_documented_in_the_shipped_file) {
  // The shipped config/zhiyuan.toml must parse and mention every key.
  std::FILE* f = std::fopen(ZHIYUAN_SOURCE_DIR "/config/zhiyuan.toml", "r");
  ASSERT_NE(f, nullptr);
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  config_sources src;
  src.file_text = text;
  src.file_name = "config/zhiyuan.toml";
  EXPECT_NO_THROW(resolve_config(src));
  for (const auto& [key, doc] : documented_keys()) {
    const std::string leaf = key.substr(key.find('.') + 1);
    EXPECT_NE(text.find("\n" + leaf + " = "), std::string::npos) << key;
  }
}

TEST(config, unknown_environment_variable_is_an_error) {
  config_sources src;
  src.env = env_of({{"ZHIYUAN_SERVER_TRUSTED_PROXY", "10.0.0.0/8"}});
  src.env_names = {"ZHIYUAN_SERVER_PORT", "ZHIYUAN_SERVER_TRUSTED_PROXY"};
  try {
    resolve_config(src);
    FAIL() << "accepted an unknown ZHIYUAN_ variable";
  } catch (const config_error& e) {
    EXPECT_EQ(e.key(), "ZHIYUAN_SERVER_TRUSTED_PROXY");
  }
  // The config file's own variable and the build tools' variables are not keys but allowed.
  src.env_names = {"ZHIYUAN_SERVER_PORT", "ZHIYUAN_CONFIG", "ZHIYUAN_BENCH_VAR_DIR",
                   "ZHIYUAN_BUILD_DIR"};
  EXPECT_NO_THROW(resolve_config(src));
}

}  // namespace
}  // namespace zhiyuan::server
