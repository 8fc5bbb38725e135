// storage::as_role: the server's connection string that works as the application role.
#include <gtest/gtest.h>

#include "storage/database.hpp"

namespace zhiyuan::storage {
namespace {

TEST(conninfo_test, a_role_is_set_in_either_form_of_connection_string) {
  EXPECT_EQ(as_role("host=/tmp dbname=z user=postgres", "zhiyuan_app"),
            "host=/tmp dbname=z user=postgres options='-c role=zhiyuan_app'");
  EXPECT_EQ(as_role("postgresql://u@db.example/z", "zhiyuan_app"),
            "postgresql://u@db.example/z?options=-c%20role%3Dzhiyuan_app");
  EXPECT_EQ(as_role("postgres://u@db/z?sslmode=require", "app"),
            "postgres://u@db/z?sslmode=require&options=-c%20role%3Dapp");
  EXPECT_EQ(as_role("host=/tmp dbname=z", ""), "host=/tmp dbname=z");
}

}  // namespace
}  // namespace zhiyuan::storage
