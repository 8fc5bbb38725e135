#include "server/web/static_site.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "server/digest.hpp"

namespace zhiyuan::server::web {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view immutable = "public, max-age=31536000, immutable";
// Everything else is revalidated each time (a 304 with the ETag costs a round trip, no bytes).
constexpr std::string_view revalidate = "no-cache";

std::string_view type_of(const fs::path& p) {
  static const std::map<std::string, std::string_view, std::less<>> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  };
  const auto it = types.find(p.extension().string());
  return it == types.end() ? std::string_view("application/octet-stream") : it->second;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("server.web_root: cannot read " + p.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string etag_of(std::string_view bytes) {
  const auto digest = sha256_of(bytes);
  std::string tag(1, '"');
  tag += hex(digest.data(), 12);
  tag += '"';
  return tag;
}

}  // namespace

bool content_hashed(std::string_view name) {
  // "<stem>-<hash>.<ext>" with a hash of at least 8 letters, digits, '_' or '-'.
  const auto dot = name.rfind('.');
  const auto dash = name.substr(0, dot).rfind('-');
  if (dot == std::string_view::npos || dash == std::string_view::npos || dot - dash - 1 < 8) {
    return false;
  }
  for (const char c : name.substr(dash + 1, dot - dash - 1)) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

static_site static_site::load(const std::string& root, const site_limits& limits) {
  static_site site;
  std::error_code ec;
  if (root.empty() || !fs::is_directory(root, ec)) return site;
  std::size_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const fs::path& p = entry.path();
    const std::string ext = p.extension().string();
    // Variants are read with the file they belong to.
    if (ext == ".br" || ext == ".gz") continue;
    if (site.files_.size() == limits.max_files) {
      throw std::runtime_error("server.web_root: more than " + std::to_string(limits.max_files) +
                               " files");
    }
    static_file f;
    f.identity = read_all(p);
    f.content_type = type_of(p);
    f.etag = etag_of(f.identity);
    f.cache = content_hashed(p.filename().string()) ? immutable : revalidate;
    if (fs::exists(p.string() + ".br")) f.br = read_all(p.string() + ".br");
    if (fs::exists(p.string() + ".gz")) f.gzip = read_all(p.string() + ".gz");
    bytes += f.identity.size() + f.br.size() + f.gzip.size();
    if (bytes > limits.max_bytes) {
      throw std::runtime_error("server.web_root: more than " + std::to_string(limits.max_bytes) +
                               " bytes");
    }
    if (!site.arena_) site.arena_ = body_arena::create("zhiyuan-web");
    if (site.arena_) {
      f.identity_file = site.arena_->mirror(f.identity);
      if (!f.br.empty()) f.br_file = site.arena_->mirror(f.br);
      if (!f.gzip.empty()) f.gzip_file = site.arena_->mirror(f.gzip);
    }
    std::string url = fs::relative(p, root).generic_string();
    url.insert(url.begin(), '/');
    site.files_.emplace(std::move(url), std::move(f));
  }
  return site;
}

const static_file* static_site::find(std::string_view path) const {
  if (path.find("..") != std::string_view::npos) return nullptr;
  if (const auto it = files_.find(path); it != files_.end()) return &it->second;
  // A directory serves its index.html ("/" and "/docs" alike).
  std::string index(path);
  if (index.empty() || index.back() != '/') index += '/';
  index += "index.html";
  const auto it = files_.find(index);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace zhiyuan::server::web
