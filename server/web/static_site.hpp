#pragma once

// The web app's files (server.web_root), read into memory once at start: each with its type,
// strong ETag, caching rule and the precompressed variants (.br, .gz) the build put beside it.
// Nothing is read from disk while serving; a new build is served after a restart.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "server/http/body_file.hpp"

namespace zhiyuan::server::web {

struct static_file {
  std::string_view content_type;
  std::string etag;        ///< strong: "\"<sha-256 prefix>\"" of the identity bytes
  std::string_view cache;  ///< the Cache-Control value
  std::string identity;    ///< the bytes
  std::string br, gzip;    ///< precompressed variants, empty when the build made none
  /// Where each variant also lies in the site's memory file, for sendfile(2) (fd -1: nowhere).
  body_file_ref identity_file, br_file, gzip_file;
};

/// Limits on what is loaded: a web root is a small, built thing.
struct site_limits {
  std::size_t max_files = 2000;
  std::size_t max_bytes = 64u << 20;  ///< all files and variants together
};

class static_site {
 public:
  /// Loads every regular file under `root` (empty or absent: an empty site). Throws
  /// std::runtime_error naming the file when a limit is passed or a file cannot be read.
  static static_site load(const std::string& root, const site_limits& limits = {});

  /// The file at `path` ("/", "/docs" and other directories mean their index.html), or null.
  const static_file* find(std::string_view path) const;
  /// index.html at the root, or null: the app's routes fall back to it.
  const static_file* app_index() const { return find("/"); }
  std::size_t size() const { return files_.size(); }
  /// Every file by its URL path ("/a/b.js"; an index.html by its own name).
  const std::map<std::string, static_file, std::less<>>& files() const { return files_; }

 private:
  std::map<std::string, static_file, std::less<>> files_;  ///< by URL path ("/a/b.js")
  std::shared_ptr<body_arena> arena_;  ///< the files' memory file, shared by copies of the site
};

/// Whether `name` carries a content hash the build put in it ("index-3fa9c1d2.js"): such files
/// never change under their name and are cached for a year.
bool content_hashed(std::string_view name);

}  // namespace zhiyuan::server::web
