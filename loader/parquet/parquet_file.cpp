#include "loader/parquet/parquet_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "loader/parquet/http_range.h"
#include "loader/parquet/parquet_error.h"
#include "loader/s3_source.h"

namespace pgload::parquet {
namespace {

constexpr uint64_t kMaxFooterBytes = 256u << 20;

class LocalFile : public RandomAccess {
 public:
  LocalFile(const std::string& path, std::string name) : name_(std::move(name)) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw SourceError(name_ + ": " + std::strerror(errno), 0);
    struct stat st {};
    if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      throw SourceError(name_ + ": not a regular file (Parquet needs random access)", 0);
    }
    size_ = static_cast<uint64_t>(st.st_size);
    id_.size = std::to_string(st.st_size);
    char mtime[48];
    std::snprintf(mtime, sizeof mtime, "%lld.%09ld", static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec);
    id_.mtime = mtime;
  }
  ~LocalFile() override { ::close(fd_); }
  LocalFile(const LocalFile&) = delete;
  LocalFile& operator=(const LocalFile&) = delete;
  uint64_t size() const override { return size_; }
  SourceIdentity identity() const override { return id_; }
  void read(uint64_t offset, size_t len, uint8_t* out) override {
    size_t done = 0;
    while (done < len) {
      ssize_t n = ::pread(fd_, out + done, len - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw SourceError(name_ + ": " + std::strerror(errno), offset + done);
      if (n == 0) throw SourceError(name_ + ": the file ended early (was it truncated while loading?)", offset + done);
      done += static_cast<size_t>(n);
    }
  }

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string name_;
  SourceIdentity id_;
};

class MemoryAccess : public RandomAccess {
 public:
  explicit MemoryAccess(std::string b) : bytes_(std::move(b)) {}
  uint64_t size() const override { return bytes_.size(); }
  SourceIdentity identity() const override { return {}; }
  void read(uint64_t offset, size_t len, uint8_t* out) override {
    if (offset > bytes_.size() || len > bytes_.size() - offset) throw SourceError("read past the end", offset);
    std::memcpy(out, bytes_.data() + offset, len);
  }

 private:
  std::string bytes_;
};

class ProgressSource : public ByteSource {
 public:
  explicit ProgressSource(const ParquetFile& f) : file_(f) {}
  size_t read(char*, size_t) override { return 0; }
  std::optional<uint64_t> size_hint() const override { return file_.size(); }
  uint64_t bytes_in() const override { return file_.bytes_read(); }
  SourceIdentity identity() const override { return file_.identity(); }

 private:
  const ParquetFile& file_;
};

}  // namespace

std::unique_ptr<RandomAccess> memory_access(std::string bytes) {
  return std::make_unique<MemoryAccess>(std::move(bytes));
}

std::unique_ptr<ByteSource> progress_source(const ParquetFile& file) { return std::make_unique<ProgressSource>(file); }

std::unique_ptr<ParquetFile> ParquetFile::open(const std::string& url, const SourceOptions& opts) {
  std::string path = url.rfind("file://", 0) == 0 ? url.substr(7) : url;
  if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0)
    return std::make_unique<ParquetFile>(http_range_access(url, opts), url_for_messages(url));
  if (is_s3_url(url)) {
    SourceOptions signed_opts = opts;
    const std::string http = s3_object_http_url(url, signed_opts);
    return std::make_unique<ParquetFile>(http_range_access(http, signed_opts, url), url);
  }
  if (url == "-") throw SourceError("Parquet cannot be read from stdin (it needs random access)", 0);
  return std::make_unique<ParquetFile>(std::make_unique<LocalFile>(path, path), path);
}

ParquetFile::ParquetFile(std::unique_ptr<RandomAccess> io, std::string name)
    : io_(std::move(io)), name_(std::move(name)) {
  try {
    const uint64_t size = io_->size();
    if (size < 12) throw ParquetError("not a Parquet file: " + std::to_string(size) + " bytes are too few");
    uint8_t head[4], tail[8];
    io_->read(0, 4, head);
    io_->read(size - 8, 8, tail);
    if (std::memcmp(head, "PAR1", 4) != 0 || std::memcmp(tail + 4, "PAR1", 4) != 0) {
      if (std::memcmp(tail + 4, "PARE", 4) == 0) throw ParquetError("encrypted Parquet files are not supported");
      throw ParquetError("not a Parquet file (no PAR1 magic at its start and end)");
    }
    uint32_t footer_len;
    std::memcpy(&footer_len, tail, 4);
    if (footer_len > size - 12 || footer_len > kMaxFooterBytes)
      throw ParquetError("the footer length " + std::to_string(footer_len) + " points past the start of the file");
    const uint64_t footer_start = size - 8 - footer_len;
    std::string footer(footer_len, '\0');
    io_->read(footer_start, footer_len, reinterpret_cast<uint8_t*>(footer.data()));
    bytes_read_ += 12 + footer_len;
    meta_ = parse_file_meta(reinterpret_cast<const uint8_t*>(footer.data()), footer.size());
    leaves_ = leaf_columns(meta_);
    for (size_t g = 0; g < meta_.row_groups.size(); ++g) {
      const RowGroupMeta& rg = meta_.row_groups[g];
      const std::string where = "row group " + std::to_string(g) + ": ";
      if (rg.columns.size() != leaves_.size())
        throw ParquetError(where + std::to_string(rg.columns.size()) + " column chunks for " +
                           std::to_string(leaves_.size()) + " schema columns");
      if (rg.num_rows < 0 || rg.num_rows > kMaxRowGroupRows)
        throw ParquetError(where + "declares " + std::to_string(rg.num_rows) + " rows (at most " +
                           std::to_string(kMaxRowGroupRows) + " are read)");
      uint64_t total = 0;
      auto& ranges = chunk_ranges_.emplace_back();
      for (size_t c = 0; c < rg.columns.size(); ++c) {
        const ColumnMeta& m = rg.columns[c];
        if (m.external) throw ParquetError(where + "column " + leaves_[c].path + " lives in another file");
        int64_t start = m.data_page_offset;
        if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 && *m.dictionary_page_offset < start)
          start = *m.dictionary_page_offset;
        if (start < 4 || m.total_compressed_size < 0 || static_cast<uint64_t>(start) > footer_start ||
            static_cast<uint64_t>(m.total_compressed_size) > footer_start - static_cast<uint64_t>(start))
          throw ParquetError(where + "column " + leaves_[c].path + ": its chunk (offset " + std::to_string(start) +
                             ", " + std::to_string(m.total_compressed_size) + " bytes) points past the file's data");
        ranges.emplace_back(static_cast<uint64_t>(start), static_cast<uint64_t>(m.total_compressed_size));
        total += static_cast<uint64_t>(m.total_compressed_size);
      }
      group_bytes_.push_back(total);
    }
  } catch (const ParquetError& e) {
    throw ParquetError(name_ + ": " + e.what());
  }
}

void ParquetFile::read_row_group(size_t g, const std::vector<int>& leaves, std::vector<ColumnValues>& cols) const {
  cols.resize(leaves.size());
  const RowGroupMeta& rg = meta_.row_groups[g];
  std::string chunk;
  for (size_t k = 0; k < leaves.size(); ++k) {
    const auto c = static_cast<size_t>(leaves[k]);
    const auto [offset, length] = chunk_ranges_[g][c];
    try {
      chunk.resize(length);
      io_->read(offset, length, reinterpret_cast<uint8_t*>(chunk.data()));
      bytes_read_.fetch_add(length, std::memory_order_relaxed);
      read_column_chunk(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size(), leaves_[c], rg.columns[c],
                        rg.num_rows, cols[k]);
    } catch (const ParquetError& e) {
      const std::string_view why = e.what();
      throw ParquetError(name_ + ": row group " + std::to_string(g) + ", column " + leaves_[c].path +
                         (why.starts_with("page ") ? ", " : ": ") + std::string(why));
    }
  }
}

}  // namespace pgload::parquet
