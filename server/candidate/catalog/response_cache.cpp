#include "server/candidate/catalog/response_cache.hpp"

#include <mutex>

#include "server/http/request.hpp"

namespace zhiyuan::server {

bool response_cache::serve(std::string_view key, request_context& ctx) const {
  std::shared_lock lock(mutex_);
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  if (!not_modified(ctx, it->second.etag)) ctx.res.share_body(it->second.body);
  return true;
}

void response_cache::put(std::string_view key, std::string_view etag, std::string_view body) {
  const std::size_t size = key.size() + etag.size() + body.size();
  if (size > max_bytes_ / 4) return;
  std::unique_lock lock(mutex_);
  if (map_.find(key) != map_.end()) return;
  while (!order_.empty() && (map_.size() >= max_entries_ || bytes_ + size > max_bytes_)) {
    auto old = map_.find(order_.front());
    bytes_ -= order_.front().size() + old->second.etag.size() + old->second.body->bytes.size();
    map_.erase(old);
    order_.pop_front();
  }
  map_.emplace(std::string(key), entry{std::string(etag), store_body(arena_, std::string(body))});
  order_.emplace_back(key);
  bytes_ += size;
}

std::size_t response_cache::size() const {
  std::shared_lock lock(mutex_);
  return map_.size();
}

std::size_t response_cache::bytes() const {
  std::shared_lock lock(mutex_);
  return bytes_;
}

}  // namespace zhiyuan::server
