#include "storage/admin_ops_store.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "core/admin.hpp"
#include "core/batch.hpp"
#include "core/units.hpp"
#include "storage/candidate_store.hpp"
#include "storage/encoding.hpp"
#include "storage/sql/admin.hpp"
#include "storage/sql/admin_ops.hpp"
#include "storage/sql/lock_keys.hpp"

namespace zhiyuan::storage {
namespace {

std::optional<std::string> or_null(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

template <typename T>
std::optional<T> positive(T v) {
  if (v <= 0) return std::nullopt;
  return v;
}

void audit(pqxx::work& tx, const admin_actor& who, std::string_view action,
           const std::string& target, const std::string& detail, const std::string& ip) {
  tx.exec_params(sql::admin_audit, 1, static_cast<std::int64_t>(who.admin_id), who.unit_id,
                 std::string(action), or_null(target), or_null(detail), or_null(ip));
}

std::string json_text(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::int64_t record_import(pqxx::work& tx, const admin_actor& who, const std::string& kind,
                           std::size_t rows, bool applied, const std::string& errors_csv,
                           const std::string& ip) {
  const auto id = tx.exec_params1(sql::ops_record_import, kind, who.admin_id, who.unit_id,
                                  static_cast<std::int64_t>(rows), applied, errors_csv)[0]
                      .as<std::int64_t>();
  audit(tx, who, applied ? "import.apply" : "import.refused", kind,
        fmt::format(R"({{"import_id":{},"rows":{}}})", id, rows), ip);
  return id;
}

// Applied: the record of the import in the same transaction, then COMMIT.
import_outcome applied(pqxx::work& tx, const admin_actor& who, const std::string& kind,
                       std::size_t rows, const std::string& ip) {
  import_outcome out;
  out.applied = true;
  out.import_id = record_import(tx, who, kind, rows, true, "", ip);
  tx.commit();
  return out;
}

// Refused after checks against the database: nothing of the transaction stays but the record.
import_outcome refuse(pqxx::connection& conn, const admin_actor& who, const std::string& kind,
                      std::size_t rows, std::vector<core::import_error> errors,
                      const std::string& ip) {
  import_outcome out;
  out.errors = std::move(errors);
  out.import_id = record_refused_import(conn, who, kind, rows, out.errors, ip);
  return out;
}

}  // namespace

// ---------------------------------------------------------------- reminders and notices

reminder_outcome send_reminder(pqxx::connection& conn, const admin_actor& who, const unit_ref& unit,
                               std::int16_t batch, const std::string& title,
                               const std::string& body, std::int64_t interval_seconds,
                               const std::string& ip) {
  pqxx::work tx(conn);
  reminder_outcome out;
  // One reminder per unit and batch at a time on every node: the rate limit holds under races.
  tx.exec_params(sql::ops_reminder_lock, lock_key::reminders + batch, unit.id);
  const auto wait =
      tx.exec_params(sql::ops_reminder_wait, unit.id, who.unit_id, batch, interval_seconds);
  if (wait.empty()) return out;
  if (const auto seconds = wait[0][0].as<std::int64_t>(0); seconds > 0) {
    out.result = reminder_outcome::kind::too_soon;
    out.retry_after = seconds;
    return out;
  }
  const auto r = tx.exec_params1(sql::ops_send_reminder, unit.id, who.unit_id, batch, title, body,
                                 who.admin_id);
  if (r[0].is_null()) return out;
  out.result = reminder_outcome::kind::sent;
  out.notice_id = r[0].as<std::int64_t>();
  out.recipients = r[1].as<std::int64_t>();
  audit(tx, who, "reminder.send", unit.code,
        fmt::format(R"({{"notice_id":{},"batch":"{}","recipients":{}}})", out.notice_id,
                    core::to_code(decode_batch(batch)), out.recipients),
        ip);
  tx.commit();
  return out;
}

std::optional<office_notice_row> post_notice(pqxx::connection& conn, const admin_actor& who,
                                             const unit_ref& unit, std::int16_t batch,
                                             const std::string& title, const std::string& body,
                                             const std::string& ip) {
  pqxx::work tx(conn);
  std::optional<std::int16_t> b;
  if (batch >= 0) b = batch;
  const auto r =
      tx.exec_params(sql::ops_post_notice, unit.id, who.unit_id, b, title, body, who.admin_id);
  if (r.empty()) return std::nullopt;
  office_notice_row n;
  n.id = r[0][0].as<std::int64_t>();
  n.created_us = r[0][1].as<std::int64_t>();
  n.batch = batch;
  n.title = title;
  n.body = body;
  n.unit = unit;
  n.author = who.username;
  audit(tx, who, "notice.post", unit.code,
        fmt::format(R"({{"notice_id":{},"title":{}}})", n.id, json_text(title)), ip);
  tx.commit();
  return n;
}

std::vector<office_notice_row> list_notices(pqxx::connection& conn, std::int32_t actor_unit,
                                            std::int64_t before, int limit, std::int16_t kind) {
  pqxx::read_transaction tx(conn);
  std::optional<std::int16_t> k;
  if (kind >= 0) k = kind;
  std::vector<office_notice_row> out;
  for (const auto& r :
       tx.exec_params(sql::ops_list_notices, actor_unit, positive(before), limit, k)) {
    office_notice_row n;
    n.id = r[0].as<std::int64_t>();
    n.kind = r[1].as<std::int16_t>();
    n.batch = r[2].as<std::int16_t>(-1);
    n.title = r[3].as<std::string>();
    n.body = r[4].as<std::string>();
    n.created_us = r[5].as<std::int64_t>();
    n.unit.id = r[6].as<std::int32_t>();
    n.unit.code = r[7].as<std::string>();
    n.unit.name = r[8].as<std::string>();
    n.author = r[9].as<std::string>();
    n.recipients = r[10].as<std::int64_t>();
    out.push_back(std::move(n));
  }
  return out;
}

// ---------------------------------------------------------------- documents

document_row insert_document(pqxx::connection& conn, const admin_actor& who,
                             const std::string& title, const std::string& filename,
                             const std::string& content_type, const std::string& content,
                             const std::string& ip) {
  pqxx::work tx(conn);
  const pqxx::binarystring bytes(content.data(), content.size());
  const auto r = tx.exec_params1(sql::ops_insert_document, title, filename, content_type,
                                 static_cast<std::int64_t>(content.size()), bytes, who.admin_id);
  document_row d;
  d.id = r[0].as<std::int64_t>();
  d.uploaded_us = r[1].as<std::int64_t>();
  d.title = title;
  d.filename = filename;
  d.content_type = content_type;
  d.size = static_cast<std::int64_t>(content.size());
  d.uploaded_by = who.username;
  audit(tx, who, "document.upload", std::to_string(d.id),
        fmt::format(R"({{"title":{},"size":{}}})", json_text(title), d.size), ip);
  tx.commit();
  return d;
}

std::vector<document_row> list_documents(pqxx::connection& conn, std::int64_t before, int limit) {
  pqxx::read_transaction tx(conn);
  std::vector<document_row> out;
  for (const auto& r : tx.exec_params(sql::ops_list_documents, positive(before), limit)) {
    out.push_back({r[0].as<std::int64_t>(),
                   r[1].as<std::string>(),
                   r[2].as<std::string>(),
                   r[3].as<std::string>(),
                   r[4].as<std::int64_t>(),
                   r[5].as<std::int64_t>(),
                   r[6].as<std::string>(),
                   {}});
  }
  return out;
}

std::optional<document_row> download_document(pqxx::connection& conn, const admin_actor& who,
                                              std::int64_t id, const std::string& ip) {
  pqxx::work tx(conn);
  const auto r = tx.exec_params(sql::ops_document, id);
  if (r.empty()) return std::nullopt;
  document_row d;
  d.id = id;
  d.title = r[0][0].as<std::string>();
  d.filename = r[0][1].as<std::string>();
  d.content_type = r[0][2].as<std::string>();
  const pqxx::binarystring bytes(r[0][3]);
  d.content = bytes.str();
  d.size = static_cast<std::int64_t>(d.content.size());
  // Every download is audited before the bytes leave.
  audit(tx, who, "document.download", std::to_string(id), "", ip);
  tx.commit();
  return d;
}

// ---------------------------------------------------------------- incidents

incident_row report_incident(pqxx::connection& conn, const admin_actor& who,
                             const std::string& category, std::int16_t severity,
                             const std::string& description, const std::string& ip) {
  pqxx::work tx(conn);
  const auto r = tx.exec_params1(sql::ops_report_incident, who.unit_id, category, severity,
                                 description, who.admin_id);
  incident_row i;
  i.id = r[0].as<std::int64_t>();
  i.created_us = r[1].as<std::int64_t>();
  i.unit = {who.unit_id, who.unit_level, who.unit_code, who.unit_name};
  i.category = category;
  i.severity = severity;
  i.description = description;
  i.reported_by = who.username;
  audit(tx, who, "incident.report", std::to_string(i.id),
        fmt::format(R"({{"category":{},"severity":"{}"}})", json_text(category),
                    core::incident_severity_code(severity)),
        ip);
  tx.commit();
  return i;
}

namespace {

std::vector<incident_row> incidents_of(pqxx::read_transaction& tx, std::int32_t actor_unit,
                                       std::int64_t before, int limit, std::int16_t status,
                                       std::optional<std::int64_t> only) {
  std::optional<std::int16_t> st;
  if (status >= 0) st = status;
  std::vector<incident_row> out;
  for (const auto& r :
       tx.exec_params(sql::ops_list_incidents, actor_unit, positive(before), limit, st, only)) {
    incident_row i;
    i.id = r[0].as<std::int64_t>();
    i.unit = {r[1].as<std::int32_t>(), 0, r[2].as<std::string>(), r[3].as<std::string>()};
    i.category = r[4].as<std::string>();
    i.severity = r[5].as<std::int16_t>();
    i.description = r[6].as<std::string>();
    i.status = r[7].as<std::int16_t>();
    i.created_us = r[8].as<std::int64_t>();
    i.reported_by = r[9].as<std::string>();
    i.events = r[10].as<std::int64_t>();
    out.push_back(std::move(i));
  }
  return out;
}

}  // namespace

std::vector<incident_row> list_incidents(pqxx::connection& conn, std::int32_t actor_unit,
                                         std::int64_t before, int limit, std::int16_t status) {
  pqxx::read_transaction tx(conn);
  return incidents_of(tx, actor_unit, before, limit, status, std::nullopt);
}

std::optional<incident_detail> get_incident(pqxx::connection& conn, std::int32_t actor_unit,
                                            std::int64_t id) {
  pqxx::read_transaction tx(conn);
  auto rows = incidents_of(tx, actor_unit, 0, 1, -1, id);
  if (rows.empty()) return std::nullopt;
  incident_detail out{std::move(rows.front()), {}};
  for (const auto& r : tx.exec_params(sql::ops_incident_events, id)) {
    out.events.push_back({r[0].as<std::int64_t>(), r[1].as<std::int16_t>(), r[2].as<std::string>(),
                          r[3].as<std::int64_t>(), r[4].as<std::string>()});
  }
  return out;
}

std::optional<incident_event_outcome> add_incident_event(
    pqxx::connection& conn, const admin_actor& who, std::int64_t incident_id,
    core::incident_event kind, const std::string& comment, const std::string& ip) {
  pqxx::work tx(conn);
  const auto found = tx.exec_params(sql::ops_lock_incident, incident_id, who.unit_id);
  if (found.empty()) return std::nullopt;
  const int status = core::incident_status_after(found[0][0].as<int>(), kind);
  tx.exec_params(sql::ops_set_incident_status, incident_id, status);
  const auto r = tx.exec_params1(sql::ops_incident_event, incident_id, who.admin_id,
                                 static_cast<std::int16_t>(kind), comment);
  incident_event_outcome out{r[0].as<std::int64_t>(), static_cast<std::int16_t>(status),
                             r[1].as<std::int64_t>()};
  audit(tx, who, "incident.event", std::to_string(incident_id),
        fmt::format(R"({{"kind":"{}","status":"{}"}})", core::to_code(kind),
                    core::incident_status_code(status)),
        ip);
  tx.commit();
  return out;
}

// ---------------------------------------------------------------- schedule

std::optional<schedule_revision> latest_schedule(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  const auto r = tx.exec(sql::ops_latest_schedule);
  if (r.empty()) return std::nullopt;
  return schedule_revision{r[0][0].as<std::int64_t>(), r[0][1].as<std::string>()};
}

std::optional<schedule_revision> latest_schedule(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  return latest_schedule(conn);
}

std::optional<std::int64_t> store_schedule(pqxx::connection& conn, const admin_actor& who,
                                           const std::string& document, std::int64_t replaces,
                                           const std::string& ip) {
  pqxx::work tx(conn);
  tx.exec_params(sql::ops_schedule_lock, lock_key::schedule);
  if (tx.exec1(sql::ops_current_schedule_revision)[0].as<std::int64_t>() != replaces) {
    return std::nullopt;
  }
  const auto revision =
      tx.exec_params1(sql::ops_insert_schedule, document, who.admin_id)[0].as<std::int64_t>();
  audit(tx, who, "schedule.change", std::to_string(revision),
        fmt::format(R"({{"revision":{},"schedule":{}}})", revision, document), ip);
  tx.commit();
  return revision;
}

// ---------------------------------------------------------------- imports

std::string errors_to_csv(const std::vector<core::import_error>& errors) {
  std::string out = "line,column,message\r\n";
  auto field = [&out](std::string_view s) {
    out += '"';
    for (const char c : s) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  };
  for (const auto& e : errors) {
    out += std::to_string(e.line);
    out += ',';
    field(e.column);
    out += ',';
    field(e.message);
    out += "\r\n";
  }
  return out;
}

std::int64_t record_refused_import(pqxx::connection& conn, const admin_actor& who,
                                   const std::string& kind, std::size_t rows,
                                   const std::vector<core::import_error>& errors,
                                   const std::string& ip) {
  pqxx::work tx(conn);
  const auto id = record_import(tx, who, kind, rows, false, errors_to_csv(errors), ip);
  tx.commit();
  return id;
}

std::optional<std::string> import_errors_csv(pqxx::connection& conn, std::int32_t actor_unit,
                                             std::int64_t import_id) {
  pqxx::read_transaction tx(conn);
  const auto r = tx.exec_params(sql::ops_import_errors, import_id, actor_unit);
  if (r.empty()) return std::nullopt;
  return r[0][1].as<std::string>();
}

import_outcome import_units(pqxx::connection& conn, const admin_actor& who,
                            const std::vector<core::unit_import_row>& rows, const std::string& ip) {
  std::vector<core::import_error> errors;
  std::vector<core::unit_row> tree;
  {
    pqxx::work tx(conn);
    tx.exec_params(sql::ops_import_lock, lock_key::imports);
    tx.exec(sql::ops_lock_units);
    std::map<std::string, std::size_t> by_code;
    core::unit_id next_id = 1;
    for (const auto& r : tx.exec(sql::ops_all_units)) {
      core::unit_row u{r[0].as<std::int64_t>(), r[1].as<std::int64_t>(),
                       static_cast<core::unit_level>(r[2].as<int>()), r[3].as<std::string>(),
                       r[4].as<std::string>()};
      next_id = std::max(next_id, u.id + 1);
      by_code.emplace(u.code, tree.size());
      tree.push_back(std::move(u));
    }
    // First every new code gets its id, then parents resolve against the merged tree.
    for (const auto& row : rows) {
      const auto it = by_code.find(row.code);
      if (it == by_code.end()) {
        by_code.emplace(row.code, tree.size());
        tree.push_back({next_id++, 0, static_cast<core::unit_level>(row.level), row.code, ""});
      } else if (static_cast<int>(tree[it->second].level) != row.level) {
        errors.push_back({row.line, "level", "an existing unit keeps its level"});
      }
    }
    for (const auto& row : rows) {
      auto& u = tree[by_code.at(row.code)];
      u.name = row.name;
      if (row.parent_code.empty()) {
        u.parent = 0;
        continue;
      }
      const auto parent = by_code.find(row.parent_code);
      if (parent == by_code.end()) {
        errors.push_back({row.line, "parent_code", "no such unit"});
      } else if (static_cast<int>(tree[parent->second].level) + 1 != row.level) {
        errors.push_back({row.line, "parent_code", "must be one level above the unit"});
      } else {
        u.parent = tree[parent->second].id;
      }
    }
    if (errors.empty()) {
      if (auto built = core::unit_tree::build(tree); !built) {
        errors.push_back({0, "", std::string("the tree: ") + built.error().detail});
      }
    }
    if (!errors.empty()) {
      tx.abort();  // the record of the refusal goes in a transaction of its own
      return refuse(conn, who, "units", rows.size(), std::move(errors), ip);
    }
    auto built = core::unit_tree::build(tree);
    std::vector<std::int64_t> ids, parents, lo, hi;
    std::vector<int> levels;
    std::vector<std::string> codes, names;
    for (const auto& u : built->units()) {
      ids.push_back(u.id);
      parents.push_back(u.parent);
      levels.push_back(static_cast<int>(u.level));
      codes.push_back(u.code);
      names.push_back(u.name);
      lo.push_back(u.lo);
      hi.push_back(u.hi);
    }
    tx.exec_params(sql::ops_upsert_units, array_literal(ids), array_literal(parents),
                   array_literal(levels), array_literal(codes), array_literal(names),
                   array_literal(lo), array_literal(hi));
    tx.exec(sql::ops_relink_candidates);
    return applied(tx, who, "units", rows.size(), ip);
  }
}

import_outcome import_plans(pqxx::connection& conn, const admin_actor& who,
                            const std::vector<core::plan_import_row>& rows, const std::string& ip) {
  std::vector<std::string> c_code, c_name, c_region, c_type;
  std::vector<std::string> g_college, g_code;
  std::vector<int> g_batch, g_track, g_cat, g_first, g_kind, g_subjects, g_plan;
  std::vector<bool> g_special;
  std::vector<std::string> m_college, m_group, m_code, m_name;
  std::vector<int> m_batch, m_track, m_plan, m_years, m_tuition;
  std::map<std::tuple<std::string, std::string, int, int>, bool> groups;
  for (const auto& p : rows) {
    c_code.push_back(p.college_code);
    c_name.push_back(p.college_name);
    c_region.push_back(p.region);
    c_type.push_back(p.college_type);
    const int b = encode_batch(p.b), t = encode_track(p.trk);
    if (groups.emplace(std::tuple(p.college_code, p.group_code, b, t), true).second) {
      g_college.push_back(p.college_code);
      g_code.push_back(p.group_code);
      g_batch.push_back(b);
      g_track.push_back(t);
      g_cat.push_back(static_cast<int>(p.cat));
      g_special.push_back(p.special_type);
      g_first.push_back(p.req_first);
      g_kind.push_back(p.req_second_kind);
      g_subjects.push_back(p.req_subjects);
      g_plan.push_back(p.group_plan_count);
    }
    m_college.push_back(p.college_code);
    m_group.push_back(p.group_code);
    m_batch.push_back(b);
    m_track.push_back(t);
    m_code.push_back(p.major_code);
    m_name.push_back(p.major_name);
    m_plan.push_back(p.major_plan_count);
    m_years.push_back(p.years);
    m_tuition.push_back(p.tuition);
  }
  pqxx::work tx(conn);
  tx.exec_params(sql::ops_import_lock, lock_key::imports);
  tx.exec(sql::ops_lock_groups);
  tx.exec_params(sql::ops_upsert_colleges, array_literal(c_code), array_literal(c_name),
                 array_literal(c_region), array_literal(c_type));
  tx.exec_params(sql::ops_upsert_groups, array_literal(g_college), array_literal(g_code),
                 array_literal(g_batch), array_literal(g_track), array_literal(g_cat),
                 array_literal(g_special), array_literal(g_first), array_literal(g_kind),
                 array_literal(g_subjects), array_literal(g_plan));
  tx.exec_params(sql::ops_upsert_majors, array_literal(m_college), array_literal(m_group),
                 array_literal(m_batch), array_literal(m_track), array_literal(m_code),
                 array_literal(m_name), array_literal(m_plan), array_literal(m_years),
                 array_literal(m_tuition));
  return applied(tx, who, "plans", rows.size(), ip);
}

import_outcome import_scores(pqxx::connection& conn, const admin_actor& who,
                             const std::vector<core::score_import_row>& rows,
                             const std::string& ip) {
  std::vector<std::string> college, group;
  std::vector<int> batch, track, year, score, rank, admitted;
  for (const auto& s : rows) {
    college.push_back(s.college_code);
    group.push_back(s.group_code);
    batch.push_back(encode_batch(s.b));
    track.push_back(encode_track(s.trk));
    year.push_back(s.year);
    score.push_back(s.min_score);
    rank.push_back(s.min_rank);
    admitted.push_back(s.admitted);
  }
  std::vector<core::import_error> errors;
  {
    pqxx::work tx(conn);
    tx.exec_params(sql::ops_import_lock, lock_key::imports);
    for (const auto& r :
         tx.exec_params(sql::ops_unknown_score_groups, array_literal(college), array_literal(group),
                        array_literal(batch), array_literal(track))) {
      errors.push_back({rows[r[0].as<std::size_t>() - 1].line, "group_code",
                        "no such group of the college in this batch and track"});
    }
    if (errors.empty()) {
      tx.exec_params(sql::ops_upsert_scores, array_literal(college), array_literal(group),
                     array_literal(batch), array_literal(track), array_literal(year),
                     array_literal(score), array_literal(rank), array_literal(admitted));
      return applied(tx, who, "scores", rows.size(), ip);
    }
  }
  return refuse(conn, who, "scores", rows.size(), std::move(errors), ip);
}

import_outcome import_candidates(pqxx::connection& conn, const admin_actor& who,
                                 const std::vector<core::candidate_import_row>& rows,
                                 bool filing_open, const std::string& ip) {
  std::vector<std::string> exam, name, id, school;
  std::vector<int> cat, track, electives, score, rank, eligible;
  for (const auto& c : rows) {
    exam.push_back(c.exam_no);
    name.push_back(c.name);
    id.push_back(c.id_number);
    school.push_back(c.school_code);
    cat.push_back(static_cast<int>(c.cat));
    track.push_back(encode_track(c.trk));
    electives.push_back(encode_subjects(c.electives));
    score.push_back(c.score.value_or(-1));
    rank.push_back(c.rank.value_or(-1));
    eligible.push_back(encode_eligibility(c.eligible));
  }
  const auto exams = array_literal(exam), cats = array_literal(cat), tracks = array_literal(track),
             subjects = array_literal(electives), batches = array_literal(eligible);
  std::vector<core::import_error> errors;
  {
    pqxx::work tx(conn);
    tx.exec_params(sql::ops_import_lock, lock_key::imports);
    const auto schools = array_literal(school);
    for (const auto& r : tx.exec_params(sql::ops_unknown_schools, schools)) {
      errors.push_back({rows[r[0].as<std::size_t>() - 1].line, "school_code", "no such school"});
    }
    for (const auto& r :
         tx.exec_params(sql::ops_candidate_fact_changes, exams, cats, tracks, subjects, batches)) {
      const auto line = rows[r[0].as<std::size_t>() - 1].line;
      const bool subjects_change = r[1].as<bool>();
      const bool filed = r[3].as<bool>(), filed_batch_dropped = r[4].as<bool>();
      if (filing_open) {
        // Submissions in flight were checked against the facts every node holds now.
        errors.push_back({line, subjects_change ? "track" : "eligible",
                          "a filing window is open: category, track, electives and "
                          "eligibility change only while every window is closed"});
      } else if (filed && subjects_change) {
        errors.push_back(
            {line, "track", "the candidate has filed: category, track and electives stay"});
      } else if (filed_batch_dropped) {
        errors.push_back({line, "eligible", "the candidate has filed a batch this row drops"});
      }
    }
    if (errors.empty()) {
      const auto counts = tx.exec_params1(sql::ops_upsert_candidates, exams, array_literal(name),
                                          array_literal(id), schools, cats, tracks, subjects,
                                          array_literal(score), array_literal(rank), batches);
      auto out = applied(tx, who, "candidates", rows.size(), ip);
      out.updated = counts[0].as<std::int64_t>();
      out.inserted = counts[1].as<std::int64_t>();
      return out;
    }
  }
  std::stable_sort(errors.begin(), errors.end(),
                   [](const auto& a, const auto& b) { return a.line < b.line; });
  return refuse(conn, who, "candidates", rows.size(), std::move(errors), ip);
}

std::map<std::string, std::int64_t> applied_imports(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  pqxx::read_transaction tx(conn);
  std::map<std::string, std::int64_t> out;
  for (const auto& r : tx.exec(sql::ops_applied_imports)) {
    out.emplace(r[0].as<std::string>(), r[1].as<std::int64_t>());
  }
  return out;
}

// ---------------------------------------------------------------- drill

std::int64_t reset_drill(pqxx::connection& conn, const admin_actor& who, std::int64_t now,
                         const std::string& ip) {
  const std::int64_t rows = purge_drill_data(conn, now);
  pqxx::work tx(conn);
  audit(tx, who, "drill.reset", "", fmt::format(R"({{"rows":{}}})", rows), ip);
  tx.commit();
  return rows;
}

}  // namespace zhiyuan::storage
