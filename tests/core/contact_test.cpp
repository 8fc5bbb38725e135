#include "core/contact.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::core {
namespace {

contact_details valid() {
  return {"13812345678", {"湖南省", "长沙市", "岳麓区", "麓山南路 2 号", "410082", "张三"}};
}

std::vector<std::string> fields_of(const std::vector<field_problem>& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps) out.push_back(p.field);
  return out;
}

TEST(contact, a_complete_address_is_valid) { EXPECT_TRUE(check_contact(valid()).empty()); }

TEST(contact, every_bad_field_is_named_in_order) {
  auto c = valid();
  c.phone = "12812345678";  // 12x is not a mobile prefix
  c.address.city = "";
  c.address.postcode = "41008";
  c.address.recipient = std::string("a\x01", 2);
  EXPECT_EQ(
      fields_of(check_contact(c)),
      (std::vector<std::string>{"phone", "address.city", "address.postcode", "address.recipient"}));
}

TEST(contact, phone_and_text_rules) {
  for (const char* bad : {"", "1381234567", "138123456789", "1381234567x", "23812345678"}) {
    auto c = valid();
    c.phone = bad;
    EXPECT_EQ(fields_of(check_contact(c)), std::vector<std::string>{"phone"}) << bad;
  }
  auto c = valid();
  c.address.street = std::string(201, 'a');
  EXPECT_EQ(fields_of(check_contact(c)), std::vector<std::string>{"address.street"});
  c = valid();
  c.address.district = "\xe5\xb2";  // truncated UTF-8
  EXPECT_EQ(fields_of(check_contact(c)), std::vector<std::string>{"address.district"});
}

}  // namespace
}  // namespace zhiyuan::core
