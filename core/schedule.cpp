#include "core/schedule.hpp"

#include <string>

namespace zhiyuan::core {

namespace {

bool filing_phase(phase p) noexcept {
  return p == phase::formal || p == phase::special || p == phase::supplementary;
}

// Earliest window opening strictly after `t` in which batch `b` accepts filing.
std::optional<unix_seconds> next_filing_open(const schedule& s, batch b, unix_seconds t) noexcept {
  std::optional<unix_seconds> best;
  const auto consider = [&](const window& w) {
    if (w.open > t && (!best || w.open < *best)) best = w.open;
  };
  consider(s.of(b).formal);
  if (s.of(b).special) consider(*s.of(b).special);
  for (const supplementary_round& r : s.supplementary) {
    if (r.batches.contains(b)) consider(r.when);
  }
  return best;
}

}  // namespace

phase phase_at(const schedule& s, batch b, unix_seconds t) noexcept {
  const batch_schedule& bs = s.of(b);
  if (bs.formal.contains(t)) return phase::formal;
  if (bs.special && bs.special->contains(t)) return phase::special;
  for (const supplementary_round& r : s.supplementary) {
    if (r.batches.contains(b) && r.when.contains(t)) return phase::supplementary;
  }
  if (t < s.assisted_open) return phase::not_open;
  if (t < bs.formal.open) return phase::assisted;
  return phase::closed;
}

decision decide(const schedule& s, batch b, action a, unix_seconds t) noexcept {
  decision d;
  d.ph = phase_at(s, b, t);
  switch (a) {
    case action::confirm:
      if (t >= s.confirm_deadline) d.reason = deny_reason::confirm_closed;
      return d;
    case action::drill_save_draft:
    case action::drill_submit:
      if (!s.drill.contains(t)) {
        d.reason = deny_reason::drill_closed;
        if (t < s.drill.open) d.next_open = s.drill.open;
      }
      return d;
    case action::browse:
    case action::favourite:
      if (d.ph == phase::assisted || filing_phase(d.ph)) return d;
      if (d.ph == phase::not_open) {
        d.reason = deny_reason::not_open_yet;
        d.next_open = s.assisted_open;
      } else {
        d.reason = deny_reason::closed;
        d.next_open = next_filing_open(s, b, t);
      }
      return d;
    case action::save_draft:
    case action::submit:
      if (filing_phase(d.ph)) return d;
      d.reason = d.ph == phase::not_open   ? deny_reason::not_open_yet
                 : d.ph == phase::assisted ? deny_reason::assisted_only
                                           : deny_reason::closed;
      d.next_open = next_filing_open(s, b, t);
      return d;
  }
  d.reason = deny_reason::closed;
  return d;
}

bool filing_slot::matches(int score, std::string_view city) const noexcept {
  if (score < min_score || score > max_score) return false;
  if (cities.empty()) return true;
  for (const auto& c : cities) {
    if (c == city) return true;
  }
  return false;
}

const filing_slot* slot_of(const schedule& s, batch b, const slot_subject& who) noexcept {
  for (const filing_slot& slot : s.of(b).slots) {
    if (slot.matches(who.score, who.city)) return &slot;
  }
  return nullptr;
}

decision decide(const schedule& s, batch b, action a, unix_seconds t,
                const slot_subject& who) noexcept {
  decision d = decide(s, b, a, t);
  // Slots stagger formal submissions only: the special-type and supplementary windows, drafts
  // and browsing are not staggered.
  if (!d.allowed() || a != action::submit || d.ph != phase::formal) return d;
  const filing_slot* slot = slot_of(s, b, who);
  if (slot == nullptr || slot->when.contains(t)) return d;
  d.reason = deny_reason::outside_slot;
  d.slot = slot->when;
  if (t < slot->when.open) d.next_open = slot->when.open;
  return d;
}

result<phase> permit(const schedule& s, batch b, action a, unix_seconds t) {
  const decision d = decide(s, b, a, t);
  if (d.allowed()) return d.ph;
  return failure(errc::window_closed, std::string(to_code(d.reason)));
}

std::string_view to_code(phase p) noexcept {
  switch (p) {
    case phase::not_open:
      return "not_open";
    case phase::assisted:
      return "assisted";
    case phase::formal:
      return "formal";
    case phase::special:
      return "special";
    case phase::supplementary:
      return "supplementary";
    case phase::closed:
      return "closed";
  }
  return "closed";
}

std::string_view to_code(deny_reason r) noexcept {
  switch (r) {
    case deny_reason::ok:
      return "ok";
    case deny_reason::not_open_yet:
      return "not_open_yet";
    case deny_reason::assisted_only:
      return "assisted_only";
    case deny_reason::closed:
      return "closed";
    case deny_reason::outside_slot:
      return "outside_slot";
    case deny_reason::drill_closed:
      return "drill_closed";
    case deny_reason::confirm_closed:
      return "confirm_closed";
  }
  return "closed";
}

std::string_view to_code(action a) noexcept {
  switch (a) {
    case action::browse:
      return "browse";
    case action::favourite:
      return "favourite";
    case action::save_draft:
      return "save_draft";
    case action::submit:
      return "submit";
    case action::confirm:
      return "confirm";
    case action::drill_save_draft:
      return "drill_save_draft";
    case action::drill_submit:
      return "drill_submit";
  }
  return "browse";
}

std::optional<action> parse_action(std::string_view code) noexcept {
  for (action a : {action::browse, action::favourite, action::save_draft, action::submit,
                   action::confirm, action::drill_save_draft, action::drill_submit}) {
    if (to_code(a) == code) return a;
  }
  return std::nullopt;
}

std::vector<schedule_issue> check_schedule(const schedule& s) {
  std::vector<schedule_issue> out;
  auto issue = [&out](std::string field, std::string message) {
    out.push_back({std::move(field), std::move(message)});
  };
  auto ordered = [&issue](const window& w, const std::string& path, const char* open_key,
                          const char* close_key) {
    if (w.close <= w.open) issue(path + close_key, std::string("must be after ") + open_key);
  };
  if (s.year < 2000 || s.year > 2100) issue("year", "must be a year between 2000 and 2100");
  ordered(s.drill, "drill.", "open", "close");
  if (s.drill.close > s.assisted_open) issue("drill.close", "must not be after assisted_open");
  for (const batch b : all_batches) {
    const std::string path = "batches." + std::string(to_code(b)) + ".";
    const batch_schedule& bs = s.of(b);
    ordered(bs.formal, path, "formal_open", "formal_close");
    if (bs.formal.open < s.assisted_open) {
      issue(path + "formal_open", "must not be before assisted_open");
    }
    for (std::size_t i = 0; i < bs.slots.size(); ++i) {
      const filing_slot& slot = bs.slots[i];
      const std::string at = path + "slots[" + std::to_string(i) + "].";
      ordered(slot.when, at, "open", "close");
      if (slot.when.open < bs.formal.open || slot.when.close > bs.formal.close) {
        issue(at + "open", "must lie within the batch's formal window");
      }
      if (slot.min_score > slot.max_score) issue(at + "max_score", "must not be below min_score");
    }
    if (!bs.special) continue;
    if (b != batch::undergrad) {
      issue(path + "special_open", "only undergrad has a special-type window");
      continue;
    }
    ordered(*bs.special, path, "special_open", "special_close");
    if (bs.special->open < s.assisted_open) {
      issue(path + "special_open", "must not be before assisted_open");
    }
    if (bs.special->close > bs.formal.open) {
      issue(path + "special_close", "must not be after formal_open");
    }
  }
  for (std::size_t i = 0; i < s.supplementary.size(); ++i) {
    const supplementary_round& r = s.supplementary[i];
    const std::string path = "supplementary[" + std::to_string(i) + "].";
    ordered(r.when, path, "open", "close");
    if (i > 0 && r.when.open < s.supplementary[i - 1].when.open) {
      issue(path + "open", "rounds must be in time order");
    }
    if (r.batches == batch_set{}) issue(path + "batches", "must list batches");
    for (const batch b : all_batches) {
      if (r.batches.contains(b) && r.when.open < s.of(b).formal.close) {
        issue(path + "open", "must not be before the formal close of " + std::string(to_code(b)));
      }
    }
  }
  return out;
}

}  // namespace zhiyuan::core
