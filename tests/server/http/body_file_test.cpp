#include "server/http/body_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace zhiyuan::server {
namespace {

std::string read_back(const body_file_ref& f, std::size_t size) {
  std::string out(size, '\0');
  const ssize_t n = ::pread(f.fd, out.data(), size, f.offset);
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

long blocks_of(int fd) {
  struct stat st {};
  ::fstat(fd, &st);
  return static_cast<long>(st.st_blocks);
}

TEST(body_file, stored_bodies_lie_in_the_file_each_on_its_own_pages) {
  const auto arena = body_arena::create("body-file-test");
  ASSERT_TRUE(arena);
  const auto a = arena->store(std::string(5000, 'a'));
  const auto b = arena->store("bee");
  ASSERT_GE(a->file.fd, 0);
  EXPECT_EQ(read_back(a->file, 5000), std::string(5000, 'a'));
  EXPECT_EQ(read_back(b->file, 3), "bee");
  EXPECT_EQ(b->file.offset % ::sysconf(_SC_PAGESIZE), 0);
  EXPECT_GE(b->file.offset, 5000);
}

TEST(body_file, a_body_gone_gives_its_pages_back_and_leaves_the_others) {
  const auto arena = body_arena::create("body-file-test");
  ASSERT_TRUE(arena);
  auto big = arena->store(std::string(1 << 20, 'x'));
  const auto kept = arena->store("kept");
  const int fd = kept->file.fd;
  const long before = blocks_of(fd);
  big.reset();
  EXPECT_LT(blocks_of(fd), before);
  EXPECT_EQ(read_back(kept->file, 4), "kept");
}

TEST(body_file, without_an_arena_a_body_is_kept_in_memory_only) {
  const auto body = store_body(nullptr, "plain");
  EXPECT_EQ(body->bytes, "plain");
  EXPECT_EQ(body->file.fd, -1);
}

}  // namespace
}  // namespace zhiyuan::server
