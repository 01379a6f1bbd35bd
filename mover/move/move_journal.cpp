// Journal SQL. Ownership of a move is a session advisory lock, so a crashed run's moves are recognised by a lock
// anyone can take, while a move of a concurrently running pgmove is left alone.
#include "mover/move/move_journal.h"

#include <optional>
#include <stdexcept>
#include <string>

#include "common/pgload_schema.h"

namespace pgload {

namespace {
const std::string kLock = std::to_string(MoveJournal::kLockClass);
const char* const kSetStateSql =
    "UPDATE pgload.moves SET state = $2, error = coalesce($3, error), updated_at = now() WHERE move_id = $1";

// The owner lock's key is the move id's low 32 bits as a signed int, as begin() takes it.
std::string unlock_sql(int64_t move_id) {
  return "SELECT pg_advisory_unlock(" + kLock + ", " + std::to_string(static_cast<int32_t>(move_id)) + ")";
}

std::vector<std::string> parse_text_array(std::string_view v) {
  // PostgreSQL text[] output: {a,"b c","d\"e"}; shard relations are always quoted identifiers here.
  std::vector<std::string> out;
  if (v.size() < 2) return out;
  v = v.substr(1, v.size() - 2);
  size_t i = 0;
  while (i < v.size()) {
    std::string item;
    if (v[i] == '"') {
      ++i;
      while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        item.push_back(v[i++]);
      }
      ++i;  // closing quote
    } else {
      while (i < v.size() && v[i] != ',') item.push_back(v[i++]);
    }
    out.push_back(std::move(item));
    if (i < v.size() && v[i] == ',') ++i;
  }
  return out;
}

}  // namespace

MoveJournal::MoveJournal(PgConn coordinator) : MoveJournal(nullptr) {
  owned_ = std::make_unique<PgConn>(std::move(coordinator));
  conn_ = owned_.get();
  create_table();
}

MoveJournal MoveJournal::sharing(const PgConn& coordinator, bool ensure_schema) {
  MoveJournal j(&coordinator);
  if (ensure_schema) j.create_table();
  return j;
}

MoveJournal::MoveJournal(const PgConn* coordinator) : conn_(coordinator) {}

// pgload.moves is created and upgraded with the rest of pgload's schema (one role column, row-level security).
void MoveJournal::create_table() { ensure_pgload_schema(*conn_); }

int64_t MoveJournal::begin(const std::vector<int64_t>& shard_ids, const std::vector<std::string>& shard_relations,
                           int32_t source_group, int32_t target_group, std::string_view mode) {
  // Three round trips: the lock that serializes begin() of concurrent runs (a statement of its own, so that the
  // overlap check after it reads what a run that held it committed), then the check, the row and its owner lock
  // in one statement, then the COMMIT.
  conn_->run("BEGIN; SELECT pg_advisory_xact_lock(" + kLock + ", 0)");
  try {
    // The owner lock is a session lock (it survives COMMIT): the row becomes visible only together with it. Its
    // key is the move id's low 32 bits as a signed int, as release() and claim_orphans() spell it.
    auto r = conn_->exec(
        "WITH busy AS (SELECT move_id, state, s FROM pgload.moves, unnest(shard_ids) s "
        "              WHERE state IN ('started', 'switched') AND s = ANY($1::bigint[]) LIMIT 1), "
        "ins AS (INSERT INTO pgload.moves (shard_ids, shard_relations, source_group, target_group, mode, state) "
        "        SELECT $1::bigint[], $2::text[], $3::int, $4::int, $5, 'started' WHERE NOT EXISTS (SELECT FROM busy) "
        "        RETURNING move_id) "
        "SELECT move_id, NULL AS state, NULL AS s, pg_advisory_lock(" +
            kLock +
            ", move_id::bit(32)::int)::text FROM ins "
            "UNION ALL SELECT move_id, state, s::text, NULL FROM busy",
        {array_literal(shard_ids), array_literal(shard_relations), std::to_string(source_group),
         std::to_string(target_group), std::string(mode)});
    if (r.rows() != 1) throw std::runtime_error("pgload.moves: no row inserted for the move");
    if (!r.is_null(0, 1))
      throw std::runtime_error("shard " + r.str(0, 2) + " is already in move " + r.str(0, 0) + " (state " +
                               r.str(0, 1) + ") of pgload.moves on the coordinator; if no other pgmove runs, " +
                               "its recovery will resolve it");
    const int64_t move_id = r.i64(0, 0);
    conn_->run("COMMIT");
    return move_id;
  } catch (...) {
    PQclear(PQexec(conn_->raw(), "ROLLBACK"));
    throw;
  }
}

void MoveJournal::set_state(int64_t move_id, std::string_view state, std::string_view error) {
  conn_->exec(kSetStateSql, {std::to_string(move_id), std::string(state),
                             error.empty() ? std::nullopt : std::optional<std::string>(std::string(error))});
}

void MoveJournal::release(int64_t move_id) { conn_->run(unlock_sql(move_id)); }

void MoveJournal::set_state_and_commit(int64_t move_id, std::string_view state) {
  conn_->exec_pipelined({{kSetStateSql, {std::to_string(move_id), std::string(state), std::nullopt}}, {"COMMIT", {}}});
}

void MoveJournal::finish(int64_t move_id) {
  conn_->exec_pipelined({{kSetStateSql, {std::to_string(move_id), "done", std::nullopt}}, {unlock_sql(move_id), {}}});
}

std::vector<JournalEntry> MoveJournal::claim_orphans() {
  auto r = conn_->exec(
      "SELECT move_id, shard_ids, shard_relations, source_group, target_group, mode, state FROM pgload.moves "
      "WHERE state IN ('started', 'switched') ORDER BY move_id");
  std::vector<JournalEntry> out;
  for (int i = 0; i < r.rows(); ++i) {
    int64_t id = r.i64(i, 0);
    auto got =
        conn_->scalar("SELECT pg_try_advisory_lock(" + kLock + ", " + std::to_string(static_cast<int32_t>(id)) + ")");
    if (!got || *got != "t") continue;  // its owner is alive
    // Re-read under the lock: the owner may have finished between the two queries.
    auto again = conn_->scalar("SELECT state FROM pgload.moves WHERE move_id = $1", {std::to_string(id)});
    if (!again || (*again != "started" && *again != "switched")) {
      release(id);
      continue;
    }
    JournalEntry e;
    e.move_id = id;
    std::string ids = r.str(i, 1);
    for (auto& s : parse_text_array(ids)) e.shard_ids.push_back(std::stoll(s));
    e.shard_relations = parse_text_array(r.get(i, 2));
    e.source_group = static_cast<int32_t>(r.i64(i, 3));
    e.target_group = static_cast<int32_t>(r.i64(i, 4));
    e.mode = r.str(i, 5);
    e.state = *again;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace pgload
