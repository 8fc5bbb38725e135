#include "server/candidate/catalog/snapshot.hpp"

#include <charconv>

#include <fmt/format.h>

#include "core/plan_filter.hpp"
#include "server/http/request.hpp"

namespace zhiyuan::server {

std::string catalog_snapshot::etag_of(std::string_view key) const {
  return fmt::format("{}-{:016x}", tag_hex, core::fnv1a(key));
}

void catalog_snapshot::answer_and_cache(request_context& ctx, std::string_view key,
                                        std::string&& body) const {
  const std::string etag = etag_of(key);
  cache.put(key, etag, body);
  if (!not_modified(ctx, etag)) ctx.res.body = std::move(body);
}

std::shared_ptr<const catalog_snapshot> catalog_state::current() {
  auto cat = api_.catalog.load();
  auto ref = api_.reference.load();
  auto s = snap_.load();
  if (s && s->cat == cat && s->ref == ref) return s;
  std::lock_guard lock(rebuild_);
  s = snap_.load();
  if (s && s->cat == cat && s->ref == ref) return s;
  auto next = std::make_shared<catalog_snapshot>();
  next->cat = std::move(cat);
  next->ref = ref ? std::move(ref) : std::make_shared<const storage::reference_data>();
  next->tag = core::fingerprint(*next->cat) ^ (next->ref->fingerprint * 0x9e3779b97f4a7c15ULL);
  next->tag_hex = fmt::format("{:016x}", next->tag);
  for (const core::major_group& g : next->cat->groups()) {
    next->by_college[g.college_code].push_back(&g);
  }
  s = std::move(next);
  snap_.store(s);
  return s;
}

void key_part(std::string& key, std::string_view name, std::string_view value) {
  key += name;
  key += '=';
  // The length without a temporary string: keys are built for every cached answer.
  char digits[24];
  key.append(digits, std::to_chars(digits, digits + sizeof digits, value.size()).ptr);
  key += ':';
  key += value;
  key += ';';
}

}  // namespace zhiyuan::server
