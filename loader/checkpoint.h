// A checkpointed load's progress, kept on the coordinator in pgload.resumable_runs (one row per input list and
// table): the files, the identity of the one a step ended in, and how far the committed steps reached. Each step's row
// is written in the same transaction as the step's commit decision (TwoPhaseRun::set_decision_rider), so the row and
// the shards never disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/pg.h"
#include "loader/source.h"

namespace pgload {

// How far the committed steps of a run reached.
struct RunProgress {
  uint64_t file_index = 0;           // the input file the next step starts in (index into ResumableRun::inputs)
  uint64_t byte_offset = 0;          // that file's bytes committed: the next step starts here (a record boundary)
  uint64_t line = 1;                 // that file's line number of the record at byte_offset
  uint64_t rows = 0;                 // rows committed by all steps
  uint64_t rejected = 0;             // bad rows so far: --max-errors counts across steps
  uint64_t reject_file_bytes = 0;    // length of --reject-file after the last step (a resumed run truncates to it)
  int64_t step = 0;                  // steps committed
  std::vector<std::string> columns;  // the input's columns, so a resumed --header load need not reread line 1
};

// One row of pgload.resumable_runs.
struct ResumableRun {
  std::string url;                  // redacted: a password never reaches the table
  std::string table;                // schema.name
  SourceIdentity identity;          // of the file progress.file_index names, when the step ended inside it
  std::vector<std::string> inputs;  // the files the --url values expanded to, in order, as messages show them
  RunProgress progress;
  bool finished = false;
  std::string updated_at;  // the last step's commit time, ISO 8601 UTC
};

// Creates pgload.resumable_runs when it is missing.
void ensure_checkpoint_table(const PgConn& coordinator);

// Takes the session advisory lock of the run (url, table) on `session`, retrying for up to wait_ms (a killed
// run's lock goes when its backend notices the closed socket). False when another pgload still holds it.
bool lock_run(const PgConn& session, const std::string& url, const std::string& table, int64_t wait_ms);

// The row of (url, table), if any.
std::optional<ResumableRun> find_run(const PgConn& coordinator, const std::string& url, const std::string& table);

// Every unfinished run, oldest step first (for `pgload status`); empty when the table does not exist.
std::vector<ResumableRun> unfinished_runs(const PgConn& coordinator);

// The upsert of `run` as committed after a step; `finished` marks the run complete. For the decision rider.
std::pair<std::string, Params> progress_statement(const ResumableRun& run);

// "" when `now` is the input `was` described; else what changed, e.g. `ETag was "a", now "b"` (fields `was` does
// not know are not compared).
std::string identity_change(const SourceIdentity& was, const SourceIdentity& now);

// `pgload status` output: a table for people, or one JSON object {"runs":[...]}.
std::string status_text(const std::vector<ResumableRun>& runs);
std::string status_json(const std::vector<ResumableRun>& runs);

}  // namespace pgload
