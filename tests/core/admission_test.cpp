#include "core/admission.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::core {
namespace {

TEST(service_time, first_sample_seeds_then_moves_an_eighth_of_the_way) {
  service_time t;
  t.observe(16'000);
  EXPECT_EQ(t.mean_us, 16'000);
  t.observe(24'000);
  EXPECT_EQ(t.mean_us, 17'000);
  t.observe(-5);  // a clock step backwards counts as 0, never as a negative time
  EXPECT_EQ(t.mean_us, 17'000 - 17'000 / 8);
}

TEST(expected_wait, is_whole_rounds_of_service_ahead) {
  EXPECT_EQ(expected_wait_us(0, 4, 1'000), 0);
  EXPECT_EQ(expected_wait_us(3, 4, 1'000), 0);  // a thread frees before its turn comes
  EXPECT_EQ(expected_wait_us(8, 4, 1'000), 2'000);
  EXPECT_EQ(expected_wait_us(256, 1, 20'000), 5'120'000);
  EXPECT_EQ(expected_wait_us(100, 0, 1'000), 0);  // nothing measured or no server: no estimate
  EXPECT_EQ(expected_wait_us(100, 2, 0), 0);
}

TEST(admit_within, refuses_past_the_budget_and_0_turns_it_off) {
  EXPECT_TRUE(admit_within(20'000, 20'000));
  EXPECT_FALSE(admit_within(20'001, 20'000));
  EXPECT_TRUE(admit_within(99'000'000, 0));
}

TEST(class_budget, lower_classes_are_refused_first) {
  const std::int64_t b = 20'000;
  EXPECT_EQ(class_budget_us(work_class::submission, b), b);
  EXPECT_LT(class_budget_us(work_class::write, b), b);
  EXPECT_LT(class_budget_us(work_class::sign_in, b), class_budget_us(work_class::write, b));
  EXPECT_LE(class_budget_us(work_class::browse, b), class_budget_us(work_class::sign_in, b));
  // A wait that refuses a sign-in still admits a submission.
  const std::int64_t wait = 15'000;
  EXPECT_FALSE(admit_within(wait, class_budget_us(work_class::sign_in, b)));
  EXPECT_TRUE(admit_within(wait, class_budget_us(work_class::submission, b)));
}

}  // namespace
}  // namespace zhiyuan::core
