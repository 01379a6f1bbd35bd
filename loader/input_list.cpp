// Globs and directories are expanded once, before anything connects: the list (and what each listing saw) is what
// the load reads, in a fixed order, so a checkpoint can name a file by its index and a resumed run can tell whether
// it reads the same list.
#include "loader/input_list.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "common/exit_code.h"
#include "loader/s3_source.h"

namespace pgload {
namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

InputFile local_file(const std::string& path, const SourceIdentity& id) { return {path, url_for_messages(path), id}; }

// A local directory's regular files (symbolic links followed), sorted by name; hidden files, subdirectories and
// anything else are skipped and said so.
void add_directory(const std::string& dir, InputList& out) {
  std::error_code ec;
  std::vector<std::string> names;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  if (ec) throw SourceError("cannot list directory " + dir + ": " + ec.message(), 0);
  std::sort(names.begin(), names.end());
  const std::string base = dir.ends_with('/') ? dir : dir + "/";
  size_t found = 0;
  for (const std::string& name : names) {
    const std::string path = base + name;
    if (name.starts_with('.')) {
      out.skipped.push_back(path + " (a hidden file)");
      continue;
    }
    if (auto id = local_file_identity(path)) {
      out.files.push_back(local_file(path, *id));
      ++found;
      continue;
    }
    std::error_code dir_ec;
    out.skipped.push_back(path + (std::filesystem::is_directory(path, dir_ec) ? " (a directory: not descended into)"
                                                                              : " (not a regular file)"));
  }
  if (found == 0) throw SourceError("directory " + dir + " holds no file to load", 0);
}

// The local files a glob matches, sorted by name (byte order); matched directories are skipped.
void add_local_glob(const std::string& pattern, InputList& out) {
  glob_t g{};
  const int rc = glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
  std::vector<std::string> paths;
  for (size_t i = 0; rc == 0 && i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  if (rc == GLOB_ABORTED)
    throw SourceError("cannot list the directories of " + pattern + ": " + std::strerror(errno), 0);
  std::sort(paths.begin(), paths.end());
  size_t found = 0;
  for (const std::string& path : paths) {
    if (auto id = local_file_identity(path)) {
      out.files.push_back(local_file(path, *id));
      ++found;
    } else {
      out.skipped.push_back(path + " (matches " + pattern + " but is not a regular file)");
    }
  }
  if (found == 0) throw SourceError("no file matches " + pattern, 0);
}

void add_s3(const std::string& url, const SourceOptions& opts, InputList& out) {
  const size_t key_at = url.find('/', 5);
  const std::string key = key_at == std::string::npos ? "" : url.substr(key_at + 1);
  const bool prefix = key.empty() || key.ends_with('/');
  if (!prefix && !is_glob(key)) {
    out.files.push_back({url, url_for_messages(url), {}});  // one object: its identity comes with its GET
    return;
  }
  // s3://bucket/prefix/ is the objects right under the prefix, as a directory is its files.
  const std::string pattern = prefix ? url + "*" : url;
  std::vector<S3Object> objects = list_s3_objects(pattern, opts);
  if (objects.empty()) throw SourceError("no object matches " + pattern, 0);
  for (S3Object& o : objects) {
    SourceIdentity id;
    id.etag = o.etag;
    id.size = std::to_string(o.size);
    std::string shown = url_for_messages(o.url);
    out.files.push_back({std::move(o.url), std::move(shown), std::move(id)});
  }
}

}  // namespace

bool is_glob(std::string_view path) { return path.find_first_of("*?[") != std::string_view::npos; }

InputList expand_inputs(const std::vector<std::string>& urls, const SourceOptions& opts) {
  InputList out;
  std::map<std::string, std::string> named_by;  // file -> the --url that named it first
  for (const std::string& url : urls) {
    const size_t before = out.files.size();
    if (url == "-") {
      if (urls.size() > 1) throw UsageError("--url - (stdin) cannot be combined with other inputs");
      out.files.push_back({url, "stdin", {}});
    } else if (starts_with_ci(url, "http://") || starts_with_ci(url, "https://")) {
      const std::string path = url.substr(0, url.find_first_of("?#"));
      if (path.find_first_of("*[") != std::string::npos)
        throw UsageError("--url " + url_for_messages(url) +
                         ": an http(s) URL cannot be listed, so it cannot be a glob; give each file with its own "
                         "--url (or use s3:// for a bucket)");
      out.files.push_back({url, url_for_messages(url), {}});
    } else if (is_s3_url(url)) {
      check_s3_url(url);
      add_s3(url, opts, out);
    } else {
      check_url_scheme(url);  // an unsupported scheme is a usage error before any file is looked at
      std::optional<std::string> path = local_path_of(url);
      struct stat st {};
      if (path && stat(path->c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        add_directory(*path, out);
      } else if (path && is_glob(*path) && stat(path->c_str(), &st) != 0) {
        add_local_glob(*path, out);
      } else {
        check_source(url);  // the message open_source would give: missing, unreadable
        out.files.push_back({url, url_for_messages(url),
                             path ? local_file_identity(*path).value_or(SourceIdentity{}) : SourceIdentity{}});
      }
    }
    for (size_t i = before; i < out.files.size(); ++i) {
      const std::string file = local_path_of(out.files[i].url).value_or(out.files[i].url);
      auto [at, fresh] = named_by.emplace(file, url);
      if (!fresh)
        throw UsageError(out.files[i].shown + " is named twice (by --url " + url_for_messages(at->second) +
                         " and by --url " + url_for_messages(url) + "); each file is loaded once");
    }
  }
  return out;
}

std::string inputs_key(const std::vector<std::string>& urls) {
  std::string key;
  for (const std::string& url : urls) key += (key.empty() ? "" : " ") + url_for_messages(url);
  return key;
}

}  // namespace pgload
