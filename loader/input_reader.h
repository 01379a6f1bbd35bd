// The files of one load read in list order by the pipeline, each opened, decompressed and read ahead on a thread of
// its own while the files before it are parsed: up to --parallel-files at a time, each holding at most
// kAheadBytes, so a load of many parts reads (and inflates) them in parallel in bounded memory.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "loader/input_list.h"
#include "loader/source.h"

namespace pgload {

class InputReader {
 public:
  static constexpr size_t kAheadBytes = 8u << 20;  // read ahead per file in flight
  static constexpr size_t kBlockBytes = 1u << 20;  // one read of the file's (decompressed) stream
  // Free bytes in front of each block's data: a block handed over whole (ByteSource::swap_block) takes the end of
  // the record the block before it began, without copying the block.
  static constexpr size_t kBlockHeadroom = 16u << 10;

  InputReader(std::vector<InputFile> files, SourceOptions opts, size_t parallel_files);
  ~InputReader();
  InputReader(const InputReader&) = delete;
  InputReader& operator=(const InputReader&) = delete;

  size_t size() const noexcept { return files_.size(); }
  const InputFile& file(size_t i) const { return files_[i]; }
  // "" for a load of one input; else the file's name and ": ", to put in front of a message about it.
  std::string where(size_t i) const { return files_.size() > 1 ? files_[i].shown + ": " : std::string(); }

  // The (decompressed) stream of file i from raw byte start_offset, after the files before it are done with; starts
  // reading the files after it. Throws SourceError when the file cannot be opened or changed since it was listed.
  ByteSource& open(size_t i, uint64_t start_offset);
  // The stream open() returned for file i, while it is open.
  ByteSource& source(size_t i);
  // File i has been read to its end: its thread ends and its memory goes. Its end already checked that its size
  // (and a local file's mtime) is still what the listing saw.
  void finish(size_t i);
  // What identifies file i as opened (empty before it is open).
  SourceIdentity identity(size_t i) const;

  // For the progress bar (any thread): raw bytes read of every file so far (a resumed load counts the files and
  // bytes before its start as read), their total when every size is known, and how many files are done.
  uint64_t bytes_in() const;
  std::optional<uint64_t> total_bytes() const;
  size_t files_done() const noexcept { return files_done_.load(std::memory_order_relaxed); }

 private:
  class Ahead;
  void start(size_t i, uint64_t start_offset);

  std::vector<InputFile> files_;
  SourceOptions opts_;
  size_t parallel_;
  mutable std::mutex mu_;                      // guards ahead_ against bytes_in() on the progress thread
  std::vector<std::shared_ptr<Ahead>> ahead_;  // per file: its reader while it is in flight
  std::vector<SourceIdentity> opened_;         // per file: its identity once open
  std::atomic<uint64_t> done_bytes_{0};        // raw bytes of the finished files
  std::atomic<size_t> files_done_{0};
  bool started_ = false;  // a file has been opened
};

}  // namespace pgload
