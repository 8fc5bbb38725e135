#pragma once

// The admission offices' operations (admin API part 2): reminders and announcements,
// documents, incident reports, the stored schedule, CSV imports and the drill reset. As in
// storage/admin_store.hpp, every statement on scoped data takes the acting admin's unit and
// filters by the unit tree's intervals in SQL; every change is audited in its transaction.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "core/admin.hpp"
#include "core/import.hpp"
#include "storage/admin_store.hpp"

namespace zhiyuan::storage {

// ---- reminders and notices

/// The outcome of a reminder.
struct reminder_outcome {
  enum class kind { sent, out_of_scope, too_soon } result = kind::out_of_scope;
  std::int64_t notice_id = 0;
  std::int64_t recipients = 0;
  std::int64_t retry_after = 0;  ///< seconds, when too_soon
};
/// A reminder of batch `batch` to every eligible candidate of `unit`'s subtree without a real
/// formal submission, at most one per unit and batch each `interval_seconds`; audited (target:
/// the unit's code).
reminder_outcome send_reminder(pqxx::connection& conn, const admin_actor& who, const unit_ref& unit,
                               std::int16_t batch, const std::string& title,
                               const std::string& body, std::int64_t interval_seconds,
                               const std::string& ip);

struct office_notice_row {
  std::int64_t id = 0;
  std::int16_t kind = 0;    ///< 0 announcement, 1 reminder
  std::int16_t batch = -1;  ///< -1: any
  std::string title;
  std::string body;
  std::int64_t created_us = 0;
  unit_ref unit;
  std::string author;
  std::int64_t recipients = 0;
};
/// An announcement to `unit`'s subtree (inside the actor's unit); nullopt when out of scope.
/// Audited (target: the unit's code).
std::optional<office_notice_row> post_notice(pqxx::connection& conn, const admin_actor& who,
                                             const unit_ref& unit, std::int16_t batch,
                                             const std::string& title, const std::string& body,
                                             const std::string& ip);
/// Notices to units inside the actor's unit and announcements of the units above it.
std::vector<office_notice_row> list_notices(pqxx::connection& conn, std::int32_t actor_unit,
                                            std::int64_t before, int limit, std::int16_t kind);

// ---- documents

struct document_row {
  std::int64_t id = 0;
  std::string title;
  std::string filename;
  std::string content_type;
  std::int64_t size = 0;
  std::int64_t uploaded_us = 0;
  std::string uploaded_by;
  std::string content;  ///< only when downloaded
};
/// Stores a document and audits the upload; its id.
document_row insert_document(pqxx::connection& conn, const admin_actor& who,
                             const std::string& title, const std::string& filename,
                             const std::string& content_type, const std::string& content,
                             const std::string& ip);
std::vector<document_row> list_documents(pqxx::connection& conn, std::int64_t before, int limit);
/// The document with its content, the download audited; nullopt when unknown.
std::optional<document_row> download_document(pqxx::connection& conn, const admin_actor& who,
                                              std::int64_t id, const std::string& ip);

// ---- incidents

struct incident_row {
  std::int64_t id = 0;
  unit_ref unit;
  std::string category;
  std::int16_t severity = 0;
  std::string description;
  std::int16_t status = 0;
  std::int64_t created_us = 0;
  std::string reported_by;
  std::int64_t events = 0;
};
/// An incident of the actor's own unit; audited.
incident_row report_incident(pqxx::connection& conn, const admin_actor& who,
                             const std::string& category, std::int16_t severity,
                             const std::string& description, const std::string& ip);
/// Incidents of the actor's unit and every unit below it.
std::vector<incident_row> list_incidents(pqxx::connection& conn, std::int32_t actor_unit,
                                         std::int64_t before, int limit, std::int16_t status);
/// An incident with its events (the first 1000, oldest first).
struct incident_event_row {
  std::int64_t id = 0;
  std::int16_t kind = 0;
  std::string comment;
  std::int64_t at_us = 0;
  std::string actor;
};
struct incident_detail {
  incident_row incident;
  std::vector<incident_event_row> events;
};
/// Incident `id` when its unit is the actor's or below it; nullopt otherwise.
std::optional<incident_detail> get_incident(pqxx::connection& conn, std::int32_t actor_unit,
                                            std::int64_t id);
/// The outcome of an incident event: the new status, or nullopt when the incident is not the
/// actor's unit's or below it.
struct incident_event_outcome {
  std::int64_t event_id = 0;
  std::int16_t status = 0;
  std::int64_t at_us = 0;
};
std::optional<incident_event_outcome> add_incident_event(
    pqxx::connection& conn, const admin_actor& who, std::int64_t incident_id,
    core::incident_event kind, const std::string& comment, const std::string& ip);

// ---- schedule

struct schedule_revision {
  std::int64_t revision = 0;
  std::string document;  ///< JSON text
};
/// The newest stored schedule; nullopt while the file's schedule holds.
std::optional<schedule_revision> latest_schedule(pqxx::connection& conn);
std::optional<schedule_revision> latest_schedule(const std::string& conninfo);
/// Stores a new revision replacing revision `replaces` (0: the configured file's) and audits
/// the change; its number, or nullopt (nothing stored) when another change came first.
std::optional<std::int64_t> store_schedule(pqxx::connection& conn, const admin_actor& who,
                                           const std::string& document, std::int64_t replaces,
                                           const std::string& ip);

// ---- imports and the drill

/// What an import did: its id (for the error report), whether it was applied, the errors.
struct import_outcome {
  std::int64_t import_id = 0;
  bool applied = false;
  std::vector<core::import_error> errors;
  std::int64_t inserted = 0;  ///< candidates: new rows
  std::int64_t updated = 0;   ///< candidates: existing rows that changed
};
/// Units: rows upserted by code (existing units keep their ids and levels), the pre-order
/// intervals of the whole tree rewritten, candidates' county and city relinked.
import_outcome import_units(pqxx::connection& conn, const admin_actor& who,
                            const std::vector<core::unit_import_row>& rows, const std::string& ip);
/// Plans: colleges, groups and majors upserted (ids of existing groups and majors kept).
import_outcome import_plans(pqxx::connection& conn, const admin_actor& who,
                            const std::vector<core::plan_import_row>& rows, const std::string& ip);
/// Historical scores of known groups, upserted by group and year.
import_outcome import_scores(pqxx::connection& conn, const admin_actor& who,
                             const std::vector<core::score_import_row>& rows,
                             const std::string& ip);
/// Candidates, upserted by exam number in one statement. Refused row by row when a school code
/// is unknown; when an existing candidate's category, track, electives or eligibility would
/// change while `filing_open` (a filing window of some batch is open: submissions in flight
/// were checked against the facts in memory); or when a candidate with a real formal
/// submission would change category, track or electives or lose a batch filed (or the
/// special-type slot). Candidates absent from the file stay.
import_outcome import_candidates(pqxx::connection& conn, const admin_actor& who,
                                 const std::vector<core::candidate_import_row>& rows,
                                 bool filing_open, const std::string& ip);
/// The newest applied import of each kind, by kind.
std::map<std::string, std::int64_t> applied_imports(const std::string& conninfo);
/// Records a refused import (its errors as the downloadable report); its id.
std::int64_t record_refused_import(pqxx::connection& conn, const admin_actor& who,
                                   const std::string& kind, std::size_t rows,
                                   const std::vector<core::import_error>& errors,
                                   const std::string& ip);
/// The error report of an import (CSV text) if the actor's unit covers the importer's.
std::optional<std::string> import_errors_csv(pqxx::connection& conn, std::int32_t actor_unit,
                                             std::int64_t import_id);
/// The report's CSV: line,column,message.
std::string errors_to_csv(const std::vector<core::import_error>& errors);

/// Purges every drill row written before `now` (storage::purge_drill_data) and audits it;
/// the rows deleted.
std::int64_t reset_drill(pqxx::connection& conn, const admin_actor& who, std::int64_t now,
                         const std::string& ip);

}  // namespace zhiyuan::storage
