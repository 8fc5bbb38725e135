#include "server/candidate/filing/render.hpp"

#include "core/time.hpp"
#include "server/candidate/context.hpp"
#include "server/candidate/receipts.hpp"
#include "server/candidate/write_answer.hpp"
#include "server/digest.hpp"
#include "server/filing_clock.hpp"
#include "server/http/problem.hpp"
#include "storage/encoding.hpp"

namespace zhiyuan::server {
namespace {

// The version this change was based on is no longer current: a draft's If-Match failed (412); a
// submission's optional If-Match is a conflict (409).
void render_conflict(const storage::write_op& op, unsigned& status, std::string& body) {
  const bool draft = op.kind() == storage::op_kind::save_draft;
  response res;
  set_problem(res, draft ? core::errc::precondition_failed : core::errc::conflict,
              "the version this change was based on is no longer current; reload and retry", "",
              "");
  status = res.status;
  body = std::move(res.body);
}

void write_import(json_writer& w, const import_summary& s) {
  w.key("imported").begin_array();
  for (auto id : s.imported) w.value(id);
  w.end_array();
  w.key("not_imported_over_limit").begin_array();
  for (auto id : s.left_out) w.value(id);
  w.end_array();
  w.key("limit_reached").value(!s.left_out.empty());
  w.key("max_groups").value(s.max_groups);
}

}  // namespace

void render_submission(const storage::write_op& op, unsigned& status, std::string& body) {
  body.clear();
  if (op.status == storage::op_status::conflict) return render_conflict(op, status, body);
  // The signed receipt: rebuilt from the op and what the database decided (version, previous
  // hash, receipt hash), so GETs of this version produce the same bytes.
  status = 201;
  const auto& api = *static_cast<const candidate_api_context*>(op.render_context);
  const storage::choices_args& c = *storage::args_as<storage::choices_args>(op);
  receipt_view r{.exam_no = c.exam_no,
                 .b = storage::decode_batch(c.batch),
                 .drill = c.drill,
                 .version = op.version,
                 .accepted_at_us = op.accepted_at_us,
                 .committed_at_us = on_filing_clock(op.committed_at_us, api.clock_offset_seconds),
                 .choices_sha256 = c.choices_sha256,
                 .receipt_hash = op.receipt_hash};
  if (op.has_prev_hash) r.prev_hash = op.prev_hash;
  json_writer w(body);
  w.begin_object();
  write_receipt_members(w, r, *api.signer);
  w.end_object();
}

void render_draft(const storage::write_op& op, unsigned& status, std::string& body) {
  body.clear();
  if (op.status == storage::op_status::conflict) return render_conflict(op, status, body);
  status = 200;
  json_writer w(body);
  const storage::choices_args& c = *storage::args_as<storage::choices_args>(op);
  const auto* notes = static_cast<const draft_notes*>(op.render_context);
  w.begin_object();
  w.key("exam_no").value(c.exam_no);
  w.key("batch").value(core::to_code(storage::decode_batch(c.batch)));
  w.key("drill").value(c.drill);
  w.key("version").value(op.version);
  w.key("accepted_at").value(core::format_utc_micros(op.accepted_at_us));
  w.key("committed_at")
      .value(format_db_time(op.committed_at_us, notes ? notes->clock_offset_seconds : 0));
  w.key("choices_sha256").value(hex(c.choices_sha256.data(), c.choices_sha256.size()));
  if (notes != nullptr) {
    if (notes->import) write_import(w, *notes->import);
    w.key("violations");
    write_violations(w, notes->findings);
  }
  w.end_object();
}

void write_stored_receipt(json_writer& w, const receipt_signer* signer, std::string_view exam_no,
                          core::batch b, bool drill, const storage::application_row& a,
                          std::int64_t clock_offset_seconds) {
  receipt_view v;
  v.exam_no = exam_no;
  v.b = b;
  v.drill = drill;
  v.version = a.version;
  v.accepted_at_us = a.accepted_at_us;
  v.committed_at_us = on_filing_clock(a.committed_at_us, clock_offset_seconds);
  v.choices_sha256 = sha256_of(a.choices);
  v.receipt_hash = a.receipt_hash;
  v.prev_hash = a.prev_hash;
  w.begin_object();
  if (signer != nullptr) {
    write_receipt_members(w, v, *signer);
  } else {
    write_unsigned_receipt_members(w, v);
  }
  w.end_object();
}

const core::major* find_major(const core::catalog& cat, const core::major_group* g,
                              core::major_id m) {
  if (g == nullptr) return nullptr;
  for (const auto& x : cat.majors_of(*g)) {
    if (x.id == m) return &x;
  }
  return nullptr;
}

void write_choices(json_writer& w, const core::choice_list& choices, const core::catalog& cat) {
  w.begin_array();
  for (const auto& c : choices) {
    const core::major_group* g = cat.find_group(c.group);
    w.begin_object();
    w.key("group").value(c.group);
    w.key("majors").begin_array();
    for (core::major_id m : c.majors) {
      if (const core::major* found = find_major(cat, g, m)) {
        w.value(found->code);
      } else {
        w.null();
      }
    }
    w.end_array();
    w.key("accept_adjustment").value(c.accept_adjustment);
    w.key("special").value(c.special);
    if (g != nullptr) {
      w.key("college_code").value(g->college_code);
      w.key("group_code").value(g->group_code);
    } else {
      w.key("college_code").null();
      w.key("group_code").null();
    }
    w.end_object();
  }
  w.end_array();
}

}  // namespace zhiyuan::server
