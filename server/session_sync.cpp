#include "server/session_sync.hpp"

#include <charconv>

namespace zhiyuan::server {
namespace {

std::optional<std::int64_t> candidate_of(std::string_view digits) {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return id;
}

}  // namespace

bool apply_session_notice(session_table& sessions, std::string_view payload) {
  if (payload.empty()) return false;
  const std::string_view rest = payload.substr(1);
  if (payload[0] == 'r') {
    token_digest d;
    if (!storage::parse_token_hex(rest, d)) return false;
    sessions.revoke(d);
    return true;
  }
  const auto id = candidate_of(rest);
  if (!id) return false;
  switch (payload[0]) {
    case 'p':
      sessions.mark_pledged(*id);
      return true;
    case 's':
      sessions.mark_passwords_set(*id);
      return true;
    case 'm':
      sessions.forget_save_passwords(*id);
      return true;
    default:
      return false;
  }
}

void catch_up_revocations(session_table& sessions, storage::session_feed& feed) {
  for (const auto& h : feed.revocations()) sessions.revoke(h);
}

void catch_up_accounts(session_table& sessions, storage::session_feed& feed) {
  // Bounded per pass; the rest come next time (few sessions wait: a first sign-in's minutes).
  constexpr std::size_t per_pass = 2000;
  for (const auto& a : feed.accounts(sessions.unsettled_candidates(per_pass))) {
    if (a.passwords_set) sessions.mark_passwords_set(a.candidate_id);
    if (a.pledged) sessions.mark_pledged(a.candidate_id);
  }
}

void catch_up_after_gap(session_table& sessions, storage::session_feed& feed) {
  sessions.forget_all_save_passwords();
  catch_up_revocations(sessions, feed);
  catch_up_accounts(sessions, feed);
}

void write_back_idle_timers(session_table& sessions, storage::session_feed& feed) {
  feed.touch(sessions.take_touched(std::max<std::int64_t>(1, sessions.idle_seconds() / 10)));
}

}  // namespace zhiyuan::server
