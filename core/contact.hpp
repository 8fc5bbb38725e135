#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zhiyuan::core {

/// Where the admission letter (录取通知书) is mailed.
struct postal_address {
  std::string province;
  std::string city;
  std::string district;
  std::string street;
  std::string postcode;   ///< 6 digits
  std::string recipient;  ///< 收件人
};

/// A candidate's contact details.
struct contact_details {
  std::string phone;  ///< mainland mobile number: 11 digits, "1" then 3-9
  postal_address address;
};

/// One bad field: its JSON path (e.g. "address.postcode") and an English explanation.
struct field_problem {
  std::string field;
  std::string message;
  friend bool operator==(const field_problem&, const field_problem&) = default;
};

/// Every problem of `c`, in field order; empty when valid. Text fields must be non-empty valid
/// UTF-8 without control characters, at most 64 bytes (street: 200).
std::vector<field_problem> check_contact(const contact_details& c);

}  // namespace zhiyuan::core
