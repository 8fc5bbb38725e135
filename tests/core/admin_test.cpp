#include "core/admin.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::core {
namespace {

TEST(admin_test, roles_nest_viewer_operator_manager) {
  using C = admin_capability;
  EXPECT_TRUE(may(admin_role::viewer, C::statistics));
  EXPECT_FALSE(may(admin_role::viewer, C::candidate_data));
  EXPECT_FALSE(may(admin_role::viewer, C::manage_accounts));
  EXPECT_TRUE(may(admin_role::operator_, C::candidate_data));
  EXPECT_FALSE(may(admin_role::operator_, C::manage_accounts));
  EXPECT_TRUE(may(admin_role::manager, C::manage_accounts));
}

TEST(admin_test, province_operations_need_a_province_manager) {
  EXPECT_TRUE(may_run_province(admin_role::manager, 0));
  EXPECT_FALSE(may_run_province(admin_role::manager, 1));
  EXPECT_FALSE(may_run_province(admin_role::operator_, 0));
  EXPECT_TRUE(may(admin_role::operator_, admin_capability::publish));
  EXPECT_FALSE(may(admin_role::viewer, admin_capability::publish));
}

TEST(admin_test, incident_events_move_the_status_forward) {
  EXPECT_EQ(incident_status_after(0, incident_event::comment), 0);
  EXPECT_EQ(incident_status_after(0, incident_event::acknowledge), 1);
  EXPECT_EQ(incident_status_after(2, incident_event::acknowledge), 2);
  EXPECT_EQ(incident_status_after(1, incident_event::resolve), 2);
  EXPECT_EQ(parse_incident_event("resolve"), incident_event::resolve);
  EXPECT_FALSE(parse_incident_event("close"));
  EXPECT_EQ(incident_status_code(1), "acknowledged");
}

TEST(admin_test, nobody_grants_above_their_own_role) {
  EXPECT_TRUE(may_grant(admin_role::manager, admin_role::manager));
  EXPECT_TRUE(may_grant(admin_role::manager, admin_role::viewer));
  EXPECT_FALSE(may_grant(admin_role::operator_, admin_role::viewer));
  EXPECT_FALSE(may_grant(admin_role::viewer, admin_role::viewer));
}

TEST(admin_test, codes_round_trip) {
  for (auto r : {admin_role::viewer, admin_role::operator_, admin_role::manager}) {
    EXPECT_EQ(parse_admin_role(to_code(r)), r);
    EXPECT_EQ(admin_role_from_int(static_cast<int>(r)), r);
  }
  EXPECT_FALSE(parse_admin_role("root"));
  EXPECT_FALSE(admin_role_from_int(3));
}

TEST(admin_test, unfiled_reasons_accept_codes_and_chinese_labels) {
  EXPECT_EQ(parse_unfiled_reason("abroad"), unfiled_reason::abroad);
  EXPECT_EQ(parse_unfiled_reason("出国"), unfiled_reason::abroad);
  EXPECT_EQ(parse_unfiled_reason("联系不上"), unfiled_reason::unreachable);
  EXPECT_EQ(parse_unfiled_reason("其他"), unfiled_reason::other);
  EXPECT_FALSE(parse_unfiled_reason("sick"));
  EXPECT_EQ(label_zh(unfiled_reason::military), "参军");
  EXPECT_EQ(unfiled_reason_from_int(5), unfiled_reason::other);
  EXPECT_FALSE(unfiled_reason_from_int(6));
}

TEST(admin_test, unfiled_reasons_only_for_eligible_unsubmitted_batches) {
  EXPECT_FALSE(unfiled_reason_refusal({.eligible = true, .submitted = false}));
  const auto submitted = unfiled_reason_refusal({.eligible = true, .submitted = true});
  ASSERT_TRUE(submitted);
  EXPECT_EQ(submitted->code, errc::already_submitted);
  const auto ineligible = unfiled_reason_refusal({.eligible = false, .submitted = false});
  ASSERT_TRUE(ineligible);
  EXPECT_EQ(ineligible->code, errc::not_eligible);
  // A submission without eligibility (a later score correction) is still a submission.
  EXPECT_EQ(unfiled_reason_refusal({.eligible = false, .submitted = true})->code,
            errc::already_submitted);
}

}  // namespace
}  // namespace zhiyuan::core
