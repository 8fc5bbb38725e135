#pragma once

#include "core/candidate.hpp"
#include "server/http/json_writer.hpp"

namespace zhiyuan::server {

/// The members both audiences show of who a candidate is, into an open object: exam number,
/// name, ID number masked, school {code, name}. `Row` is any stored row with those fields
/// (storage::profile_row, storage::unfiled_row).
template <typename Row>
void write_identity(json_writer& w, const Row& row) {
  w.key("exam_no").value(row.exam_no);
  w.key("name").value(row.name);
  w.key("id_number").value(core::mask_id_number(row.id_number));
  w.key("school").begin_object();
  w.key("code").value(row.school_code);
  w.key("name").value(row.school_name);
  w.end_object();
}

}  // namespace zhiyuan::server
