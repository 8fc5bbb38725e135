#include "core/import.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::core {
namespace {

TEST(import_test, parses_quoted_cells_bom_and_crlf_with_line_numbers) {
  std::vector<import_error> errors;
  const auto t = parse_csv(
      "\xEF\xBB\xBF"
      "a,b\r\n1,\"x,\"\"y\"\"\"\r\n\r\n2,\"two\nlines\"\n3,z",
      10, errors);
  ASSERT_TRUE(t) << (errors.empty() ? "" : errors[0].message);
  EXPECT_EQ(t->header, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(t->rows.size(), 3u);
  EXPECT_EQ(t->rows[0].cells[1], "x,\"y\"");
  EXPECT_EQ(t->rows[1].line, 4u);
  EXPECT_EQ(t->rows[1].cells[1], "two\nlines");
  EXPECT_EQ(t->rows[2].line, 6u);
}

TEST(import_test, refuses_ragged_rows_open_quotes_and_too_many_rows) {
  std::vector<import_error> errors;
  EXPECT_FALSE(parse_csv("a,b\n1\n", 10, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2u);
  errors.clear();
  EXPECT_FALSE(parse_csv("a\n\"open\n", 10, errors));
  errors.clear();
  EXPECT_FALSE(parse_csv("a\n1\n2\n3\n", 2, errors));
  EXPECT_NE(errors.back().message.find("more than 2"), std::string::npos);
}

TEST(import_test, refuses_text_that_is_not_utf8_or_has_control_characters) {
  std::vector<import_error> errors;
  // "李" in GBK on line 3.
  EXPECT_FALSE(parse_csv("a,b\n1,ok\n2,\xC0\xEE\n", 10, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 3u);
  EXPECT_NE(errors[0].message.find("UTF-8"), std::string::npos);
  errors.clear();
  EXPECT_FALSE(parse_csv(std::string("a\nx\0y\n", 6), 10, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2u);
  errors.clear();
  EXPECT_TRUE(parse_csv("a,b\r\n\xE6\x9D\x8E,\t\r\n", 10, errors));  // 李, a tab, CRLF
  EXPECT_TRUE(errors.empty());
}

TEST(import_test, unit_rows_name_each_bad_cell) {
  std::vector<import_error> errors;
  const auto t = parse_csv(
      "code,name,level,parent_code\nHN,Hunan,province,\nC1,City,city,HN\nC1,Again,city,HN\n"
      "S1,School,campus,C1\nS2,,school,\n",
      100, errors);
  ASSERT_TRUE(t);
  const auto rows = check_units(*t, errors);
  EXPECT_EQ(rows.size(), 2u);
  const std::vector<import_error> want = {{4, "code", "duplicate code (line 3)"},
                                          {5, "level", "province, city, county or school"},
                                          {6, "name", "required"},
                                          {6, "parent_code", "required below the province"}};
  EXPECT_EQ(errors, want);
}

TEST(import_test, plan_and_score_rows_are_checked_across_rows) {
  std::vector<import_error> errors;
  std::string csv;
  for (std::size_t i = 0; i < plan_columns.size(); ++i) {
    if (i) csv += ',';
    csv += plan_columns[i];
  }
  csv += "\n10001,Uni,Hunan,public,101,undergrad,physics,regular,false,1,0,0,50,M1,Math,20,4,5000";
  csv += "\n10001,Uni,Hunan,public,101,undergrad,physics,regular,false,1,0,0,60,M2,CS,20,4,5000";
  csv += "\n10001,Uni,Hunan,public,102,later,physics,regular,false,1,0,0,60,M2,CS,20,4,5000\n";
  const auto t = parse_csv(csv, 100, errors);
  ASSERT_TRUE(t);
  const auto rows = check_plans(*t, errors);
  EXPECT_EQ(rows.size(), 1u);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].line, 3u);
  EXPECT_EQ(errors[0].column, "group_plan_count");
  EXPECT_EQ(errors[1].column, "batch");
  errors.clear();
  const auto s = parse_csv(
      "college_code,group_code,batch,track,year,min_score,min_rank,admitted\n"
      "10001,101,undergrad,physics,2022,560,12000,40\n10001,101,undergrad,physics,2022,1,1,1\n",
      100, errors);
  ASSERT_TRUE(s);
  EXPECT_EQ(check_scores(*s, errors).size(), 1u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].column, "year");
  errors.clear();
  const auto missing = parse_csv("college_code,extra\n", 100, errors);
  ASSERT_TRUE(missing);
  check_scores(*missing, errors);
  EXPECT_GE(errors.size(), 2u);
}

TEST(import_test, electives_and_eligibility_cells) {
  EXPECT_EQ(parse_electives("chemistry+biology"),
            (subject_set{subject::chemistry, subject::biology}));
  EXPECT_EQ(parse_electives("geography+politics"),
            (subject_set{subject::politics, subject::geography}));
  for (const char* bad : {"", "chemistry", "chemistry+chemistry", "chemistry+biology+politics",
                          "chemistry+", "physics+biology"}) {
    EXPECT_FALSE(parse_electives(bad)) << bad;
  }
  EXPECT_EQ(parse_eligibility(""), eligibility{});
  const auto e = parse_eligibility("undergrad+special_type+vocational");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->batches, (batch_set{batch::undergrad, batch::vocational}));
  EXPECT_TRUE(e->special_type);
  for (const char* bad : {"special_type", "vocational+special_type", "undergrad+undergrad",
                          "undergrad+", "+undergrad", "undergrad++vocational", "graduate"}) {
    EXPECT_FALSE(parse_eligibility(bad)) << bad;
  }
}

TEST(import_test, candidate_rows_name_each_bad_cell) {
  std::vector<import_error> errors;
  const std::string header =
      "exam_no,name,id_number,school_code,category,track,electives,score,rank,eligible\n";
  const auto t = parse_csv(
      header +
          "23430102150001,Li,11010519491231002x,S1,regular,physics,chemistry+biology,600,1200,"
          "undergrad+special_type\n"  // 2 ok
          "23430102150002,Wang,110105194912310021,S1,regular,physics,chemistry+biology,,,\n"  // 3
          "2343010215000,Zhao,,S1,music,chemistry,chemistry,800,0,undergrad\n"                // 4
          "23430102150001,Sun,11010519491231002X,S1,arts,history,politics+geography,,,"
          "vocational\n"                                                                 // 5
          "23430102150005,Qian,,S1,regular,physics,chemistry+biology,500,,\n"            // 6
          "23430102150006,Zhou,43010220050101123X,S1,regular,physics,,,,\n"              // 7 ok
          "23430102150007,Wu,430102200501011248,S1,regular,physics,,500,9,undergrad\n",  // 8
      100, errors);
  ASSERT_TRUE(t) << errors[0].message;
  const auto rows = check_candidates(*t, errors);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].line, 2u);
  EXPECT_EQ(rows[1].line, 7u);  // no score: no electives either
  EXPECT_TRUE(rows[1].electives.empty());
  EXPECT_FALSE(rows[1].score);
  EXPECT_EQ(rows[0].id_number, "11010519491231002X");  // stored with an upper-case X
  EXPECT_EQ(rows[0].score, 600);
  EXPECT_EQ(rows[0].rank, 1200);
  EXPECT_TRUE(rows[0].eligible.special_type);
  std::vector<std::pair<std::size_t, std::string>> seen;
  for (const auto& e : errors) seen.emplace_back(e.line, e.column);
  const std::vector<std::pair<std::size_t, std::string>> expected = {
      {3, "id_number"}, {4, "exam_no"},   {4, "id_number"}, {4, "category"}, {4, "track"},
      {4, "score"},     {4, "electives"}, {4, "rank"},      {5, "eligible"}, {5, "exam_no"},
      {5, "id_number"}, {6, "id_number"}, {6, "rank"},      {8, "electives"}};
  EXPECT_EQ(seen, expected);
}

}  // namespace
}  // namespace zhiyuan::core
