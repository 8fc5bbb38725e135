// The catalog (read-mostly) part of the candidate API: schedule, plans, colleges, historical
// scores, score tables, rank, suggestions and popularity. Everything is served from memory:
// the catalog and reference snapshots, the candidate directory and the popularity index.
// Handlers run on the I/O thread (sync_handler) and never touch the database.
//
// Non-personal responses are serialized once per snapshot and kept, bytes and ETag, in a
// bounded cache keyed by the normalized request; pages that depend on the candidate
// (fits_me=true) are keyed by the candidate's profile key (track, category, electives,
// eligibility), which few combinations share.
//
// "This year" is the filing schedule's year (api.schedule): the server files that year's
// applications, and the reference data holds that year's score table plus the earlier years.
#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "core/batch.hpp"
#include "core/plan_filter.hpp"
#include "core/schedule.hpp"
#include "core/score_table.hpp"
#include "core/time.hpp"
#include "server/candidate/context.hpp"
#include "server/candidate/helpers.hpp"
#include "server/http/json_writer.hpp"

namespace zhiyuan::server {
namespace {

using core::errc;

constexpr std::size_t default_page_size = 20;
constexpr std::size_t max_page_size = 100;
constexpr std::size_t max_text_bytes = 64;   // q, region
constexpr std::size_t max_code_bytes = 32;   // college codes
constexpr std::size_t per_class_limit = 50;  // suggestions
constexpr std::size_t cache_max_entries = 4096;
constexpr std::size_t cache_max_bytes = 64u << 20;

// ------------------------------------------------------------------ cache

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

// Serialized responses of one snapshot: bounded by entries and bytes, oldest evicted first.
class response_cache {
 public:
  // On a hit answers the request (body or 304) and returns true.
  bool serve(std::string_view key, request_context& ctx) const {
    std::shared_lock lock(mutex_);
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    if (!not_modified(ctx, it->second.etag)) ctx.res.body.assign(it->second.body);
    return true;
  }

  void put(std::string_view key, std::string_view etag, std::string_view body) {
    const std::size_t size = key.size() + etag.size() + body.size();
    if (size > cache_max_bytes / 4) return;
    std::unique_lock lock(mutex_);
    if (map_.find(key) != map_.end()) return;
    while (!order_.empty() &&
           (map_.size() >= cache_max_entries || bytes_ + size > cache_max_bytes)) {
      auto old = map_.find(order_.front());
      bytes_ -= order_.front().size() + old->second.etag.size() + old->second.body.size();
      map_.erase(old);
      order_.pop_front();
    }
    map_.emplace(std::string(key), entry{std::string(etag), std::string(body)});
    order_.emplace_back(key);
    bytes_ += size;
  }

 private:
  struct entry {
    std::string etag;
    std::string body;
  };
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, entry, string_hash, std::equal_to<>> map_;
  std::deque<std::string> order_;  // insertion order, for eviction
  std::size_t bytes_ = 0;
};

// ---------------------------------------------------------------- snapshot

// What the handlers serve from: the catalog and reference snapshots, their combined tag, an
// index of groups by college, and the cache of serialized responses.
struct snapshot {
  std::shared_ptr<const core::catalog> cat;
  std::shared_ptr<const storage::reference_data> ref;
  std::uint64_t tag = 0;
  std::string tag_hex;
  std::unordered_map<std::string_view, std::vector<const core::major_group*>> by_college;
  mutable response_cache cache;
};

// Holds the current snapshot; rebuilds it when main swaps the catalog or the reference data.
class catalog_state {
 public:
  explicit catalog_state(candidate_api_context& api) : api_(api) {}

  std::shared_ptr<const snapshot> current() {
    auto cat = api_.catalog.load();
    auto ref = api_.reference.load();
    auto s = snap_.load();
    if (s && s->cat == cat && s->ref == ref) return s;
    std::lock_guard lock(rebuild_);
    s = snap_.load();
    if (s && s->cat == cat && s->ref == ref) return s;
    auto next = std::make_shared<snapshot>();
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

  candidate_api_context& api() { return api_; }

 private:
  candidate_api_context& api_;
  std::mutex rebuild_;
  std::atomic<std::shared_ptr<const snapshot>> snap_;
};

// ------------------------------------------------------------- encoding

std::string_view to_code(core::first_requirement f) {
  switch (f) {
    case core::first_requirement::physics:
      return "physics";
    case core::first_requirement::history:
      return "history";
    case core::first_requirement::either:
      return "either";
  }
  return "either";
}

std::string_view to_code(core::second_requirement s) {
  switch (s) {
    case core::second_requirement::none:
      return "none";
    case core::second_requirement::one:
      return "one";
    case core::second_requirement::both:
      return "both";
    case core::second_requirement::either:
      return "either";
  }
  return "none";
}

// "首选物理，再选化学和生物" and the like.
std::string requirement_zh(const core::subject_requirement& r) {
  std::string out = "首选";
  switch (r.first) {
    case core::first_requirement::physics:
      out += "物理";
      break;
    case core::first_requirement::history:
      out += "历史";
      break;
    case core::first_requirement::either:
      out += "不限";
      break;
  }
  out += "，再选";
  switch (r.second) {
    case core::second_requirement::none:
      out += "不限";
      break;
    case core::second_requirement::one:
      out += core::name_zh(r.a);
      break;
    case core::second_requirement::both:
      out += core::name_zh(r.a);
      out += "和";
      out += core::name_zh(r.b);
      break;
    case core::second_requirement::either:
      out += core::name_zh(r.a);
      out += "或";
      out += core::name_zh(r.b);
      break;
  }
  return out;
}

void write_window(json_writer& w, const core::window& win) {
  w.begin_object();
  w.key("open").value(core::format_rfc3339(win.open));
  w.key("close").value(core::format_rfc3339(win.close));
  w.end_object();
}

void write_college(json_writer& w, const core::college& c) {
  w.begin_object();
  w.key("code").value(c.code);
  w.key("name").value(c.name);
  w.key("region").value(c.region);
  w.key("type").value(c.type);
  w.end_object();
}

// A group with its college's name and region, its subject requirement and its majors.
void write_group(json_writer& w, const core::catalog& cat, const core::major_group& g) {
  const core::college* c = cat.find_college(g.college_code);
  w.begin_object();
  w.key("id").value(g.id);
  w.key("college_code").value(g.college_code);
  w.key("college_name").value(c ? std::string_view(c->name) : std::string_view());
  w.key("region").value(c ? std::string_view(c->region) : std::string_view());
  w.key("group_code").value(g.group_code);
  w.key("batch").value(core::to_code(g.b));
  w.key("track").value(core::to_code(g.trk));
  w.key("category").value(core::to_code(g.cat));
  w.key("special_type").value(g.special_type);
  w.key("plan_count").value(g.plan_count);
  w.key("requirement").begin_object();
  w.key("first").value(to_code(g.requirement.first));
  w.key("second").value(to_code(g.requirement.second));
  w.key("subjects").begin_array();
  if (g.requirement.second != core::second_requirement::none) {
    w.value(core::to_code(g.requirement.a));
    if (g.requirement.second != core::second_requirement::one) {
      w.value(core::to_code(g.requirement.b));
    }
  }
  w.end_array();
  w.key("text_zh").value(requirement_zh(g.requirement));
  w.end_object();
  w.key("majors").begin_array();
  for (const core::major& m : cat.majors_of(g)) {
    w.begin_object();
    w.key("id").value(m.id);
    w.key("code").value(m.code);
    w.key("name").value(m.name);
    w.key("plan_count").value(m.plan_count);
    w.key("years").value(m.years);
    w.key("tuition").value(m.tuition);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

// The candidate's facts, or nullopt after a 403.
std::optional<storage::candidate_directory::entry> directory_entry(request_context& ctx,
                                                                   candidate_api_context& api,
                                                                   std::int64_t candidate) {
  auto e = api.candidate(candidate);
  if (!e) fail(ctx, errc::forbidden, "not a registered candidate");
  return e;
}

// --------------------------------------------------------------- query

// A text query parameter: absent or empty → "", malformed or too long → 400 naming it.
bool text_param(request_context& ctx, std::string_view name, std::size_t max_bytes,
                std::string& out) {
  auto q = query_param(ctx.query, name);
  if (q.malformed || q.value.size() > max_bytes) {
    fail(ctx, errc::invalid_field,
         fmt::format("{}: at most {} bytes of UTF-8 text, percent-encoded", name, max_bytes));
    return false;
  }
  out = std::move(q.value);
  return true;
}

bool batch_param(request_context& ctx, bool required, std::optional<core::batch>& out) {
  std::string v;
  if (!text_param(ctx, "batch", 32, v)) return false;
  if (v.empty() && !required) return true;
  out = core::parse_batch(v);
  if (!out) {
    fail(ctx, errc::invalid_field,
         "batch: one of early_undergrad, undergrad, early_vocational, vocational");
    return false;
  }
  return true;
}

bool track_param(request_context& ctx, std::optional<core::track>& out) {
  std::string v;
  if (!text_param(ctx, "track", 32, v)) return false;
  if (v.empty()) return true;
  out = core::parse_track(v);
  if (!out) {
    fail(ctx, errc::invalid_field, "track: physics or history");
    return false;
  }
  return true;
}

// A positive decimal integer without sign or leading garbage.
std::optional<std::int64_t> parse_id(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty() || s.size() > 18 || s.front() == '0') return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

// Page tokens: base64url (no padding) of [version 1][snapshot tag][filter hash][last group id],
// numbers little-endian. A token only resumes the query and snapshot that issued it.
constexpr std::size_t token_bytes = 1 + 8 + 8 + 8;

std::string encode_token(std::uint64_t tag, std::uint64_t filter, core::group_id last) {
  unsigned char bin[token_bytes];
  bin[0] = 1;
  std::memcpy(bin + 1, &tag, 8);
  std::memcpy(bin + 9, &filter, 8);
  std::memcpy(bin + 17, &last, 8);
  char out[sodium_base64_ENCODED_LEN(token_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, bin, sizeof bin, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

std::optional<core::group_id> decode_token(std::string_view token, std::uint64_t tag,
                                           std::uint64_t filter) {
  unsigned char bin[token_bytes];
  std::size_t n = 0;
  const char* end = nullptr;
  if (token.size() > 64 ||
      sodium_base642bin(bin, sizeof bin, token.data(), token.size(), nullptr, &n, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != token.data() + token.size() || n != token_bytes || bin[0] != 1) {
    return std::nullopt;
  }
  std::uint64_t t, f;
  core::group_id last;
  std::memcpy(&t, bin + 1, 8);
  std::memcpy(&f, bin + 9, 8);
  std::memcpy(&last, bin + 17, 8);
  if (t != tag || f != filter) return std::nullopt;
  return last;
}

// Appends "name=<length>:value;" so that no two different requests share a key.
void key_part(std::string& key, std::string_view name, std::string_view value) {
  key += name;
  key += '=';
  key += std::to_string(value.size());
  key += ':';
  key += value;
  key += ';';
}

std::string etag_of(const snapshot& s, std::string_view key) {
  return fmt::format("{}-{:016x}", s.tag_hex, core::fnv1a(key));
}

// Answers with freshly serialized bytes and remembers them for the next request.
void answer_and_cache(request_context& ctx, const snapshot& s, std::string_view key,
                      std::string&& body) {
  const std::string etag = etag_of(s, key);
  s.cache.put(key, etag, body);
  if (!not_modified(ctx, etag)) ctx.res.body = std::move(body);
}

// --------------------------------------------------------------- handlers

void get_schedule(request_context& ctx, candidate_api_context& api) {
  const auto held = api.schedule.get();
  const core::schedule& s = *held;
  const std::int64_t now = api.now_seconds();
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("year").value(s.year);
  w.key("server_time").value(core::format_rfc3339(now));
  w.key("drill");
  write_window(w, s.drill);
  w.key("drill_active").value(s.drill.contains(now));
  w.key("assisted_open").value(core::format_rfc3339(s.assisted_open));
  w.key("confirm_deadline").value(core::format_rfc3339(s.confirm_deadline));
  w.key("batches").begin_array();
  for (core::batch b : core::all_batches) {
    const core::batch_schedule& bs = s.of(b);
    const core::decision submit = core::decide(s, b, core::action::submit, now);
    w.begin_object();
    w.key("batch").value(core::to_code(b));
    w.key("name_zh").value(core::name_zh(b));
    w.key("phase").value(core::to_code(core::phase_at(s, b, now)));
    w.key("may_browse").value(core::decide(s, b, core::action::browse, now).allowed());
    w.key("may_submit").value(submit.allowed());
    w.key("next_submit_open");
    if (submit.next_open) {
      w.value(core::format_rfc3339(*submit.next_open));
    } else {
      w.null();
    }
    w.key("formal");
    write_window(w, bs.formal);
    w.key("special");
    if (bs.special) {
      write_window(w, *bs.special);
    } else {
      w.null();
    }
    w.key("supplementary").begin_array();
    for (const core::supplementary_round& r : s.supplementary) {
      if (r.batches.contains(b)) write_window(w, r.when);
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  ctx.res.headers.emplace_back("Cache-Control", "no-store");
}

void get_plans(request_context& ctx, catalog_state& state) {
  candidate_api_context& api = state.api();
  const auto session = authenticate(ctx, api);
  if (!session) return;
  std::optional<core::batch> b;
  std::optional<core::track> trk;
  std::string college, region, text, fits, size_text, token;
  if (!batch_param(ctx, false, b) || !track_param(ctx, trk) ||
      !text_param(ctx, "college", max_code_bytes, college) ||
      !text_param(ctx, "region", max_text_bytes, region) ||
      !text_param(ctx, "q", max_text_bytes, text) || !text_param(ctx, "fits_me", 8, fits) ||
      !text_param(ctx, "page_size", 8, size_text) || !text_param(ctx, "page_token", 64, token)) {
    return;
  }
  if (!fits.empty() && fits != "true" && fits != "false") {
    fail(ctx, errc::invalid_field, "fits_me: true or false");
    return;
  }
  std::size_t page_size = default_page_size;
  if (!size_text.empty()) {
    const auto n = parse_id(size_text);
    if (!n || *n > static_cast<std::int64_t>(max_page_size)) {
      fail(ctx, errc::invalid_field, fmt::format("page_size: an integer 1..{}", max_page_size));
      return;
    }
    page_size = static_cast<std::size_t>(*n);
  }
  core::candidate who;
  if (fits == "true") {
    const auto e = directory_entry(ctx, api, session->candidate_id);
    if (!e) return;
    who = e->to_core();
  }

  const auto snap = state.current();
  // The filters in one normalized string: the page token's check and the cache key's stem.
  thread_local std::string key;
  key.clear();
  key += "plans?";
  key_part(key, "b", b ? core::to_code(*b) : "");
  key_part(key, "t", trk ? core::to_code(*trk) : "");
  key_part(key, "c", college);
  key_part(key, "r", region);
  key_part(key, "q", text);
  key_part(key, "f", fits == "true" ? std::to_string(core::profile_key(who)) : "");
  const std::uint64_t filter_hash = core::fnv1a(key);
  std::optional<core::group_id> after;
  if (!token.empty()) {
    after = decode_token(token, snap->tag, filter_hash);
    if (!after) {
      fail(ctx, errc::invalid_field,
           "page_token: not issued for this query and catalog snapshot; start again without it");
      return;
    }
  }
  key_part(key, "n", std::to_string(page_size));
  key_part(key, "a", after ? std::to_string(*after) : "");
  if (snap->cache.serve(key, ctx)) return;

  core::plan_filter f;
  f.b = b;
  f.trk = trk;
  f.college = college;
  f.region = region;
  f.text = text;
  f.fits = fits == "true" ? &who : nullptr;
  auto page = core::select_plans(*snap->cat, f, after, page_size);
  if (!page) {
    fail(ctx, errc::invalid_field, "page_token: does not point into this result");
    return;
  }
  std::string body;
  json_writer w(body);
  w.begin_object();
  w.key("total").value(static_cast<std::int64_t>(page->total));
  w.key("page_size").value(static_cast<std::int64_t>(page_size));
  w.key("next_page_token");
  if (page->more && !page->groups.empty()) {
    w.value(encode_token(snap->tag, filter_hash, page->groups.back()->id));
  } else {
    w.null();
  }
  w.key("groups").begin_array();
  for (const core::major_group* g : page->groups) write_group(w, *snap->cat, *g);
  w.end_array();
  w.end_object();
  answer_and_cache(ctx, *snap, key, std::move(body));
}

// The group of the path's {group_id}, or nullptr after a 400/404.
const core::major_group* path_group(request_context& ctx, const snapshot& s) {
  const auto id = parse_id(ctx.params.get("group_id"));
  if (!id) {
    fail(ctx, errc::invalid_field, "group_id: a positive integer");
    return nullptr;
  }
  const core::major_group* g = s.cat->find_group(*id);
  if (g == nullptr) fail(ctx, errc::not_found, "no such major group");
  return g;
}

void get_plan(request_context& ctx, catalog_state& state) {
  if (!authenticate(ctx, state.api())) return;
  const auto snap = state.current();
  const core::major_group* g = path_group(ctx, *snap);
  if (g == nullptr) return;
  thread_local std::string key;
  key.clear();
  key += "plan/";
  key += std::to_string(g->id);
  if (snap->cache.serve(key, ctx)) return;
  std::string body;
  json_writer w(body);
  write_group(w, *snap->cat, *g);
  answer_and_cache(ctx, *snap, key, std::move(body));
}

void get_college(request_context& ctx, catalog_state& state) {
  if (!authenticate(ctx, state.api())) return;
  const auto snap = state.current();
  const std::string_view code = ctx.params.get("code");
  const core::college* c = code.size() <= max_code_bytes ? snap->cat->find_college(code) : nullptr;
  if (c == nullptr) {
    fail(ctx, errc::not_found, "no such college");
    return;
  }
  thread_local std::string key;
  key.clear();
  key += "college/";
  key += c->code;
  if (snap->cache.serve(key, ctx)) return;
  std::string body;
  json_writer w(body);
  w.begin_object();
  w.key("college");
  write_college(w, *c);
  w.key("batches").begin_array();
  const auto it = snap->by_college.find(c->code);
  for (core::batch b : core::all_batches) {
    bool open = false;
    if (it != snap->by_college.end()) {
      // by_college lists the groups in catalog order: each batch's groups are contiguous.
      for (const core::major_group* g : it->second) {
        if (g->b != b) continue;
        if (!open) {
          w.begin_object();
          w.key("batch").value(core::to_code(b));
          w.key("groups").begin_array();
          open = true;
        }
        write_group(w, *snap->cat, *g);
      }
    }
    if (open) w.end_array().end_object();
  }
  w.end_array();
  w.end_object();
  answer_and_cache(ctx, *snap, key, std::move(body));
}

// This year's equivalent (等位分) of `score` in `year`: the score this year with the same rank.
std::optional<int> equivalent_this_year(const storage::reference_data& ref, int this_year,
                                        core::track t, int year, int score) {
  const core::score_table* then = ref.table(year, t);
  const core::score_table* now = ref.table(this_year, t);
  if (then == nullptr || now == nullptr) return std::nullopt;
  // equivalent_score maps a score of its first table to the second: from `year` to this year.
  return core::equivalent_score(*then, score, *now);
}

void write_history(json_writer& w, const snapshot& s, int this_year, const core::major_group& g) {
  w.begin_object();
  w.key("group_id").value(g.id);
  w.key("college_code").value(g.college_code);
  w.key("group_code").value(g.group_code);
  w.key("batch").value(core::to_code(g.b));
  w.key("track").value(core::to_code(g.trk));
  w.key("years").begin_array();
  for (const auto& h : s.ref->history_of(g.id)) {
    // Only earlier years are history; the first three (most recent first) are shown.
    if (h.year >= this_year) continue;
    w.begin_object();
    w.key("year").value(h.year);
    w.key("min_score").value(h.min_score);
    w.key("min_rank").value(h.min_rank);
    w.key("admitted").value(h.admitted);
    w.key("equivalent_score");
    if (auto e = equivalent_this_year(*s.ref, this_year, g.trk, h.year, h.min_score)) {
      w.value(*e);
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void get_scores(request_context& ctx, catalog_state& state) {
  candidate_api_context& api = state.api();
  if (!authenticate(ctx, api)) return;
  std::string college, group;
  if (!text_param(ctx, "college", max_code_bytes, college) ||
      !text_param(ctx, "group", 20, group)) {
    return;
  }
  if (college.empty() == group.empty()) {
    fail(ctx, errc::invalid_field, "college, group: give exactly one of them");
    return;
  }
  const auto snap = state.current();
  std::vector<const core::major_group*> groups;
  thread_local std::string key;
  key.clear();
  if (!group.empty()) {
    const auto id = parse_id(group);
    if (!id) {
      fail(ctx, errc::invalid_field, "group: a positive integer group id");
      return;
    }
    const core::major_group* g = snap->cat->find_group(*id);
    if (g == nullptr) {
      fail(ctx, errc::not_found, "no such major group");
      return;
    }
    groups.push_back(g);
  } else {
    if (snap->cat->find_college(college) == nullptr) {
      fail(ctx, errc::not_found, "no such college");
      return;
    }
    if (auto it = snap->by_college.find(college); it != snap->by_college.end()) {
      groups = it->second;
    }
  }
  const int this_year = api.schedule.get()->year;
  key += "scores?";
  key_part(key, "y", std::to_string(this_year));
  key_part(key, "c", college);
  key_part(key, "g", group);
  if (snap->cache.serve(key, ctx)) return;
  std::string body;
  json_writer w(body);
  w.begin_object();
  w.key("this_year").value(this_year);
  w.key("groups").begin_array();
  for (const core::major_group* g : groups) write_history(w, *snap, this_year, *g);
  w.end_array();
  w.end_object();
  answer_and_cache(ctx, *snap, key, std::move(body));
}

void get_score_table(request_context& ctx, catalog_state& state) {
  candidate_api_context& api = state.api();
  const auto session = authenticate(ctx, api);
  if (!session) return;
  std::optional<core::track> trk;
  if (!track_param(ctx, trk)) return;
  if (!trk) {
    const auto e = directory_entry(ctx, api, session->candidate_id);
    if (!e) return;
    trk = e->trk;
  }
  const auto snap = state.current();
  const int year = api.schedule.get()->year;
  const core::score_table* table = snap->ref->table(year, *trk);
  if (table == nullptr) {
    fail(ctx, errc::not_found,
         fmt::format("no score table of {} for track {}", year, core::to_code(*trk)));
    return;
  }
  thread_local std::string key;
  key.clear();
  key += "score-table?";
  key_part(key, "y", std::to_string(year));
  key_part(key, "t", core::to_code(*trk));
  if (snap->cache.serve(key, ctx)) return;
  std::string body;
  json_writer w(body);
  w.begin_object();
  w.key("year").value(year);
  w.key("track").value(core::to_code(*trk));
  w.key("total").value(table->total());
  w.key("rows").begin_array();
  // From the top score down; scores nobody reached are left out.
  for (int s = core::max_score; s >= 0; --s) {
    const int n = table->count_at(s);
    if (n == 0) continue;
    w.begin_object();
    w.key("score").value(s);
    w.key("count").value(n);
    w.key("cumulative").value(table->rank(s));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  answer_and_cache(ctx, *snap, key, std::move(body));
}

void get_my_rank(request_context& ctx, catalog_state& state) {
  candidate_api_context& api = state.api();
  const auto session = authenticate(ctx, api);
  if (!session) return;
  const auto e = directory_entry(ctx, api, session->candidate_id);
  if (!e) return;
  if (e->rank <= 0) {
    fail(ctx, errc::not_found, "no exam score on record for this candidate");
    return;
  }
  const auto snap = state.current();
  const int year = api.schedule.get()->year;
  const core::score_table* table = snap->ref->table(year, e->trk);
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("year").value(year);
  w.key("track").value(core::to_code(e->trk));
  w.key("score").value(static_cast<int>(e->score));
  w.key("rank").value(e->rank);
  if (table != nullptr) {
    w.key("tie").begin_object();
    w.key("best_rank").value(table->best_rank(e->score));
    w.key("worst_rank").value(table->rank(e->score));
    w.key("count").value(table->count_at(e->score));
    w.end_object();
    w.key("total").value(table->total());
  } else {
    w.key("tie").null();
    w.key("total").null();
  }
  w.key("equivalent_scores").begin_array();
  for (int y : snap->ref->table_years(e->trk)) {
    if (y >= year || table == nullptr) continue;
    const core::score_table* then = snap->ref->table(y, e->trk);
    w.begin_object();
    w.key("year").value(y);
    w.key("score");
    // equivalent_score maps this year's score to the earlier year's.
    if (auto s = core::equivalent_score(*table, e->score, *then)) {
      w.value(*s);
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
  ctx.res.headers.emplace_back("Cache-Control", "private, no-store");
}

void get_suggestions(request_context& ctx, catalog_state& state) {
  candidate_api_context& api = state.api();
  const auto session = authenticate(ctx, api);
  if (!session) return;
  std::optional<core::batch> b;
  if (!batch_param(ctx, true, b)) return;
  const auto e = directory_entry(ctx, api, session->candidate_id);
  if (!e) return;
  const auto snap = state.current();
  const int this_year = api.schedule.get()->year;
  const core::candidate who = e->to_core();
  const storage::reference_data& ref = *snap->ref;
  const core::history_lookup history = [&ref, this_year](const core::major_group& g) {
    std::array<int, 3> ranks{};
    std::size_t n = 0;
    for (const auto& h : ref.history_of(g.id)) {
      if (h.year >= this_year) continue;
      if (n == ranks.size()) break;
      ranks[n++] = h.min_rank;
    }
    return ranks;
  };
  const auto lists = core::suggest(who, snap->cat->groups_in(*b), history, per_class_limit);
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("batch").value(core::to_code(*b));
  w.key("rank").value(who.rank);
  w.key("order").value(
      "closest first: ascending |rank - average historical minimum rank| / average, then "
      "group id");
  w.key("limit_per_class").value(static_cast<std::int64_t>(per_class_limit));
  for (core::fit f : {core::fit::reach, core::fit::match, core::fit::safe}) {
    const auto k = static_cast<std::size_t>(f);
    w.key(core::to_code(f)).begin_object();
    w.key("total").value(static_cast<std::int64_t>(lists.totals[k]));
    w.key("groups").begin_array();
    for (const core::suggestion& s : lists.lists[k]) {
      const core::major_group& g = *s.group;
      const core::college* c = snap->cat->find_college(g.college_code);
      w.begin_object();
      w.key("group_id").value(g.id);
      w.key("college_code").value(g.college_code);
      w.key("college_name").value(c ? std::string_view(c->name) : std::string_view());
      w.key("group_code").value(g.group_code);
      w.key("special_type").value(g.special_type);
      w.key("average_min_rank").value(static_cast<std::int64_t>(s.average_min_rank + 0.5));
      w.key("min_ranks").begin_array();
      for (int r : s.min_ranks) {
        if (r > 0) {
          w.value(r);
        } else {
          w.null();
        }
      }
      w.end_array();
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_object();
  ctx.res.headers.emplace_back("Cache-Control", "private, no-store");
}

void get_popularity(request_context& ctx, catalog_state& state) {
  candidate_api_context& api = state.api();
  const auto session = authenticate(ctx, api);
  if (!session) return;
  const auto snap = state.current();
  const core::major_group* g = path_group(ctx, *snap);
  if (g == nullptr) return;
  const auto e = directory_entry(ctx, api, session->candidate_id);
  if (!e) return;
  if (api.popularity == nullptr) {
    fail(ctx, errc::unavailable, "popularity is not available on this server", 5);
    return;
  }
  const auto st = api.popularity->stats(g->id, e->score);
  const auto mine = api.popularity->position_of(e->id, g->b, g->id);
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("group_id").value(g->id);
  w.key("batch").value(core::to_code(g->b));
  w.key("first_choice").value(st.first_choice);
  w.key("any_position").value(st.any_position);
  w.key("my_score").value(static_cast<int>(e->score));
  w.key("my_rank").value(st.rank());
  w.key("higher").value(st.higher);
  w.key("tied").value(st.tied);
  w.key("my_position");
  if (mine) {
    w.value(*mine);
  } else {
    w.null();
  }
  w.key("as_of").value(core::format_utc_micros(api.now_micros()));
  w.end_object();
  ctx.res.headers.emplace_back("Cache-Control", "private, no-store");
}

}  // namespace

std::vector<route_spec> catalog_routes(candidate_api_context& api) {
  // The catalog state (snapshot, response cache) lives as long as the routes that use it.
  auto state = std::make_shared<catalog_state>(api);
  return {
      {http::verb::get, "/api/v1/schedule", handler_for(api, get_schedule), route_priority::browse},
      {http::verb::get, "/api/v1/plans", handler_for(state, get_plans), route_priority::browse},
      {http::verb::get, "/api/v1/plans/{group_id}", handler_for(state, get_plan),
       route_priority::browse},
      {http::verb::get, "/api/v1/plans/{group_id}/popularity", handler_for(state, get_popularity),
       route_priority::browse},
      {http::verb::get, "/api/v1/colleges/{code}", handler_for(state, get_college),
       route_priority::browse},
      {http::verb::get, "/api/v1/scores", handler_for(state, get_scores), route_priority::browse},
      {http::verb::get, "/api/v1/score-table", handler_for(state, get_score_table),
       route_priority::browse},
      {http::verb::get, "/api/v1/me/rank", handler_for(state, get_my_rank), route_priority::browse},
      {http::verb::get, "/api/v1/suggestions", handler_for(state, get_suggestions),
       route_priority::browse},
  };
}

}  // namespace zhiyuan::server
