// The inputs of one load: every --url expanded (a glob over local files or s3:// keys, a local directory's files)
// into one ordered list of files, each with what its listing saw, so that a file replaced before it is read is
// noticed; and the key a checkpointed run of that list is kept under.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "loader/source.h"

namespace pgload {

struct InputFile {
  std::string url;        // what open_source opens: a path, file://, http(s)://, s3://bucket/key, or -
  std::string shown;      // url_for_messages(url): for messages and the resumable-run table
  SourceIdentity listed;  // what the listing saw: a file's size and mtime, an object's size and ETag; else empty
};

struct InputList {
  std::vector<InputFile> files;      // in load order: the --url values in order, each expanded sorted by name
  std::vector<std::string> skipped;  // what a directory or glob held that is not loaded, and why, one line each
};

// True when `path` holds a glob character (`*`, `?`, `[`).
bool is_glob(std::string_view path);

// Expands the --url values in order: a local glob or an s3:// glob (`*`, `?`, `[...]` within one /-separated
// segment), a local directory (its regular files; hidden files and subdirectories are skipped and said so) or an
// s3://bucket/prefix/ (the objects right under it), each sorted by name; any other URL is one file. Throws
// UsageError for a glob in an http(s) URL (it cannot be listed), stdin among other inputs, or a file named twice;
// SourceError (exit 4) when a file cannot be opened or a glob or directory yields no file.
InputList expand_inputs(const std::vector<std::string>& urls, const SourceOptions& opts);

// The key of a checkpointed run of these --url values, as given (globs unexpanded), in order, each without
// user:password and without a query string (url_for_messages), separated by a space: one URL keys as before.
std::string inputs_key(const std::vector<std::string>& urls);

}  // namespace pgload
