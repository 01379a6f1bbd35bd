// Streaming gzip (zlib inflate, multi-member) and zstd decoders over a raw ByteSource. They pull compressed input in
// large chunks and report every failure with the compressed byte offset, so a cut download never looks like EOF.
#include "loader/decompress.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <vector>

namespace pgload {
namespace {

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  // suffix is lower case; fold s.
  return std::equal(s.end() - static_cast<std::ptrdiff_t>(suffix.size()), s.end(), suffix.begin(),
                    [](char c, char lower) { return (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) == lower; });
}

// Shared input side: the raw source, its chunk buffer and the count of raw bytes pulled so far.
class RawInput {
 public:
  RawInput(std::unique_ptr<ByteSource> raw, size_t input_bytes)
      : raw_(std::move(raw)), buf_(std::clamp<size_t>(input_bytes, 64 << 10, 16 << 20)) {}

  // Replaces the buffer contents with the next chunk; returns its size (0 = raw end of stream).
  size_t refill() {
    size_t n = raw_->read(buf_.data(), buf_.size());
    if (n == 0) eof_ = true;
    pulled_ += n;
    return n;
  }
  char* data() { return buf_.data(); }
  bool eof() const { return eof_; }
  uint64_t pulled() const { return pulled_; }
  const ByteSource& raw() const { return *raw_; }

 private:
  std::unique_ptr<ByteSource> raw_;
  std::vector<char> buf_;
  uint64_t pulled_ = 0;
  bool eof_ = false;
};

class GzipSource final : public ByteSource {
 public:
  GzipSource(std::unique_ptr<ByteSource> raw, std::string name, size_t input_bytes)
      : in_(std::move(raw), input_bytes), name_(std::move(name)) {
    // 15 + 32: maximum window, accept a gzip (or zlib) header.
    if (inflateInit2(&zs_, 15 + 32) != Z_OK) throw SourceError(name_ + ": cannot initialise zlib", 0);
  }
  ~GzipSource() override { inflateEnd(&zs_); }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;

  size_t read(char* buf, size_t len) override {
    if (len == 0 || finished_) return 0;
    const uInt want = static_cast<uInt>(std::min<size_t>(len, UINT_MAX));
    zs_.next_out = reinterpret_cast<Bytef*>(buf);
    zs_.avail_out = want;
    for (;;) {
      const size_t produced = want - zs_.avail_out;
      if (zs_.avail_in == 0) {
        if (produced > 0) return produced;
        if (!in_.eof()) {
          zs_.avail_in = static_cast<uInt>(in_.refill());
          zs_.next_in = reinterpret_cast<Bytef*>(in_.data());
          continue;
        }
        if (member_done_) {
          finished_ = true;
          return 0;
        }
        // Raw end of stream inside a member: only output zlib still holds may come out, else it is truncated.
      } else if (member_done_) {
        // Another gzip member follows (as `cat a.gz b.gz` produces).
        inflateReset(&zs_);
        member_done_ = false;
      }
      const uInt out_before = zs_.avail_out;
      const uInt in_before = zs_.avail_in;
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_done_ = true;
        continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        throw SourceError(name_ + ": corrupt gzip stream at compressed byte " + std::to_string(consumed()) + ": " +
                              (zs_.msg ? zs_.msg : zError(rc)),
                          consumed());
      }
      if (zs_.avail_out == 0) return want;
      const bool progress = zs_.avail_out != out_before || zs_.avail_in != in_before;
      if (!progress && zs_.avail_in == 0 && in_.eof()) {
        throw SourceError(name_ + ": truncated gzip stream after " + std::to_string(consumed()) +
                              " compressed bytes (the file or download is cut short)",
                          consumed());
      }
    }
  }
  std::optional<uint64_t> size_hint() const override { return in_.raw().size_hint(); }
  uint64_t bytes_in() const override { return in_.raw().bytes_in(); }
  SourceIdentity identity() const override { return in_.raw().identity(); }

 private:
  uint64_t consumed() const { return in_.pulled() - zs_.avail_in; }

  RawInput in_;
  std::string name_;
  z_stream zs_{};
  bool member_done_ = false;
  bool finished_ = false;
};

class ZstdSource final : public ByteSource {
 public:
  ZstdSource(std::unique_ptr<ByteSource> raw, std::string name, size_t input_bytes)
      : in_(std::move(raw), input_bytes), name_(std::move(name)), ds_(ZSTD_createDStream()) {
    if (ds_ == nullptr) throw SourceError(name_ + ": cannot create a zstd decoder", 0);
  }
  ~ZstdSource() override { ZSTD_freeDStream(ds_); }
  ZstdSource(const ZstdSource&) = delete;
  ZstdSource& operator=(const ZstdSource&) = delete;

  size_t read(char* buf, size_t len) override {
    if (len == 0) return 0;
    ZSTD_outBuffer out{buf, len, 0};
    for (;;) {
      if (zin_.pos == zin_.size) {
        if (out.pos > 0) return out.pos;
        if (!in_.eof()) {
          zin_ = ZSTD_inBuffer{in_.data(), in_.refill(), 0};
          if (zin_.size > 0) continue;
        }
      }
      const size_t out_before = out.pos;
      const size_t in_before = zin_.pos;
      const size_t rc = ZSTD_decompressStream(ds_, &out, &zin_);
      if (ZSTD_isError(rc)) {
        throw SourceError(name_ + ": corrupt zstd stream at compressed byte " + std::to_string(consumed()) + ": " +
                              ZSTD_getErrorName(rc),
                          consumed());
      }
      const bool progress = out.pos != out_before || zin_.pos != in_before;
      // rc == 0: a frame is complete and fully flushed. A call without progress says nothing new.
      if (progress) frame_done_ = rc == 0;
      if (out.pos == out.size) return out.pos;
      if (!progress && zin_.pos == zin_.size && in_.eof()) {
        if (out.pos > 0) return out.pos;
        if (frame_done_) return 0;
        throw SourceError(name_ + ": truncated zstd stream after " + std::to_string(consumed()) +
                              " compressed bytes (the file or download is cut short)",
                          consumed());
      }
    }
  }
  std::optional<uint64_t> size_hint() const override { return in_.raw().size_hint(); }
  uint64_t bytes_in() const override { return in_.raw().bytes_in(); }
  SourceIdentity identity() const override { return in_.raw().identity(); }

 private:
  uint64_t consumed() const { return in_.pulled() - (zin_.size - zin_.pos); }

  RawInput in_;
  std::string name_;
  ZSTD_DStream* ds_;
  ZSTD_inBuffer zin_{nullptr, 0, 0};
  bool frame_done_ = false;
};

}  // namespace

Compression compression_for(std::string_view url) {
  std::string_view path = url;
  if (path.find("://") != std::string_view::npos && !path.starts_with("file://")) {
    path = path.substr(0, path.find_first_of("?#"));
  }
  if (ends_with_ci(path, ".gz")) return Compression::Gzip;
  if (ends_with_ci(path, ".zst") || ends_with_ci(path, ".zstd")) return Compression::Zstd;
  return Compression::None;
}

std::unique_ptr<ByteSource> wrap_decompressor(Compression kind, std::unique_ptr<ByteSource> raw, std::string name,
                                              size_t input_bytes) {
  switch (kind) {
    case Compression::Gzip:
      return std::make_unique<GzipSource>(std::move(raw), std::move(name), input_bytes);
    case Compression::Zstd:
      return std::make_unique<ZstdSource>(std::move(raw), std::move(name), input_bytes);
    case Compression::None:
      break;
  }
  return raw;
}

}  // namespace pgload
