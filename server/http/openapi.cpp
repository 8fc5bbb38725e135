#include "server/http/openapi.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/errc.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/version.hpp"

namespace zhiyuan::server {
namespace {

namespace ondemand = simdjson::ondemand;
using json_value = simdjson::simdjson_result<ondemand::value>;

// ------------------------------------------------------------------ the docs, read

struct query_doc {
  std::string name;
  std::string description;
  std::string schema;
};

// One route's documentation as read from its doc file; schemas are minified JSON text.
struct route_doc {
  std::string tag;
  std::string summary;
  bool authenticated = false;
  std::vector<query_doc> query;
  std::vector<std::pair<std::string, std::string>> headers;  // name, description
  std::string request_schema;
  unsigned success_status = 200;
  std::string response_type = "application/json";
  std::string response_schema = R"({"type":"object"})";
  std::vector<unsigned> errors;
};

struct doc_set {
  std::map<std::string, route_doc, std::less<>> routes;      // by "METHOD pattern"
  std::vector<std::pair<std::string, std::string>> schemas;  // components, in file order
};

// Reads one doc file; every failure names the file and the place.
class doc_reader {
 public:
  doc_reader(const embedded_text& file, doc_set& out) : file_(file), out_(out) {}

  void read() {
    simdjson::padded_string text(file_.text);
    ondemand::parser parser;
    ondemand::document doc;
    ondemand::object top;
    if (parser.iterate(text).get(doc) || doc.get_object().get(top)) fail("", "not a JSON object");
    std::string tag;
    for (auto field : top) {
      const std::string_view key = unescaped_key(field, "");
      if (key == "tag") {
        tag = string(field.value(), "tag");
      } else if (key == "routes") {
        read_routes(object(field.value(), "routes"), tag);
      } else if (key == "schemas") {
        for (auto schema : object(field.value(), "schemas")) {
          std::string name(unescaped_key(schema, "schemas"));
          out_.schemas.emplace_back(name, json(schema.value(), name));
        }
      } else {
        fail(key, "unknown member");
      }
    }
  }

 private:
  void read_routes(ondemand::object routes, std::string_view tag) {
    if (tag.empty()) fail("tag", "must come first and not be empty");
    for (auto field : routes) {
      std::string key(unescaped_key(field, "routes"));
      route_doc d;
      d.tag = tag;
      read_route(object(field.value(), key), key, d);
      if (d.summary.empty()) fail(key, "no summary");
      if (!out_.routes.emplace(key, std::move(d)).second) fail(key, "documented twice");
    }
  }

  void read_route(ondemand::object o, const std::string& where, route_doc& d) {
    for (auto field : o) {
      const std::string_view key = unescaped_key(field, where);
      json_value v = field.value();
      if (key == "summary") {
        d.summary = string(v, where);
      } else if (key == "authenticated") {
        if (v.get_bool().get(d.authenticated)) fail(where, "authenticated: true or false");
      } else if (key == "query") {
        for (auto item : array(v, where)) d.query.push_back(read_query(object(item, where), where));
      } else if (key == "headers") {
        for (auto item : array(v, where))
          d.headers.push_back(read_header(object(item, where), where));
      } else if (key == "request") {
        d.request_schema = json(v, where);
      } else if (key == "response") {
        read_response(object(v, where), where, d);
      } else if (key == "errors") {
        for (auto item : array(v, where)) d.errors.push_back(status(item, where));
      } else {
        fail(where, fmt::format("unknown member {}", key));
      }
    }
  }

  query_doc read_query(ondemand::object o, const std::string& where) {
    query_doc q;
    q.schema = R"({"type":"string"})";
    for (auto field : o) {
      const std::string_view key = unescaped_key(field, where);
      if (key == "name") {
        q.name = string(field.value(), where);
      } else if (key == "description") {
        q.description = string(field.value(), where);
      } else if (key == "schema") {
        q.schema = json(field.value(), where);
      } else {
        fail(where, fmt::format("query: unknown member {}", key));
      }
    }
    return q;
  }

  std::pair<std::string, std::string> read_header(ondemand::object o, const std::string& where) {
    std::pair<std::string, std::string> h;
    for (auto field : o) {
      const std::string_view key = unescaped_key(field, where);
      if (key == "name") {
        h.first = string(field.value(), where);
      } else if (key == "description") {
        h.second = string(field.value(), where);
      } else {
        fail(where, fmt::format("headers: unknown member {}", key));
      }
    }
    return h;
  }

  void read_response(ondemand::object o, const std::string& where, route_doc& d) {
    for (auto field : o) {
      const std::string_view key = unescaped_key(field, where);
      if (key == "status") {
        d.success_status = status(field.value(), where);
      } else if (key == "type") {
        d.response_type = string(field.value(), where);
      } else if (key == "schema") {
        d.response_schema = json(field.value(), where);
      } else {
        fail(where, fmt::format("response: unknown member {}", key));
      }
    }
  }

  // ---- typed pieces

  template <typename Field>
  std::string_view unescaped_key(Field& f, std::string_view where) {
    std::string_view k;
    if (f.unescaped_key().get(k)) fail(where, "bad member name");
    return k;
  }
  std::string string(json_value v, std::string_view where) {
    std::string_view s;
    if (v.get_string().get(s)) fail(where, "expected a string");
    return std::string(s);
  }
  unsigned status(json_value v, std::string_view where) {
    std::uint64_t n = 0;
    if (v.get_uint64().get(n) || n < 100 || n > 599) fail(where, "expected an HTTP status");
    return static_cast<unsigned>(n);
  }
  ondemand::object object(json_value v, std::string_view where) {
    ondemand::object o;
    if (v.get_object().get(o)) fail(where, "expected an object");
    return o;
  }
  ondemand::array array(json_value v, std::string_view where) {
    ondemand::array a;
    if (v.get_array().get(a)) fail(where, "expected an array");
    return a;
  }
  // A JSON Schema object, as minified text: written into the document as it stands.
  std::string json(json_value v, std::string_view where) {
    std::string_view raw;
    if (object(v, where).raw_json().get(raw)) fail(where, "expected a JSON Schema object");
    std::string out(raw.size(), '\0');
    std::size_t n = 0;
    if (simdjson::minify(raw.data(), raw.size(), out.data(), n)) fail(where, "bad JSON");
    out.resize(n);
    return out;
  }

  [[noreturn]] void fail(std::string_view where, std::string_view what) const {
    throw std::invalid_argument(fmt::format("route docs {}: {}: {}", file_.name, where, what));
  }

  const embedded_text& file_;
  doc_set& out_;
};

doc_set read_docs(std::span<const embedded_text> files) {
  doc_set out;
  for (const auto& f : files) doc_reader(f, out).read();
  return out;
}

// Every route has exactly one doc and every doc a route; otherwise the list of both.
void check_pairing(const router& routes, const doc_set& docs) {
  std::string missing, orphans;
  for (std::size_t i = 0; i < routes.names().size(); ++i) {
    const auto& name = routes.names()[i];
    if (!routes.routes()[i].in_contract) continue;
    if (!docs.routes.contains(name)) missing += (missing.empty() ? "" : ", ") + name;
  }
  for (const auto& [name, d] : docs.routes) {
    if (std::find(routes.names().begin(), routes.names().end(), name) == routes.names().end()) {
      orphans += (orphans.empty() ? "" : ", ") + name;
    }
  }
  if (!missing.empty() || !orphans.empty()) {
    throw std::invalid_argument(
        fmt::format("routes without docs: [{}]; docs without routes: [{}]", missing, orphans));
  }
}

// ------------------------------------------------------------------ the document, written

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

// The order of the methods of one path.
int method_rank(http::verb v) {
  switch (v) {
    case http::verb::get:
      return 0;
    case http::verb::post:
      return 1;
    case http::verb::put:
      return 2;
    case http::verb::patch:
      return 3;
    case http::verb::delete_:
      return 4;
    default:
      return 5;
  }
}

void write_parameters(json_writer& w, const std::string& pattern, const route_doc& d) {
  // Path parameters come from the {name} segments.
  std::vector<std::string> params;
  for (std::size_t p = pattern.find('{'); p != std::string::npos; p = pattern.find('{', p)) {
    auto e = pattern.find('}', p);
    params.push_back(pattern.substr(p + 1, e - p - 1));
    p = e;
  }
  if (params.empty() && d.query.empty() && d.headers.empty()) return;
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

void write_responses(json_writer& w, const route_doc& d) {
  w.key("responses").begin_object();
  w.key(std::to_string(d.success_status)).begin_object();
  w.key("description").value("Success");
  w.key("content").begin_object();
  w.key(d.response_type).begin_object().key("schema").raw(d.response_schema).end_object();
  w.end_object();
  w.end_object();
  std::vector<unsigned> errors = {400, 404, 405, 408, 413, 431, 500};
  errors.insert(errors.end(), d.errors.begin(), d.errors.end());
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
}

void write_operation(json_writer& w, const route_spec& r, const std::string& name,
                     const route_doc& d) {
  w.key(lower(http::to_string(r.method))).begin_object();
  w.key("summary").value(d.summary);
  w.key("operationId").value(name);
  w.key("tags").begin_array().value(d.tag).end_array();
  write_parameters(w, r.pattern, d);
  if (d.authenticated) w.key("security").raw(R"([{"bearer":[]},{"cookie":[]}])");
  if (!d.request_schema.empty()) {
    w.key("requestBody").begin_object();
    w.key("required").value(true);
    w.key("content").begin_object();
    w.key("application/json").begin_object().key("schema").raw(d.request_schema).end_object();
    w.end_object();
    w.end_object();
  }
  write_responses(w, d);
  w.end_object();
}

void write_components(json_writer& w, const doc_set& docs) {
  w.key("components").begin_object();
  w.key("securitySchemes")
      .raw(
          R"({"bearer":{"type":"http","scheme":"bearer","description":"token from )"
          R"(POST /api/v1/auth/login"},"cookie":{"type":"apiKey","in":"cookie","name":"zy_session"}})");
  w.key("schemas").begin_object();
  // The problem's codes come from the code itself, so the contract lists exactly these.
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
  for (const auto& [name, schema] : docs.schemas) w.key(name).raw(schema);
  w.end_object();
  w.end_object();
}

}  // namespace

std::string build_openapi(const router& routes, std::span<const embedded_text> files) {
  const doc_set docs = read_docs(files);
  check_pairing(routes, docs);

  std::string out;
  json_writer w(out);
  w.begin_object();
  w.key("openapi").value("3.1.0");
  w.key("info").begin_object();
  w.key("title").value("zhiyuan");
  w.key("version").value(contract_version);
  w.key("description")
      .value(
          "Online college-application filing. Every error is RFC 9457 "
          "application/problem+json with a stable `code` member and the `request_id`. Units are "
          "named by their codes, enumerations by names, and every time is RFC 3339 UTC on the "
          "filing clock. Changes: see README, \"Contract changes\".");
  w.end_object();

  // Group routes by path: OpenAPI lists the methods of one path together.
  std::map<std::string, std::vector<std::size_t>> by_path;
  for (std::size_t i = 0; i < routes.routes().size(); ++i) {
    if (!routes.routes()[i].in_contract) continue;
    by_path[routes.routes()[i].pattern].push_back(i);
  }
  w.key("paths").begin_object();
  for (auto& [pattern, indices] : by_path) {
    std::stable_sort(indices.begin(), indices.end(), [&](std::size_t a, std::size_t b) {
      return method_rank(routes.routes()[a].method) < method_rank(routes.routes()[b].method);
    });
    w.key(pattern).begin_object();
    for (std::size_t i : indices) {
      const std::string& name = routes.names()[i];
      write_operation(w, routes.routes()[i], name, docs.routes.find(name)->second);
    }
    w.end_object();
  }
  w.end_object();
  write_components(w, docs);
  w.end_object();
  return out;
}

}  // namespace zhiyuan::server
