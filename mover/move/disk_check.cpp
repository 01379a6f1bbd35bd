// Sizes come from the backend (each unit on its source); free space from statvfs on this machine's filesystems.
#include "mover/move/disk_check.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace pgload {

namespace {

// Free bytes of the filesystem holding `path`, or nullopt when it cannot be read.
std::optional<uint64_t> free_bytes(const std::string& path) {
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

bool is_loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1"; }

}  // namespace

void check_disk_space(const Catalog& catalog, const std::vector<MoveUnit>& units, const std::vector<uint64_t>& sizes,
                      const ExecutorOptions& opts) {
  std::map<std::string, uint64_t> per_target;
  std::map<std::string, const Node*> target_nodes;
  for (size_t i = 0; i < units.size() && i < sizes.size(); ++i) {
    per_target[units[i].target.endpoint()] += sizes[i];
    target_nodes[units[i].target.endpoint()] = &units[i].target;
  }
  if (!opts.spool_dir.empty()) {
    std::vector<uint64_t> largest = sizes;
    std::sort(largest.rbegin(), largest.rend());
    uint64_t need = 0;
    for (size_t i = 0; i < largest.size() && i < static_cast<size_t>(opts.parallel); ++i) need += largest[i];
    auto have = free_bytes(opts.spool_dir);
    if (!have)
      throw std::runtime_error("cannot read free space of --spool " + opts.spool_dir + ": " + std::strerror(errno));
    if (*have < need + need / 10)
      throw std::runtime_error("not enough free disk for the spool in " + opts.spool_dir + ": " +
                               std::to_string(need / 1000000) + " MB needed, " + std::to_string(*have / 1000000) +
                               " MB free; nothing was moved");
  }
  for (const auto& [endpoint, need] : per_target) {
    const Node* n = target_nodes[endpoint];
    if (!is_loopback(n->host)) continue;
    PgConn t = PgConn::connect(catalog.node_conninfo(*n), "pgmove");
    // pg_settings leaves out what the role may not read (data_directory needs pg_read_all_settings): no row, no check.
    auto dir = t.scalar("SELECT setting FROM pg_catalog.pg_settings WHERE name = 'data_directory'");
    if (!dir || dir->empty()) continue;
    auto have = free_bytes(*dir);
    if (have && *have < need + need / 10)
      throw std::runtime_error("not enough free disk on target " + endpoint + ": " + std::to_string(need / 1000000) +
                               " MB planned onto it, " + std::to_string(*have / 1000000) +
                               " MB free; nothing was moved");
  }
}

}  // namespace pgload
