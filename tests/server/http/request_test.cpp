// The request-decoding kit: query and path parameters, integers, preconditions and JSON bodies
// read into typed structs with errors naming the field.
#include "server/http/request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace zhiyuan::server {
namespace {

TEST(request, query_parameters_are_percent_decoded) {
  EXPECT_EQ(query_param("batch=undergrad&q=%E6%B9%96+x", "q").value, "湖 x");
  EXPECT_TRUE(query_param("a=1&b", "b").present);
  EXPECT_FALSE(query_param("a=1", "b").present);
  EXPECT_EQ(query_param("a=1&a=2", "a").value, "1");  // the first counts
  EXPECT_TRUE(query_param("q=%zz", "q").malformed);
  EXPECT_TRUE(query_param("q=%E6%B9", "q").malformed);  // truncated UTF-8
  EXPECT_TRUE(query_param("q=a%00b", "q").malformed);
}

TEST(request, header_text_is_cleaned_and_cut_on_a_character) {
  EXPECT_EQ(clean_header_text("Mozilla/5.0", 256), "Mozilla/5.0");
  EXPECT_EQ(clean_header_text("a\xff"
                              "b\x01"
                              "c",
                              256),
            "a?b?c");
  EXPECT_EQ(clean_header_text("湖南", 256), "湖南");
  EXPECT_EQ(clean_header_text("湖南", 5), "湖");  // never half a character
  EXPECT_EQ(clean_header_text("abcdef", 3), "abc");
  EXPECT_EQ(clean_header_text("ab\xff\xff\xff", 3), "ab?");
  EXPECT_EQ(clean_header_text("", 10), "");
}

// A request as a handler sees it: target split into path and query, optional JSON body.
struct fake_request {
  http_request req;
  response res;
  request_context ctx;

  explicit fake_request(std::string_view query, std::string body = {},
                        std::string_view content_type = "application/json")
      : ctx{req, "/x", query, {}, "rid", "", "", res} {
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    req.body() = std::move(body);
  }
};

TEST(request, query_integers_are_bounded_and_name_the_parameter) {
  EXPECT_EQ(*query_int(fake_request("limit=7").ctx, "limit", 1, 100, 50), 7);
  EXPECT_EQ(*query_int(fake_request("").ctx, "limit", 1, 100, 50), 50);
  for (const char* bad : {"limit=0", "limit=101", "limit=", "limit=1x", "limit=%zz", "limit=-3"}) {
    const auto r = query_int(fake_request(bad).ctx, "limit", 1, 100, 50);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, core::errc::invalid_field);
    EXPECT_EQ(r.error().detail, "limit: an integer from 1 to 100");
  }
}

TEST(request, batches_come_from_their_codes) {
  EXPECT_EQ(*query_batch(fake_request("batch=vocational").ctx), core::batch::vocational);
  EXPECT_FALSE(*query_batch(fake_request("").ctx));
  EXPECT_EQ(*query_batch(fake_request("").ctx, core::batch::undergrad), core::batch::undergrad);
  EXPECT_EQ(query_batch(fake_request("batch=2").ctx).error().code, core::errc::invalid_field);

  fake_request r("");
  r.ctx.params.items[0] = {"batch", "undergrad"};
  r.ctx.params.size = 1;
  EXPECT_EQ(*path_batch(r.ctx), core::batch::undergrad);
  r.ctx.params.items[0].second = "Undergrad";
  EXPECT_EQ(path_batch(r.ctx).error().code, core::errc::not_found);
}

TEST(request, a_required_batch_must_be_given) {
  EXPECT_EQ(*query_required_batch(fake_request("batch=undergrad").ctx), core::batch::undergrad);
  for (const char* bad : {"", "batch=", "batch=2"}) {
    const auto r = query_required_batch(fake_request(bad).ctx);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, core::errc::invalid_field);
    EXPECT_EQ(r.error().detail,
              "batch: one of early_undergrad, undergrad, early_vocational, vocational");
  }
}

TEST(request, tracks_come_from_their_codes) {
  EXPECT_EQ(*query_track(fake_request("track=history").ctx), core::track::history);
  EXPECT_FALSE(*query_track(fake_request("").ctx));
  EXPECT_FALSE(*query_track(fake_request("track=").ctx));
  const auto r = query_track(fake_request("track=art").ctx);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail, "track: physics or history");
}

TEST(request, positive_parameters_are_written_as_ids) {
  EXPECT_EQ(*query_positive(fake_request("page_size=7").ctx, "page_size", 100), 7);
  EXPECT_FALSE(*query_positive(fake_request("").ctx, "page_size", 100));
  EXPECT_FALSE(*query_positive(fake_request("page_size=").ctx, "page_size", 100));
  for (const char* bad : {"page_size=0", "page_size=101", "page_size=07", "page_size=-1",
                          "page_size=1x", "page_size=%zz"}) {
    const auto r = query_positive(fake_request(bad).ctx, "page_size", 100);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, core::errc::invalid_field);
    EXPECT_EQ(r.error().detail, "page_size: an integer from 1 to 100");
  }
  EXPECT_EQ(*query_positive(fake_request("group=123456789012").ctx, "group"), 123456789012);
  EXPECT_EQ(query_positive(fake_request("group=abc").ctx, "group").error().detail,
            "group: a positive integer");
}

TEST(request, ids_are_plain_positive_decimals) {
  EXPECT_EQ(parse_id("1"), 1);
  EXPECT_EQ(parse_id("999999999999999999"), 999999999999999999);
  for (const char* bad : {"", "0", "01", "-1", "+1", "1x", " 1", "9999999999999999999"}) {
    EXPECT_FALSE(parse_id(bad)) << bad;
  }
  fake_request r("");
  r.ctx.params.items[0] = {"unit", "2147483648"};
  r.ctx.params.size = 1;
  EXPECT_EQ(*path_id(r.ctx, "unit"), 2147483648);
  const auto narrow = path_id(r.ctx, "unit", 2147483647);
  ASSERT_FALSE(narrow);
  EXPECT_EQ(narrow.error().code, core::errc::not_found);
  EXPECT_EQ(narrow.error().detail, "no such unit");
}

TEST(request, if_match_is_a_version) {
  fake_request r("");
  EXPECT_FALSE(*if_match(r.req));
  r.req.set(http::field::if_match, "\"3\"");
  EXPECT_EQ(*if_match(r.req), 3);
  r.req.set(http::field::if_match, "0");
  EXPECT_EQ(*if_match(r.req), 0);
  for (const char* bad : {"\"-1\"", "W/\"3\"", "\"\"", "abc"}) {
    r.req.set(http::field::if_match, bad);
    EXPECT_EQ(if_match(r.req).error().code, core::errc::invalid_field) << bad;
  }
}

TEST(request, idempotency_keys_are_printable_and_never_the_servers) {
  fake_request r("");
  EXPECT_EQ(*idempotency_key(r.req), "");
  r.req.set("Idempotency-Key", "abc-123");
  EXPECT_EQ(*idempotency_key(r.req), "abc-123");
  for (const std::string& bad :
       {std::string("~server"), std::string("a b"), std::string(256, 'k')}) {
    r.req.set("Idempotency-Key", bad);
    EXPECT_FALSE(idempotency_key(r.req)) << bad;
  }
}

TEST(request, etags_answer_304_when_held) {
  fake_request r("");
  EXPECT_FALSE(not_modified(r.ctx, "v1"));
  ASSERT_EQ(r.res.headers.size(), 1u);
  EXPECT_EQ(r.res.headers[0].second, "\"v1\"");
  fake_request held("");
  held.req.set(http::field::if_none_match, "\"v0\", \"v1\"");
  held.res.body = "{}";
  EXPECT_TRUE(not_modified(held.ctx, "v1"));
  EXPECT_EQ(held.res.status, 304u);
  EXPECT_TRUE(held.res.body.empty());
}

struct login_body {
  std::string name;
  std::string note = "none";
  bool flag = false;
  std::int32_t unit = 0;
};

core::result<login_body> decode(const fake_request& r) {
  return json_fields<login_body>(r.ctx)
      .text("name", &login_body::name, 8)
      .text("note", &login_body::note, 4, /*required=*/false)
      .flag("flag", &login_body::flag, /*required=*/false)
      .integer("unit", &login_body::unit, 1, 2147483647)
      .done();
}

TEST(request, json_bodies_become_structs) {
  const auto ok = decode(fake_request("", R"({"name":"湖南","unit":43,"flag":true})"));
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->name, "湖南");
  EXPECT_EQ(ok->note, "none");  // optional and absent: untouched
  EXPECT_TRUE(ok->flag);
  EXPECT_EQ(ok->unit, 43);
}

TEST(request, json_body_errors_name_the_member) {
  const auto detail = [](std::string body, std::string_view type = "application/json") {
    const auto r = decode(fake_request("", std::move(body), type));
    return r ? std::string("accepted")
             : std::string(core::to_code(r.error().code)) + ": " + r.error().detail;
  };
  EXPECT_EQ(detail(R"({"name":"a","unit":1})", "text/plain"),
            "unsupported_media_type: send application/json");
  EXPECT_EQ(detail("[1]"), "invalid_field: body: a JSON object");
  EXPECT_EQ(detail("{"), "invalid_field: body: a JSON object");
  EXPECT_EQ(detail(R"({"unit":1})"), "invalid_field: name: required");
  EXPECT_EQ(detail(R"({"name":"123456789","unit":1})"),
            "invalid_field: name: a string of at most 8 bytes without NUL");
  EXPECT_EQ(detail(R"({"name":7,"unit":1})"),
            "invalid_field: name: a string of at most 8 bytes without NUL");
  EXPECT_EQ(detail(R"({"name":"a\u0000b","unit":1})"),
            "invalid_field: name: a string of at most 8 bytes without NUL");
  // A member given twice is refused, not resolved by a guess.
  EXPECT_EQ(detail(R"({"name":"a","unit":1,"name":"b"})"),
            "invalid_field: name (duplicated member)");
  // The media type exactly, in any case, with or without parameters.
  EXPECT_EQ(detail(R"({"name":"a","unit":1})", "application/jsonx"),
            "unsupported_media_type: send application/json");
  EXPECT_EQ(detail(R"({"name":"a","unit":1})", "Application/JSON; charset=utf-8"), "accepted");
  EXPECT_EQ(detail(R"({"name":"a","unit":0})"),
            "invalid_field: unit: an integer from 1 to 2147483647");
  EXPECT_EQ(detail(R"({"name":"a","unit":1,"flag":"yes"})"), "invalid_field: flag: true or false");
  // An unknown member is named first, whatever else is wrong.
  EXPECT_EQ(detail(R"({"name":7,"drill":true})"), "invalid_field: drill (unknown member)");
  EXPECT_EQ(detail(R"({"name":"a","unit":1})"), "accepted");
}

TEST(request, positive_parameters_treat_empty_as_absent) {
  EXPECT_FALSE(*query_positive(fake_request("").ctx, "unit"));
  EXPECT_FALSE(*query_positive(fake_request("unit=").ctx, "unit"));
  EXPECT_EQ(**query_positive(fake_request("unit=43").ctx, "unit"), 43);
  for (const char* bad : {"unit=0", "unit=-1", "unit=043", "unit=x", "unit=%zz"}) {
    const auto r = query_positive(fake_request(bad).ctx, "unit");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().detail, "unit: a positive integer") << bad;
  }
  const auto wide = query_positive(fake_request("unit=2147483648").ctx, "unit", 2147483647);
  ASSERT_FALSE(wide);
  EXPECT_EQ(wide.error().detail, "unit: an integer from 1 to 2147483647");
}

TEST(request, choices_are_named_by_their_index) {
  const auto kind = [](std::string_view query) {
    return query_choice(fake_request(query).ctx, "kind", {"announcement", "reminder"});
  };
  EXPECT_FALSE(*kind(""));
  EXPECT_FALSE(*kind("kind="));
  EXPECT_EQ(**kind("kind=reminder"), 1u);
  EXPECT_EQ(kind("kind=notice").error().detail, "kind: announcement or reminder");
  EXPECT_EQ(kind("kind=%zz").error().code, core::errc::invalid_field);
  EXPECT_EQ(query_choice(fake_request("s=x").ctx, "s", {"a", "b", "c"}).error().detail,
            "s: a, b or c");
}

TEST(request, times_are_rfc3339) {
  EXPECT_FALSE(*query_time(fake_request("from=").ctx, "from"));
  EXPECT_EQ(**query_time(fake_request("from=1970-01-01T00:01:00Z").ctx, "from"), 60);
  EXPECT_EQ(query_time(fake_request("from=yesterday").ctx, "from").error().detail,
            "from: an RFC 3339 time");
}

struct coded_body {
  core::batch batch = core::batch::undergrad;
  std::optional<core::batch> maybe;
};

TEST(request, json_codes_are_parsed_into_their_field) {
  const auto decode_codes = [](std::string body) {
    return json_fields<coded_body>(fake_request("", std::move(body)).ctx)
        .custom("batch", true, json_code(&coded_body::batch, core::parse_batch, "batch: a code"))
        .custom("maybe", false, json_code(&coded_body::maybe, core::parse_batch, "maybe: a code"))
        .done();
  };
  const auto ok = decode_codes(R"({"batch":"vocational","maybe":"early_undergrad"})");
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->batch, core::batch::vocational);
  EXPECT_EQ(ok->maybe, core::batch::early_undergrad);
  EXPECT_FALSE(decode_codes(R"({"batch":"vocational"})")->maybe);
  EXPECT_EQ(decode_codes(R"({"batch":"x"})").error().detail, "batch: a code");
  EXPECT_EQ(decode_codes(R"({"batch":3})").error().detail, "batch: a code");
  EXPECT_EQ(decode_codes(R"({"maybe":"vocational"})").error().detail, "batch: required");
}

}  // namespace
}  // namespace zhiyuan::server
