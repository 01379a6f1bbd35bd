// Spool file I/O: io_uring one request at a time (the spool is sequential, the win is fewer copies and syscalls
// batched by the kernel), with the same loop semantics as the pread/pwrite fallback.
#include "mover/copy/spool.h"

#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace pgload {

namespace {
constexpr unsigned kRingEntries = 8;

std::string errno_text(int err) { return std::strerror(err); }
}  // namespace

FileIo::FileIo(SpoolIoMode mode) {
  if (mode == SpoolIoMode::Posix) return;
  auto ring = std::make_unique<io_uring>();
  int rc = io_uring_queue_init(kRingEntries, ring.get(), 0);
  if (rc == 0) {
    ring_ = std::move(ring);
    return;
  }
  // ENOSYS (old kernel), EPERM (seccomp, io_uring_disabled sysctl), ENOMEM (locked memory limit): fall back.
  if (mode == SpoolIoMode::Uring) throw std::system_error(-rc, std::generic_category(), "io_uring_queue_init refused");
}

FileIo::~FileIo() {
  if (ring_) io_uring_queue_exit(ring_.get());
}

long FileIo::submit(bool write, int fd, uint64_t offset, void* buf, size_t n) {
  if (max_request_bytes_ > 0 && n > max_request_bytes_) n = max_request_bytes_;
  if (!ring_) {
    ssize_t r =
        write ? ::pwrite(fd, buf, n, static_cast<off_t>(offset)) : ::pread(fd, buf, n, static_cast<off_t>(offset));
    return r < 0 ? -errno : r;
  }
  io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
  if (!sqe) return -EAGAIN;  // cannot happen with one request in flight; treated as retryable
  if (write)
    io_uring_prep_write(sqe, fd, buf, static_cast<unsigned>(n), offset);
  else
    io_uring_prep_read(sqe, fd, buf, static_cast<unsigned>(n), offset);
  int rc = io_uring_submit(ring_.get());
  if (rc < 0) return rc;
  io_uring_cqe* cqe = nullptr;
  do rc = io_uring_wait_cqe(ring_.get(), &cqe);
  while (rc == -EINTR);
  if (rc < 0) return rc;
  long res = cqe->res;
  io_uring_cqe_seen(ring_.get(), cqe);
  return res;
}

void FileIo::write_all(int fd, uint64_t offset, std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    size_t n = std::min<size_t>(data.size() - done, 1u << 30);
    long r = submit(true, fd, offset + done, const_cast<char*>(data.data() + done), n);
    if (r == -EAGAIN || r == -EINTR) continue;
    if (r < 0)
      throw std::runtime_error("spool write failed at byte " + std::to_string(offset + done) + ": " +
                               errno_text(static_cast<int>(-r)));
    if (r == 0) throw std::runtime_error("spool write made no progress at byte " + std::to_string(offset + done));
    done += static_cast<size_t>(r);
  }
}

size_t FileIo::read_full(int fd, uint64_t offset, char* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    long r = submit(false, fd, offset + done, buf + done, std::min<size_t>(n - done, 1u << 30));
    if (r == -EAGAIN || r == -EINTR) continue;
    if (r < 0)
      throw std::runtime_error("spool read failed at byte " + std::to_string(offset + done) + ": " +
                               errno_text(static_cast<int>(-r)));
    if (r == 0) break;  // end of file
    done += static_cast<size_t>(r);
  }
  return done;
}

Spool::Spool(const std::string& dir, SpoolIoMode mode) : write_io_(mode), read_io_(mode) {
  std::string d = dir.empty() ? "/tmp" : dir;
  fd_ = ::open(d.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0) {  // filesystems without O_TMPFILE: a named file unlinked at once
    std::string tmpl = d + "/pgmove-spool-XXXXXX";
    fd_ = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("cannot create a spool file in " + d + ": " + errno_text(errno));
    ::unlink(tmpl.c_str());
  }
}

Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
}

void Spool::append(std::string_view bytes) {
  if (bytes.empty()) return;
  uint64_t offset;
  {
    std::lock_guard lock(mu_);
    offset = size_;
  }
  write_io_.write_all(fd_, offset, bytes);  // only this thread moves size_, so offset stays the end
  {
    std::lock_guard lock(mu_);
    size_ = offset + bytes.size();
  }
  cv_.notify_all();
}

void Spool::finish() {
  {
    std::lock_guard lock(mu_);
    finished_ = true;
  }
  cv_.notify_all();
}

void Spool::fail(const std::string& error) {
  {
    std::lock_guard lock(mu_);
    error_ = error.empty() ? "spool producer failed" : error;
    finished_ = true;
  }
  cv_.notify_all();
}

size_t Spool::read(uint64_t offset, char* buf, size_t n) {
  uint64_t available;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return size_ > offset || finished_; });
    if (size_ <= offset) {
      if (!error_.empty()) throw std::runtime_error(error_);
      return 0;
    }
    available = size_ - offset;
  }
  auto want = static_cast<size_t>(std::min<uint64_t>(available, n));
  size_t got = read_io_.read_full(fd_, offset, buf, want);
  if (got != want)
    throw std::runtime_error("spool file shorter than written: wanted " + std::to_string(want) + " bytes at " +
                             std::to_string(offset) + ", got " + std::to_string(got));
  return got;
}

uint64_t Spool::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

}  // namespace pgload
