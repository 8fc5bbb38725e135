#pragma once

// Serialized responses of one catalog snapshot, bytes and ETag, keyed by the normalized
// request: bounded by entries and bytes, oldest evicted first. Shared by every I/O thread.

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/http/body_file.hpp"
#include "server/http/message.hpp"

namespace zhiyuan::server {

class response_cache {
 public:
  /// At most `max_entries` responses and `max_bytes` of keys, tags and bodies; a single response
  /// over a quarter of `max_bytes` is not kept.
  explicit response_cache(std::size_t max_entries = 4096, std::size_t max_bytes = 64u << 20)
      : max_entries_(max_entries),
        max_bytes_(max_bytes),
        arena_(body_arena::create("zhiyuan-cache")) {}

  /// On a hit answers the request (the body, shared with the cache: response::shared_body; or
  /// a 304 when If-None-Match holds the tag) and returns true.
  bool serve(std::string_view key, request_context& ctx) const;

  /// Keeps a response (the first one stored under `key` stays).
  void put(std::string_view key, std::string_view etag, std::string_view body);

  std::size_t size() const;
  std::size_t bytes() const;

 private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  struct entry {
    std::string etag;
    /// Answered by reference, never copied: sent from its memory file where it has one.
    std::shared_ptr<const stored_body> body;
  };

  std::size_t max_entries_;
  std::size_t max_bytes_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, entry, string_hash, std::equal_to<>> map_;
  std::deque<std::string> order_;  // insertion order, for eviction
  std::size_t bytes_ = 0;
  std::shared_ptr<body_arena> arena_;  ///< null where memory files are refused
};

}  // namespace zhiyuan::server
