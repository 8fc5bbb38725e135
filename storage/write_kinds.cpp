#include "storage/write_kinds.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "storage/columns.hpp"
#include "storage/encoding.hpp"
#include "storage/idempotency.hpp"
#include "storage/pg_arrays.hpp"
#include "storage/sql/write_path.hpp"

namespace zhiyuan::storage {
namespace {

using array_buffers = std::array<std::string, max_arrays>;

// One kind of op, one specialisation per alternative of `write_args`:
//   label      its name in metrics and logs
//   statement  prepared statement name on a writer connection, and `sql` its text (nullptr:
//              the kind is applied elsewhere)
//   arrays     array parameters the statement binds, candidate_id ($1) included
//   append     appends the op's elements to arrays 2..`arrays` (a[1]…), in $-order
//   read       reads what the kind returns beyond the four common result columns
template <class Args>
struct kind;

// Submissions are applied by their own statement with the keys (submit_keyed in
// idempotency.cpp): no `sql` here.
template <>
struct kind<submit_args> {
  static constexpr const char* label = "submit";
  static constexpr const char* sql = nullptr;
};

template <>
struct kind<draft_args> {
  static constexpr const char* label = "save_draft";
  static constexpr const char* statement = "zw_draft";
  static constexpr const char* sql = sql::writer_apply_draft;
  static constexpr std::size_t arrays = 5;
  static void append(array_buffers& a, const write_op&, const draft_args& d) {
    append_int(a[1], d.batch);
    append_bool(a[2], d.drill);
    append_int(a[3], d.base_version);
    append_quoted(a[4], d.choices);
  }
  static void read(write_op&, const pqxx::row&) {}
};

template <>
struct kind<favorite_put_args> {
  static constexpr const char* label = "favorite_put";
  static constexpr const char* statement = "zw_fav_put";
  static constexpr const char* sql = sql::writer_apply_favorite_put;
  static constexpr std::size_t arrays = 4;
  static void append(array_buffers& a, const write_op&, const favorite_put_args& f) {
    append_int(a[1], f.kind);
    append_quoted(a[2], f.target);
    append_quoted(a[3], f.category);
  }
  static void read(write_op&, const pqxx::row&) {}
};

template <>
struct kind<favorite_delete_args> {
  static constexpr const char* label = "favorite_delete";
  static constexpr const char* statement = "zw_fav_del";
  static constexpr const char* sql = sql::writer_apply_favorite_delete;
  static constexpr std::size_t arrays = 3;
  static void append(array_buffers& a, const write_op&, const favorite_delete_args& f) {
    append_int(a[1], f.kind);
    append_quoted(a[2], f.target);
  }
  static void read(write_op&, const pqxx::row&) {}
};

template <>
struct kind<contact_args> {
  static constexpr const char* label = "contact";
  static constexpr const char* statement = "zw_contact";
  static constexpr const char* sql = sql::writer_apply_contact;
  static constexpr std::size_t arrays = 4;
  static void append(array_buffers& a, const write_op&, const contact_args& c) {
    append_int(a[1], c.base_version);
    append_quoted(a[2], c.phone);
    append_quoted(a[3], c.address);
  }
  static void read(write_op&, const pqxx::row&) {}
};

template <>
struct kind<confirm_args> {
  static constexpr const char* label = "confirm";
  static constexpr const char* statement = "zw_confirm";
  static constexpr const char* sql = sql::writer_apply_confirm;
  static constexpr std::size_t arrays = 4;
  static void append(array_buffers& a, const write_op& op, const confirm_args& c) {
    append_int(a[1], c.base_version);
    append_quoted(a[2], c.what);
    append_int(a[3], op.accepted_at_us);
  }
  static void read(write_op&, const pqxx::row&) {}
};

template <>
struct kind<sign_in_args> {
  static constexpr const char* label = "sign_in";
  static constexpr const char* statement = "zw_sign_in";
  static constexpr const char* sql = sql::writer_apply_sign_in;
  static constexpr std::size_t arrays = 6;
  static void append(array_buffers& a, const write_op&, const sign_in_args& s) {
    append_hex(a[1], s.token_hash);
    append_int(a[2], s.expires_at);
    append_quoted(a[3], s.ip);
    append_quoted(a[4], s.user_agent);
    // Each element is itself a smallint[] literal, cast in SQL.
    append_quoted(a[5], array_literal(s.windows));
  }
  static void read(write_op&, const pqxx::row&) {}
};

template <>
struct kind<pledge_args> {
  static constexpr const char* label = "pledge";
  static constexpr const char* statement = "zw_pledge";
  static constexpr const char* sql = sql::writer_apply_pledge;
  static constexpr std::size_t arrays = 2;
  static void append(array_buffers& a, const write_op& op, const pledge_args&) {
    append_int(a[1], op.accepted_at_us);
  }
  static void read(write_op& op, const pqxx::row& row) {
    std::tie(op.first_at_us) = columns<std::int64_t>(row, 4);
  }
};

template <std::size_t I>
using kind_at = kind<std::variant_alternative_t<I, write_args>>;
using kind_indices = std::make_index_sequence<std::variant_size_v<write_args>>;

// Calls `f.template operator()<Args>()` for every alternative of write_args, in kind order.
template <class F, std::size_t... I>
void for_each_kind(F&& f, std::index_sequence<I...>) {
  (f.template operator()<std::variant_alternative_t<I, write_args>>(), ...);
}

template <std::size_t... I>
constexpr std::array<const char*, sizeof...(I)> kind_labels(std::index_sequence<I...>) {
  return {kind_at<I>::label...};
}

// Binds the first `sizeof...(I)` array literals to the prepared statement.
template <std::size_t... I>
pqxx::result exec_arrays(pqxx::work& tx, const char* statement, const array_buffers& a,
                         std::index_sequence<I...>) {
  static_assert(sizeof...(I) <= max_arrays);
  return tx.exec_prepared(statement, a[I]...);
}

// The four result columns every kind returns first: candidate_id, then the new version (0 when
// unversioned), the previous receipt hash (NULL unless a submission had one) and the commit
// time (unix µs).
void read_common(write_op& op, const pqxx::row& row) {
  const auto [version, prev_hash, committed_at_us] =
      columns<std::int64_t, std::optional<std::string_view>, std::int64_t>(row, 1);
  op.status = op_status::committed;
  op.version = version;
  op.has_prev_hash = prev_hash && parse_digest(*prev_hash, op.prev_hash);
  op.committed_at_us = committed_at_us;
}

template <class Args>
void apply(pqxx::work& tx, write_batch& b) {
  using k = kind<Args>;
  auto& a = b.arrays;
  for (std::size_t c = 0; c < k::arrays; ++c) open_array(a[c]);
  std::size_t count = 0;
  for (std::size_t i = 0; i < b.ops.size(); ++i) {
    const auto* args = std::get_if<Args>(&b.ops[i]->args);
    if (!b.fresh[i] || args == nullptr) continue;
    ++count;
    append_int(a[0], b.ops[i]->candidate_id);
    k::append(a, *b.ops[i], *args);
  }
  if (count == 0) return;
  for (std::size_t c = 0; c < k::arrays; ++c) close_array(a[c]);
  const pqxx::result r = exec_arrays(tx, k::statement, a, std::make_index_sequence<k::arrays>{});
  // Every op of this kind not returned lost its version check.
  for (std::size_t i = 0; i < b.ops.size(); ++i) {
    if (b.fresh[i] && std::holds_alternative<Args>(b.ops[i]->args)) {
      b.ops[i]->status = op_status::conflict;
    }
  }
  for (const auto& row : r) {
    const auto [candidate] = columns<std::int64_t>(row);
    const std::size_t i = b.position_of(candidate);
    if (i == write_batch::npos) continue;
    read_common(*b.ops[i], row);
    k::read(*b.ops[i], row);
  }
  if constexpr (std::is_base_of_v<choices_args, Args>) {
    // An op without a base version cannot conflict: it was skipped because another node
    // inserted the first version concurrently (ON CONFLICT waited for its COMMIT). Rerun the
    // batch, which then updates that version.
    for (std::size_t i = 0; i < b.ops.size(); ++i) {
      const auto* args = std::get_if<Args>(&b.ops[i]->args);
      if (b.fresh[i] && args != nullptr && args->base_version < 0 &&
          b.ops[i]->status == op_status::conflict) {
        throw key_race{};
      }
    }
  }
}

}  // namespace

const char* kind_name(op_kind k) noexcept {
  static constexpr auto names = kind_labels(kind_indices{});
  return names[static_cast<std::size_t>(k)];
}

void prepare_kinds(pqxx::connection& c) {
  for_each_kind(
      [&]<class Args>() {
        if constexpr (kind<Args>::sql != nullptr) c.prepare(kind<Args>::statement, kind<Args>::sql);
      },
      kind_indices{});
}

void apply_kinds(pqxx::work& tx, write_batch& batch) {
  for_each_kind(
      [&]<class Args>() {
        if constexpr (kind<Args>::sql != nullptr) apply<Args>(tx, batch);
      },
      kind_indices{});
}

}  // namespace zhiyuan::storage
