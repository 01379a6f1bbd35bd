// An opened Parquet file: its footer read and checked (magic, metadata bounds, every column chunk inside the
// file), and row groups decoded on demand from any thread (pread: reads do not share a file position).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loader/parquet/column_reader.h"
#include "loader/parquet/metadata.h"
#include "loader/source.h"

namespace pgload::parquet {

// Random access to the file's bytes.
class RandomAccess {
 public:
  virtual ~RandomAccess() = default;
  virtual uint64_t size() const = 0;
  // Exactly len bytes at offset into out; throws SourceError.
  virtual void read(uint64_t offset, size_t len, uint8_t* out) = 0;
  virtual SourceIdentity identity() const = 0;
};

class ParquetFile {
 public:
  // Opens a local path (or file://PATH), an http(s):// or s3:// URL (Range requests) and reads its footer. Throws
  // SourceError (I/O) or ParquetError (format), the latter's message already naming the file.
  static std::unique_ptr<ParquetFile> open(const std::string& url, const SourceOptions& opts);
  // The same over an already opened byte range (tests and the fuzzer).
  ParquetFile(std::unique_ptr<RandomAccess> io, std::string name);

  const std::string& name() const { return name_; }
  const FileMeta& meta() const { return meta_; }
  const std::vector<LeafColumn>& leaves() const { return leaves_; }
  size_t row_groups() const { return meta_.row_groups.size(); }
  // The bytes of row group g's column chunks (its unit of progress).
  uint64_t row_group_bytes(size_t g) const { return group_bytes_[g]; }
  uint64_t bytes_read() const { return bytes_read_.load(std::memory_order_relaxed); }
  uint64_t size() const { return io_->size(); }
  SourceIdentity identity() const { return io_->identity(); }

  // Decodes leaf columns `leaves` of row group g into cols (one per leaf). Throws ParquetError naming the file,
  // row group, column and page.
  void read_row_group(size_t g, const std::vector<int>& leaves, std::vector<ColumnValues>& cols) const;

 private:
  std::unique_ptr<RandomAccess> io_;
  std::string name_;
  FileMeta meta_;
  std::vector<LeafColumn> leaves_;
  std::vector<uint64_t> group_bytes_;
  std::vector<std::vector<std::pair<uint64_t, uint64_t>>> chunk_ranges_;  // [group][leaf] = (offset, length)
  mutable std::atomic<uint64_t> bytes_read_{0};
};

// The file as a ByteSource for progress and checkpoint identity: it yields no bytes (row groups are read by
// ParquetFile), reports the file size and the bytes read so far.
std::unique_ptr<ByteSource> progress_source(const ParquetFile& file);

// A RandomAccess over bytes in memory.
std::unique_ptr<RandomAccess> memory_access(std::string bytes);

}  // namespace pgload::parquet
