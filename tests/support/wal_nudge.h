// WAL written on some nodes every few milliseconds while a test runs a logical move: a logical move subscribes only
// when its source wrote WAL after the copy's snapshot, so a test that looks at the subscription makes sure it does.
// Each nudge is a transactional logical message (pg_logical_emit_message): it touches no table.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/pg.h"

namespace pgload::test {

class WalNudge {
 public:
  // Starts nudging every node of `conninfos` (connection failures end that node's nudges, never the test).
  explicit WalNudge(std::vector<std::string> conninfos) : conninfos_(std::move(conninfos)) {
    thread_ = std::thread([this] {
      std::vector<PgConn> nodes;
      try {
        for (const auto& c : conninfos_) nodes.push_back(PgConn::connect(c, "pgload-test-nudge"));
      } catch (const std::exception&) {
        return;
      }
      for (int i = 0; i < 60000 && !stop_.load(); ++i) {  // at most ~5 minutes
        for (const auto& n : nodes) {
          try {
            n.run("SELECT pg_logical_emit_message(true, 'pgload-test', 'nudge')");
          } catch (const std::exception&) {
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }
  ~WalNudge() {
    stop_ = true;
    thread_.join();
  }
  WalNudge(const WalNudge&) = delete;
  WalNudge& operator=(const WalNudge&) = delete;

 private:
  std::vector<std::string> conninfos_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace pgload::test
