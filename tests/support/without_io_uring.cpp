// without_io_uring CMD ARGS…: runs CMD with io_uring_setup(2) refused (EPERM), e.g. to see
// zhiyuan-server --server.io auto fall back to epoll and say so.
#include <unistd.h>

#include <cstdio>

#include "tests/support/no_io_uring.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: without_io_uring CMD [ARGS...]\n");
    return 2;
  }
  if (!zhiyuan::test::forbid_io_uring()) {
    std::perror("seccomp");
    return 1;
  }
  execvp(argv[1], argv + 1);
  std::perror("execvp");
  return 127;
}
