// One thread per file in flight: it opens the file (a listed identity that no longer holds is an error before any
// byte is used), pulls its decompressed stream in blocks into a bounded queue, and at the end checks that the file
// is still what was listed. The pipeline's serial read stage pops the blocks in file order.
#include "loader/input_reader.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "loader/checkpoint.h"

namespace pgload {
namespace {

// Test hook: with PGLOAD_TEST_HOLD_FILES=PATH every file but the first waits (at most 60 s) until PATH exists before
// it is opened, so a test can change a listed file between the listing and its reading.
void hold_for_test(size_t index) {
  const char* path = std::getenv("PGLOAD_TEST_HOLD_FILES");
  if (path == nullptr || index == 0) return;
  static std::once_flag said;
  std::call_once(said, [path] {
    std::fprintf(stderr, "pgload: test hold: the files after the first wait for %s\n", path);
    std::fflush(stderr);
  });
  for (int i = 0; i < 600; ++i) {
    if (std::FILE* f = std::fopen(path, "r")) {
      std::fclose(f);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

class InputReader::Ahead final : public ByteSource {
 public:
  Ahead(const InputFile& file, SourceOptions opts, size_t index, uint64_t start_offset)
      : file_(file), opts_(std::move(opts)), start_offset_(start_offset) {
    opts_.start_offset = start_offset;
    thread_ = std::thread([this, index] { run(index); });
  }
  ~Ahead() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Ahead(const Ahead&) = delete;
  Ahead& operator=(const Ahead&) = delete;

  uint64_t start_offset() const noexcept { return start_offset_; }

  // Waits until the file is open; rethrows why it could not be.
  void wait_open() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return opened_ || error_; });
    if (!opened_) std::rethrow_exception(error_);
  }

  size_t read(char* buf, size_t len) override {
    return take(len, [buf](const char* from, size_t n) { std::memcpy(buf, from, n); });
  }
  size_t append_to(std::string& buf, size_t len) override {
    return take(len, [&buf](const char* from, size_t n) { buf.append(from, n); });
  }
  bool swap_block(std::string& block, size_t& begin) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !blocks_.empty() || eof_ || error_; });
    if (blocks_.empty() || front_at_ != kBlockHeadroom) return false;  // append_to rethrows an error
    std::string& front = blocks_.front();
    queued_ -= front.size() - kBlockHeadroom;
    // Kept with its bytes: spare_block() then zero-fills only what they do not cover.
    if (spare_.size() < kSpareBlocks && block.capacity() >= kBlockHeadroom + kBlockBytes)
      spare_.push_back(std::move(block));
    block = std::move(front);
    blocks_.pop_front();
    begin = kBlockHeadroom;
    lock.unlock();
    cv_.notify_all();
    return true;
  }
  std::optional<uint64_t> size_hint() const override {
    std::lock_guard lock(mu_);
    return size_hint_;
  }
  uint64_t bytes_in() const override { return raw_in_.load(std::memory_order_relaxed); }
  SourceIdentity identity() const override {
    std::lock_guard lock(mu_);
    return identity_;
  }

 private:
  void run(size_t index) {
    try {
      hold_for_test(index);
      std::unique_ptr<ByteSource> src = open_source(file_.url, opts_);
      const SourceIdentity id = src->identity();
      if (std::string change = identity_change(file_.listed, id); !change.empty())
        throw SourceError(file_.shown + " changed since it was listed (" + change + ")", 0);
      {
        std::lock_guard lock(mu_);
        identity_ = id;
        size_hint_ =
            file_.listed.size.empty() ? src->size_hint() : std::optional<uint64_t>(std::stoull(file_.listed.size));
        opened_ = true;
      }
      cv_.notify_all();
      for (;;) {
        std::string block = spare_block();
        const size_t n = src->read(block.data() + kBlockHeadroom, kBlockBytes);
        raw_in_.store(src->bytes_in(), std::memory_order_relaxed);
        if (n == 0) break;
        block.resize(kBlockHeadroom + n);
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || queued_ < kAheadBytes; });
        if (stop_) return;
        queued_ += n;
        blocks_.push_back(std::move(block));
        lock.unlock();
        cv_.notify_all();
      }
      check_unchanged(*src, id);
      {
        std::lock_guard lock(mu_);
        eof_ = true;
      }
    } catch (...) {
      std::lock_guard lock(mu_);
      error_ = std::current_exception();
    }
    cv_.notify_all();
  }

  // Up to len bytes of the front block handed to `put`, then the block is recycled once used up.
  template <typename Put>
  size_t take(size_t len, Put put) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !blocks_.empty() || eof_ || error_; });
    if (blocks_.empty()) {
      if (error_) std::rethrow_exception(error_);
      return 0;
    }
    // Only this thread pops, and push_back keeps references to the deque's elements: copy without the lock.
    std::string& front = blocks_.front();
    lock.unlock();
    const size_t n = std::min(len, front.size() - front_at_);
    put(front.data() + front_at_, n);
    front_at_ += n;
    if (front_at_ == front.size()) {
      lock.lock();
      queued_ -= front.size() - kBlockHeadroom;
      if (spare_.size() < kSpareBlocks) spare_.push_back(std::move(front));
      blocks_.pop_front();
      front_at_ = kBlockHeadroom;
      lock.unlock();
      cv_.notify_all();
    }
    return n;
  }

  // A block of kBlockBytes: a used one when there is one, so that steady state neither zero-fills nor faults in
  // fresh pages for every megabyte read.
  std::string spare_block() {
    std::string block;
    {
      std::lock_guard lock(mu_);
      if (!spare_.empty()) {
        block = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    block.resize(kBlockHeadroom + kBlockBytes);  // zero-fills only what a short read left out
    return block;
  }

  // At the end of the file: the bytes read are the size listed, and a local file's size and mtime are still what
  // they were when it was opened (a file rewritten in place, or replaced, while it was read).
  void check_unchanged(const ByteSource& src, const SourceIdentity& opened) const {
    if (!file_.listed.size.empty() && std::to_string(src.bytes_in()) != file_.listed.size)
      throw SourceError(file_.shown + " changed while it was read: it was listed with " + file_.listed.size +
                            " bytes, " + std::to_string(src.bytes_in()) + " were read",
                        src.bytes_in());
    if (std::optional<std::string> path = local_path_of(file_.url); path && !opened.mtime.empty()) {
      const SourceIdentity now = local_file_identity(*path).value_or(SourceIdentity{"", "", "gone", "gone"});
      if (std::string change = identity_change(opened, now); !change.empty())
        throw SourceError(file_.shown + " changed while it was read (" + change + ")", src.bytes_in());
    }
  }

  const InputFile& file_;
  SourceOptions opts_;
  const uint64_t start_offset_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> blocks_;
  static constexpr size_t kSpareBlocks = 2;
  std::vector<std::string> spare_;    // used blocks kept for the reader thread
  size_t front_at_ = kBlockHeadroom;  // consumer only: where the unread bytes of blocks_.front() begin
  size_t queued_ = 0;
  bool opened_ = false, eof_ = false, stop_ = false;
  std::exception_ptr error_;
  SourceIdentity identity_;
  std::optional<uint64_t> size_hint_;
  std::atomic<uint64_t> raw_in_{0};
  std::thread thread_;  // last: started once every member above exists
};

InputReader::InputReader(std::vector<InputFile> files, SourceOptions opts, size_t parallel_files)
    : files_(std::move(files)),
      opts_(std::move(opts)),
      parallel_(std::max<size_t>(1, parallel_files)),
      ahead_(files_.size()),
      opened_(files_.size()) {}

InputReader::~InputReader() {
  std::lock_guard lock(mu_);
  ahead_.clear();
}

void InputReader::start(size_t i, uint64_t start_offset) {
  auto a = std::make_shared<Ahead>(files_[i], opts_, i, start_offset);
  std::lock_guard lock(mu_);
  ahead_[i] = std::move(a);
}

ByteSource& InputReader::open(size_t i, uint64_t start_offset) {
  if (!started_) {
    // A resumed load starts at file i: the files before it were loaded by the committed steps.
    started_ = true;
    uint64_t before = 0;
    for (size_t j = 0; j < i; ++j) before += files_[j].listed.size.empty() ? 0 : std::stoull(files_[j].listed.size);
    done_bytes_.store(before, std::memory_order_relaxed);
    files_done_.store(i, std::memory_order_relaxed);
  }
  if (!ahead_[i] || ahead_[i]->start_offset() != start_offset) start(i, start_offset);
  for (size_t j = i + 1; j < std::min(files_.size(), i + parallel_); ++j)
    if (!ahead_[j]) start(j, 0);
  ahead_[i]->wait_open();
  opened_[i] = ahead_[i]->identity();
  return *ahead_[i];
}

ByteSource& InputReader::source(size_t i) { return *ahead_[i]; }

void InputReader::finish(size_t i) {
  std::shared_ptr<Ahead> done;
  {
    std::lock_guard lock(mu_);
    done.swap(ahead_[i]);
    if (done) done_bytes_.fetch_add(done->bytes_in(), std::memory_order_relaxed);
  }
  files_done_.fetch_add(1, std::memory_order_relaxed);
}

SourceIdentity InputReader::identity(size_t i) const { return opened_[i]; }

uint64_t InputReader::bytes_in() const {
  std::lock_guard lock(mu_);
  uint64_t n = done_bytes_.load(std::memory_order_relaxed);
  for (const auto& a : ahead_)
    if (a) n += a->bytes_in();
  return n;
}

std::optional<uint64_t> InputReader::total_bytes() const {
  std::lock_guard lock(mu_);
  uint64_t total = 0;
  for (size_t i = 0; i < files_.size(); ++i) {
    if (!files_[i].listed.size.empty()) {
      total += std::stoull(files_[i].listed.size);
    } else if (ahead_[i] && ahead_[i]->size_hint()) {
      total += *ahead_[i]->size_hint();
    } else {
      return std::nullopt;
    }
  }
  return total;
}

}  // namespace pgload
