#include "mover/move/unit_copy.h"

#include <stdexcept>
#include <string>

namespace pgload {

void check_unit_target(const MoveUnit& u, const PgConn& source, const PgConn& target, const std::vector<ShardDdl>& ddls,
                       bool logical) {
  std::vector<std::string> relations;
  for (const auto& d : ddls) relations.push_back(d.relation);
  // One query for the whole unit: the first of its tables the target already has.
  if (auto there = target.scalar("SELECT r FROM unnest($1::text[]) WITH ORDINALITY AS x(r, i) "
                                 "WHERE to_regclass(r) IS NOT NULL ORDER BY i LIMIT 1",
                                 {array_literal(relations)}))
    throw std::runtime_error("target " + u.target.endpoint() + " already has a table " + *there +
                             " (not in pg_dist_placement); drop it or move elsewhere");
  for (const auto& d : ddls) {
    if (logical && !d.has_replica_identity)
      throw std::runtime_error(d.relation +
                               " has no primary key or replica identity, which logical mode needs "
                               "to replicate updates and deletes; use block_writes");
  }
  if (!logical) return;
  auto wal = source.scalar("SHOW wal_level");
  if (!wal || *wal != "logical")
    throw std::runtime_error("logical mode needs wal_level = logical on source " + u.source.endpoint() + " (it is " +
                             wal.value_or("?") + "); use block_writes");
}

void create_unit_tables(const PgConn& target, const std::vector<ShardDdl>& ddls,
                        const std::vector<std::string>& owners) {
  std::vector<std::string> schemas;
  for (const auto& d : ddls) schemas.push_back(d.schema);
  // Schemas are created only where missing (CREATE SCHEMA IF NOT EXISTS would still need CREATE on the database).
  auto missing =
      target.exec("SELECT DISTINCT n FROM unnest($1::text[]) n WHERE to_regnamespace(quote_ident(n)) IS NULL",
                  {array_literal(schemas)});
  std::string sql;
  for (int i = 0; i < missing.rows(); ++i) sql += "CREATE SCHEMA " + quote_ident(missing.str(i, 0)) + ";\n";
  for (size_t i = 0; i < ddls.size(); ++i) {
    sql += ddls[i].create_table + ";\n";
    if (!owners[i].empty()) sql += "ALTER TABLE " + ddls[i].relation + " OWNER TO " + quote_ident(owners[i]) + ";\n";
    for (const auto& pre : ddls[i].pre_data) sql += pre + ";\n";
  }
  target.run(sql);
}

UnitCopy::UnitCopy(MoveContext& run, const MoveUnit& u, std::shared_ptr<MoveProgress::Entry> progress)
    : run_(run), unit_(u), progress_(std::move(progress)) {
  options_.binary = run.opts.binary_copy;
  options_.spool_dir = run.opts.spool_dir;
  options_.max_target_attempts = run.opts.max_target_attempts;
  options_.bucket = &run.bucket;
  options_.progress_bytes = &progress_->bytes;
}

void UnitCopy::copy_rows(const PgConn& source, PgConn& target, const std::function<PgConn()>& connect_target,
                         const std::vector<ShardDdl>& ddls) {
  progress_->set_phase("copying");
  const auto& hook = run_.opts.hooks.after_target_chunk;
  for (size_t i = 0; i < ddls.size(); ++i) {
    if (hook) {
      const int64_t shard = unit_.shards[i].shard_id;
      options_.after_target_chunk = [&hook, shard](int attempt, uint64_t bytes) { hook(shard, attempt, bytes); };
    }
    const ShardCopyStats st = copy_shard_rows(source, target, connect_target, ddls[i], options_);
    totals_.bytes += st.bytes;
    totals_.source_reads += st.source_reads;
    totals_.target_attempts += st.target_attempts;
  }
}

void UnitCopy::build_indexes(const PgConn& target, const std::vector<ShardDdl>& ddls) {
  progress_->set_phase("building indexes");
  for (const auto& d : ddls)
    for (const auto& sql : d.post_data) target.run(sql);
}

void UnitCopy::add_foreign_keys(PgConn& target, const std::vector<ShardDdl>& ddls) {
  for (const auto& d : ddls)
    for (const auto& sql : d.foreign_keys) target.run(sql);
}

}  // namespace pgload
