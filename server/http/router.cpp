#include "server/http/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace zhiyuan::server {
namespace {

// Splits "/a/b/c" into {"a","b","c"}; a trailing slash yields an empty last segment, so
// "/a/" and "/a" are different paths, as in most REST APIs.
template <typename Fn>
void for_each_segment(std::string_view path, Fn&& fn) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    fn(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
}

// ASCII case folding: header names are ASCII, and std::tolower's locale lookup per character
// ran for every header of every answer.
bool same_name(std::string_view a, std::string_view b) {
  const auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [&fold](char x, char y) { return fold(x) == fold(y); });
}

}  // namespace

void secure_defaults(response& res) {
  if (!res.head_lines.empty()) return;  // complete by contract (response::head_lines)
  bool nosniff = false, cache = false, etag = false;
  for (const auto& [name, value] : res.headers) {
    nosniff = nosniff || same_name(name, "X-Content-Type-Options");
    cache = cache || same_name(name, "Cache-Control");
    etag = etag || same_name(name, "ETag");
  }
  // Browsers must not guess a type other than the one sent (a JSON body read as HTML).
  if (!nosniff) res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!cache) res.headers.emplace_back("Cache-Control", etag ? "private, no-cache" : "no-store");
}

router::router(std::vector<route_spec> routes) : routes_(std::move(routes)) {
  for (const auto& r : routes_) {
    if (r.pattern.empty() || r.pattern.front() != '/') {
      throw std::invalid_argument("route pattern must start with '/': " + r.pattern);
    }
    std::vector<segment> segs;
    std::size_t params = 0;
    for_each_segment(r.pattern, [&](std::string_view s) {
      const bool is_param = s.size() >= 2 && s.front() == '{' && s.back() == '}';
      if (!segs.empty() && segs.back().is_rest) {
        throw std::invalid_argument("{*rest} must be the last segment of " + r.pattern);
      }
      if (is_param && s[1] == '*') {
        ++params;
        segs.push_back({std::string(s.substr(2, s.size() - 3)), true, true});
      } else if (is_param) {
        ++params;
        segs.push_back({std::string(s.substr(1, s.size() - 2)), true});
      } else {
        if (s.find_first_of("{}") != std::string_view::npos) {
          throw std::invalid_argument("bad segment '" + std::string(s) + "' in " + r.pattern);
        }
        segs.push_back({std::string(s), false});
      }
    });
    if (params > route_params::max) {
      throw std::invalid_argument("too many parameters in " + r.pattern);
    }
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      if (routes_[i].method == r.method && routes_[i].pattern == r.pattern) {
        throw std::invalid_argument("duplicate route " + r.pattern);
      }
    }
    std::string prefix = r.pattern.substr(0, r.pattern.find('{'));
    longest_prefix_ = std::max(longest_prefix_, prefix.size());
    by_prefix_[std::move(prefix)].push_back(static_cast<std::uint32_t>(segments_.size()));
    segments_.push_back(std::move(segs));
    names_.push_back(std::string(http::to_string(r.method)) + " " + r.pattern);
  }
}

bool router::match_pattern(const std::vector<segment>& pattern, std::string_view path,
                           route_params& params) {
  params.size = 0;
  std::size_t i = 0;
  bool ok = true;
  bool rest_taken = false;
  for_each_segment(path, [&](std::string_view s) {
    if (!ok || rest_taken) return;
    if (i == pattern.size()) {
      ok = false;
      return;
    }
    const segment& p = pattern[i++];
    if (p.is_rest) {
      // The segments of a path are views into it: the rest runs from this one to its end.
      params.items[params.size++] = {p.text, std::string_view(s.data(), path.end() - s.data())};
      rest_taken = true;
    } else if (p.is_param) {
      if (s.empty()) {
        ok = false;
        return;
      }
      params.items[params.size++] = {p.text, s};
    } else if (p.text != s) {
      ok = false;
    }
  });
  return ok && i == pattern.size();
}

template <std::size_t N>
bool router::candidates(std::string_view path, std::uint32_t (&out)[N], std::size_t& n) const {
  n = 0;
  if (!path.starts_with('/')) return false;
  bool fits = true;
  const auto add = [&](std::string_view prefix) {
    const auto it = by_prefix_.find(prefix);
    if (it == by_prefix_.end()) return;
    for (const std::uint32_t i : it->second) {
      if (n == N) {
        fits = false;
        return;
      }
      out[n++] = i;
    }
  };
  // Only as far as the longest prefix registered: a path of thousands of '/' must not hash
  // each of its thousands of prefixes.
  for (auto slash = path.find('/');
       slash != std::string_view::npos && slash < longest_prefix_ && fits;
       slash = path.find('/', slash + 1)) {
    add(path.substr(0, slash + 1));
  }
  // A path ending in '/' was looked up whole as its last prefix.
  if (!path.ends_with('/') && path.size() <= longest_prefix_) add(path);
  // Routes are tried in table order, as registered.
  std::sort(out, out + n);
  return fits;
}

route_match router::match(http::verb method, std::string_view path) const {
  route_match m;
  std::vector<std::string_view> allowed;
  route_params params;
  // Room for the routes of all of a path's prefixes in the tables here, preflights included.
  std::uint32_t found[128];
  std::size_t n = 0;
  const bool indexed = candidates(path, found, n);
  const std::size_t count = indexed ? n : routes_.size();
  // Fallbacks ({*rest}) only for paths no other pattern matches.
  const auto is_fallback = [this](std::size_t i) {
    return !segments_[i].empty() && segments_[i].back().is_rest;
  };
  for (int pass = 0; pass < 2 && allowed.empty(); ++pass) {
    for (std::size_t k = 0; k < count; ++k) {
      const std::size_t i = indexed ? found[k] : k;
      if (is_fallback(i) != (pass == 1) || !match_pattern(segments_[i], path, params)) continue;
      if (routes_[i].method == method) {
        m.outcome = route_match::kind::found;
        m.index = i;
        m.params = params;
        return m;
      }
      allowed.push_back(http::to_string(routes_[i].method));
    }
  }
  if (allowed.empty()) return m;
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  m.outcome = route_match::kind::method_not_allowed;
  for (auto a : allowed) {
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += a;
  }
  return m;
}

}  // namespace zhiyuan::server
