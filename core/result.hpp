#pragma once

#include <string>
#include <utility>
#include <variant>

#include "core/errc.hpp"

namespace zhiyuan::core {

/// An error: a stable code plus a human-readable detail (which field, which rule).
struct error {
  errc code = errc::internal;
  std::string detail;
};

/// Tag to construct a failed `result`, like `std::unexpected`.
struct failure {
  error err;
  failure(errc c, std::string detail = {}) : err{c, std::move(detail)} {}
  explicit failure(error e) : err(std::move(e)) {}
};

/// A value or an error, with `std::expected`'s shape so it becomes an alias on C++23.
template <typename T>
class result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  result(failure f) : v_(std::in_place_index<1>, std::move(f.err)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const core::error& error() const& { return std::get<1>(v_); }

 private:
  std::variant<T, core::error> v_;
};

/// `result<void>`: success carries nothing.
template <>
class result<void> {
 public:
  result() = default;
  result(failure f) : err_(std::move(f.err)), ok_(false) {}

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const core::error& error() const& { return err_; }

 private:
  core::error err_;
  bool ok_ = true;
};

}  // namespace zhiyuan::core
