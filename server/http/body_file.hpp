#pragma once

// Immutable response bodies (cached pages, the web app's files) kept in memory and also written
// into a memory file (memfd), so that the native loop can hand the kernel their pages with
// sendfile(2) instead of copying the bytes into the socket: copying a 16 KiB page cost more
// CPU than everything else the request did (bench/RESULTS.md, 2026-12-07), and nginx sends the
// same page from its page cache without a copy.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace zhiyuan::server {

/// Where a body's bytes also lie in a file: sendfile(2) from `fd` at `offset`; fd -1: nowhere.
struct body_file_ref {
  int fd = -1;
  std::int64_t offset = 0;
};

class body_arena;

/// A body kept by a body_arena: its bytes in memory and, unless the arena could not take them,
/// in the arena's file; the file's pages are given back when the last reference goes.
struct stored_body {
  std::string bytes;
  body_file_ref file;
  std::shared_ptr<body_arena> arena;

  stored_body() = default;
  stored_body(const stored_body&) = delete;
  stored_body& operator=(const stored_body&) = delete;
  ~stored_body();
};

/// One memory file holding many bodies, each from a page boundary, so that the pages of one
/// body are freed (a hole punched) when it goes without touching another's bytes. Written
/// bytes are never changed: pages the kernel still sends from keep their content.
class body_arena : public std::enable_shared_from_this<body_arena> {
 public:
  /// A new arena, or null where memory files are refused (bodies are then copied when sent).
  static std::shared_ptr<body_arena> create(const char* name);
  body_arena(const body_arena&) = delete;
  body_arena& operator=(const body_arena&) = delete;
  ~body_arena();

  /// Keeps `bytes`, in the file too unless writing it fails (then `file.fd` is -1).
  std::shared_ptr<const stored_body> store(std::string bytes);
  /// Keeps a copy of `bytes` in the file only; the caller keeps the bytes in memory and the
  /// arena alive as long as the result is sent from. {-1, 0} when writing fails.
  body_file_ref mirror(std::string_view bytes);

  /// Gives back the pages of `size` bytes stored at `offset`.
  void release(std::int64_t offset, std::size_t size);

 private:
  explicit body_arena(int fd) : fd_(fd) {}
  int fd_;
  std::mutex mutex_;
  std::int64_t end_ = 0;  ///< where the next body goes (a page boundary)
};

/// `bytes` kept by `arena`, or in memory only when there is no arena.
std::shared_ptr<const stored_body> store_body(const std::shared_ptr<body_arena>& arena,
                                              std::string bytes);

}  // namespace zhiyuan::server
