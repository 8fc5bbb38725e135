// storage::as_user: the server's connection string that signs in as the application role.
#include <gtest/gtest.h>

#include "storage/database.hpp"

namespace zhiyuan::storage {
namespace {

TEST(conninfo_test, the_user_is_replaced_in_either_form_of_connection_string) {
  EXPECT_EQ(
      as_user("host=/tmp dbname=z user=postgres options='-c statement_timeout=5s'", "zhiyuan_app"),
      "host=/tmp dbname=z user=postgres options='-c statement_timeout=5s' user=zhiyuan_app");
  EXPECT_EQ(as_user("postgresql://u@db.example/z", "zhiyuan_app"),
            "postgresql://u@db.example/z?user=zhiyuan_app");
  EXPECT_EQ(as_user("postgres://u@db/z?sslmode=require", "app"),
            "postgres://u@db/z?sslmode=require&user=app");
  EXPECT_EQ(as_user("host=/tmp dbname=z", ""), "host=/tmp dbname=z");
}

}  // namespace
}  // namespace zhiyuan::storage
