// A Parquet file planned for a load: which leaf column (or nested field: LIST, MAP, struct) feeds each loaded
// table column (by name, as NDJSON keys do), and the PostgreSQL target each value is converted into. Everything
// that would fail for every row (a nested column into a column that is neither json/jsonb nor an array, a column
// type Parquet values cannot go into, a NOT NULL column the file lacks) fails here, before anything is sent.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "loader/parquet/nested.h"
#include "loader/parquet/parquet_file.h"
#include "loader/parquet/pg_value.h"

namespace pgload::parquet {

// A nested field loaded into a json/jsonb column or a PostgreSQL array.
struct NestedPlan {
  NestedShape shape;
  std::vector<int> slots;  // per leaf of the shape: its index into ParquetInput::leaves
  bool array = false;      // into an array of `element` (element_oid); else json (jsonb when `jsonb`)
  bool jsonb = false;
  ColumnType element;
  uint32_t element_oid = 0;
};

struct ParquetInput {
  std::unique_ptr<ParquetFile> file;
  std::vector<int> leaves;  // leaf columns read: one per flat table column found in the file, all of a nested one's
  std::vector<int> slot_of_field;  // per loaded column: index into `leaves`, -1 when the file lacks it or it is nested
  std::vector<int> nested_of_field;  // per loaded column: index into `nested`, -1 when it is not nested
  std::vector<ColumnType> targets;   // per loaded column (a nested one: json/jsonb, or its array's element)
  std::vector<NestedPlan> nested;
};

// Plans the load of `file` into the table columns `fields` (indexes into table.columns, in load order).
// `columns_given`: --columns chose them, so file columns outside them are ignored; otherwise a file column that
// is not a table column is an error. Throws LoadError (exit 2) with the column named.
ParquetInput plan_parquet(std::unique_ptr<ParquetFile> file, const Table& table, const std::vector<int>& fields,
                          bool columns_given);

}  // namespace pgload::parquet
