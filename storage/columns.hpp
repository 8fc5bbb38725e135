#pragma once

// Reads a result row into typed values by column order, so that a statement's result columns
// are named once, where they are read (libpqxx 6 has no row-to-struct mapping).

#include <cstddef>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <pqxx/row>

namespace zhiyuan::storage {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

/// One field as `T`: std::string_view views the result's text (valid while the result lives);
/// std::optional<T> is empty for NULL; anything else as libpqxx converts it.
template <class T>
T column_as(const pqxx::field& f) {
  if constexpr (is_optional<T>::value) {
    return f.is_null() ? T{} : T{column_as<typename T::value_type>(f)};
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    return std::string_view(f.c_str(), f.size());
  } else {
    return f.as<T>();
  }
}

template <class... T, std::size_t... I>
std::tuple<T...> columns_at(const pqxx::row& row, pqxx::row::size_type first,
                            std::index_sequence<I...>) {
  return std::tuple<T...>{column_as<T>(row[first + static_cast<pqxx::row::size_type>(I)])...};
}

/// Columns `first`, `first + 1`, … of `row` as `T...`: e.g.
/// `auto [id, version] = columns<std::int64_t, std::int64_t>(row);`
template <class... T>
std::tuple<T...> columns(const pqxx::row& row, pqxx::row::size_type first = 0) {
  return columns_at<T...>(row, first, std::index_sequence_for<T...>{});
}

}  // namespace zhiyuan::storage
