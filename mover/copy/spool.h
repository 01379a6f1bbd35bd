// A local spool file between a shard's source and its target: the reader fills it once, the writer drains it and,
// when the target fails, drains it again from the start without touching the source. I/O goes through io_uring when
// the kernel allows it (probed at run time) and through pread/pwrite otherwise.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

struct io_uring;

namespace pgload {

enum class SpoolIoMode { Auto, Uring, Posix };

// Full-length positional reads/writes on one fd with one io_uring ring (or pread/pwrite). One thread at a time.
class FileIo {
 public:
  // Auto: io_uring if io_uring_queue_init succeeds, else POSIX. Uring: throws if the kernel refuses it.
  explicit FileIo(SpoolIoMode mode);
  ~FileIo();
  FileIo(const FileIo&) = delete;
  FileIo& operator=(const FileIo&) = delete;

  bool uses_uring() const noexcept { return ring_ != nullptr; }
  // Writes all of `data` at `offset`, looping over short writes and retrying -EAGAIN/-EINTR; throws on error.
  void write_all(int fd, uint64_t offset, std::string_view data);
  // Reads up to `n` bytes at `offset`, looping over short reads until `n` bytes or end of file; returns the count.
  size_t read_full(int fd, uint64_t offset, char* buf, size_t n);
  // Caps every single read/write request at `bytes` (0 = no cap) so tests exercise the short-transfer loops.
  void set_max_request_bytes(size_t bytes) noexcept { max_request_bytes_ = bytes; }

 private:
  // One request; returns bytes transferred (>= 0) or -errno.
  long submit(bool write, int fd, uint64_t offset, void* buf, size_t n);
  std::unique_ptr<io_uring> ring_;
  size_t max_request_bytes_ = 0;
};

// An anonymous (already unlinked) file in `dir` that one producer thread appends to and one consumer thread reads
// at any offset, waiting for bytes not yet written. Nothing is left on disk after a crash.
class Spool {
 public:
  explicit Spool(const std::string& dir, SpoolIoMode mode = SpoolIoMode::Auto);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  bool uses_uring() const noexcept { return write_io_.uses_uring(); }
  // Producer: appends bytes at the end and wakes the consumer.
  void append(std::string_view bytes);
  // Producer: no more bytes will come.
  void finish();
  // Producer: the source failed; the consumer's next read past the data throws `error`.
  void fail(const std::string& error);

  // Consumer: copies up to `n` bytes at `offset` into `buf`, waiting until some are there; 0 means all data was
  // read and the producer finished. Throws std::runtime_error with the producer's error if it failed.
  size_t read(uint64_t offset, char* buf, size_t n);
  uint64_t size() const;
  // Test hook: cap each I/O request on both sides (see FileIo::set_max_request_bytes).
  void set_max_request_bytes(size_t bytes) noexcept {
    write_io_.set_max_request_bytes(bytes);
    read_io_.set_max_request_bytes(bytes);
  }

 private:
  int fd_ = -1;
  FileIo write_io_;  // used only by the producer thread
  FileIo read_io_;   // used only by the consumer thread
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t size_ = 0;  // bytes durable in the file (written before published here)
  bool finished_ = false;
  std::string error_;
};

}  // namespace pgload
