#include "server/openapi.hpp"

#include <algorithm>
#include <map>

#include "core/errc.hpp"
#include "server/json_writer.hpp"
#include "server/problem.hpp"
#include "server/version.hpp"

namespace zhiyuan::server {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Every error code, in enum order (errc::internal is the last enumerator).
std::vector<core::errc> all_errors() {
  std::vector<core::errc> out;
  for (int i = 0; i <= static_cast<int>(core::errc::internal); ++i) {
    out.push_back(static_cast<core::errc>(i));
  }
  return out;
}

std::string codes_for(unsigned status) {
  std::string out;
  for (auto e : all_errors()) {
    if (http_status(e) != status) continue;
    if (!out.empty()) out += ", ";
    out += core::to_code(e);
  }
  return out;
}

}  // namespace

std::string build_openapi(const router& routes) {
  std::string out;
  json_writer w(out);
  w.begin_object();
  w.key("openapi").value("3.1.0");
  w.key("info").begin_object();
  w.key("title").value("zhiyuan");
  w.key("version").value(version);
  w.key("description")
      .value(
          "Online college-application filing. Every error is RFC 9457 "
          "application/problem+json with a stable `code` member and the `request_id`.");
  w.end_object();

  // Group routes by path: OpenAPI lists the methods of one path together.
  std::map<std::string, std::vector<std::size_t>> by_path;
  for (std::size_t i = 0; i < routes.routes().size(); ++i) {
    by_path[routes.routes()[i].pattern].push_back(i);
  }
  w.key("paths").begin_object();
  for (const auto& [pattern, indices] : by_path) {
    w.key(pattern).begin_object();
    for (std::size_t i : indices) {
      const route_spec& r = routes.routes()[i];
      const route_doc& d = r.doc;
      w.key(lower(http::to_string(r.method))).begin_object();
      w.key("summary").value(d.summary);
      w.key("operationId").value(routes.names()[i]);
      w.key("tags").begin_array().value(d.tag).end_array();
      // Path parameters come from the {name} segments.
      std::vector<std::string> params;
      for (std::size_t p = pattern.find('{'); p != std::string::npos; p = pattern.find('{', p)) {
        auto e = pattern.find('}', p);
        params.push_back(pattern.substr(p + 1, e - p - 1));
        p = e;
      }
      if (!params.empty() || !d.query.empty() || !d.headers.empty()) {
        w.key("parameters").begin_array();
        for (const auto& p : params) {
          w.begin_object();
          w.key("name").value(p);
          w.key("in").value("path");
          w.key("required").value(true);
          w.key("schema").raw(R"({"type":"string"})");
          w.end_object();
        }
        for (const auto& q : d.query) {
          w.begin_object();
          w.key("name").value(q.name);
          w.key("in").value("query");
          w.key("required").value(false);
          if (!q.description.empty()) w.key("description").value(q.description);
          w.key("schema").raw(q.schema);
          w.end_object();
        }
        for (const auto& [name, description] : d.headers) {
          w.begin_object();
          w.key("name").value(name);
          w.key("in").value("header");
          w.key("description").value(description);
          w.key("schema").raw(R"({"type":"string"})");
          w.end_object();
        }
        w.end_array();
      }
      if (d.authenticated) {
        w.key("security").raw(R"([{"bearer":[]},{"cookie":[]}])");
      }
      if (!d.request_schema.empty()) {
        w.key("requestBody").begin_object();
        w.key("required").value(true);
        w.key("content").begin_object();
        w.key("application/json").begin_object().key("schema").raw(d.request_schema).end_object();
        w.end_object();
        w.end_object();
      }
      w.key("responses").begin_object();
      w.key(std::to_string(d.success_status)).begin_object();
      w.key("description").value("Success");
      w.key("content").begin_object();
      w.key(d.response_type).begin_object().key("schema").raw(d.response_schema).end_object();
      w.end_object();
      w.end_object();
      std::vector<unsigned> errors = {400, 404, 405, 408, 413, 431, 500};
      errors.insert(errors.end(), d.error_statuses.begin(), d.error_statuses.end());
      std::sort(errors.begin(), errors.end());
      errors.erase(std::unique(errors.begin(), errors.end()), errors.end());
      for (unsigned s : errors) {
        w.key(std::to_string(s)).begin_object();
        w.key("description").value("Problem; code: " + codes_for(s));
        w.key("content").begin_object();
        w.key("application/problem+json")
            .begin_object()
            .key("schema")
            .raw(R"({"$ref":"#/components/schemas/Problem"})")
            .end_object();
        w.end_object();
        w.end_object();
      }
      w.end_object();
      w.end_object();
    }
    w.end_object();
  }
  w.end_object();

  w.key("components").begin_object();
  w.key("securitySchemes")
      .raw(
          R"({"bearer":{"type":"http","scheme":"bearer","description":"token from )"
          R"(POST /api/v1/auth/login"},"cookie":{"type":"apiKey","in":"cookie","name":"zy_session"}})");
  w.key("schemas").begin_object();
  std::string codes;
  json_writer cw(codes);
  cw.begin_array();
  for (auto e : all_errors()) cw.value(core::to_code(e));
  cw.end_array();
  w.key("Problem").raw(R"({"type":"object","description":"RFC 9457 problem details",)"
                       R"("required":["type","title","status","code","request_id"],"properties":{)"
                       R"("type":{"type":"string"},"title":{"type":"string"},)"
                       R"("status":{"type":"integer"},"detail":{"type":"string"},)"
                       R"("instance":{"type":"string"},"request_id":{"type":"string"},)"
                       R"("code":{"type":"string","enum":)" +
                       codes + "}}}");
  w.key("Receipt").raw(
      R"({"type":"object","description":"A signed receipt (回执), sent only after COMMIT. )"
      R"(SHA-256 of `canonical` is `receipt_hash`; `signature` is Ed25519 over `canonical` )"
      R"(with the key of GET /api/v1/receipts/public-key; `prev_hash` is the previous )"
      R"(version's receipt_hash (a hash chain).",)"
      R"("required":["exam_no","batch","drill","version","accepted_at","committed_at",)"
      R"("choices_sha256","prev_hash","receipt_hash","canonical","signature","key_id"],)"
      R"("properties":{"exam_no":{"type":"string"},"batch":{"type":"string"},)"
      R"("drill":{"type":"boolean"},"version":{"type":"integer"},)"
      R"("accepted_at":{"type":"string","format":"date-time"},)"
      R"("committed_at":{"type":"string","format":"date-time"},)"
      R"("choices_sha256":{"type":"string","description":"SHA-256 (hex) of the canonical choices"},)"
      R"("prev_hash":{"type":["string","null"]},"receipt_hash":{"type":"string"},)"
      R"("canonical":{"type":"string"},"signature":{"type":"string","contentEncoding":"base64"},)"
      R"("key_id":{"type":"string"}}})");
  w.key("DraftSaved")
      .raw(
          R"({"type":"object","description":"A committed draft and what still breaks the rules",)"
          R"("required":["exam_no","batch","version","committed_at","choices_sha256","violations"],)"
          R"("properties":{"exam_no":{"type":"string"},"batch":{"type":"string"},)"
          R"("drill":{"type":"boolean"},"version":{"type":"integer"},)"
          R"("accepted_at":{"type":"string","format":"date-time"},)"
          R"("committed_at":{"type":"string","format":"date-time"},)"
          R"("choices_sha256":{"type":"string"},"violations":{"type":"array"}}})");
  w.key("Choices").raw(
      R"({"type":"array","maxItems":64,"items":{"type":"object","required":["group"],)"
      R"("additionalProperties":false,"properties":{"group":{"type":"integer"},)"
      R"("majors":{"type":"array","maxItems":16,"items":{"type":"string"},)"
      R"("description":"major codes as published in the plan, in preference order"},)"
      R"("accept_adjustment":{"type":"boolean"},"special":{"type":"boolean",)"
      R"("description":"the special-type slot of 本科批"}}}})");
  w.key("Status").raw(
      R"({"type":"object","properties":{"status":{"type":"string"}},"required":["status"]})");
  w.end_object();
  w.end_object();
  w.end_object();
  return out;
}

}  // namespace zhiyuan::server
