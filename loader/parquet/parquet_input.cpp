#include "loader/parquet/parquet_input.h"

#include "loader/load_error.h"
#include "loader/parquet/parquet_error.h"

namespace pgload::parquet {
namespace {

// Plans top-level field `top`, nested, into table column `col`: into json/jsonb as JSON, into an array column as
// an array when it is a LIST (of LISTs) of a primitive. Returns the column's target; throws LoadError.
ColumnType plan_nested(ParquetInput& in, const ParquetFile& file, const Column& col, int top,
                       const std::string& named) {
  NestedPlan p;
  try {
    p.shape = nested_shape(file.meta(), file.leaves(), top);
  } catch (const ParquetError& e) {
    throw LoadError(kExitInputErrors, file.name() + ": " + e.what());
  }
  const std::string what = named + " is a nested Parquet column (" + p.shape.kind + ")";
  std::optional<ColumnType> t;
  if (col.type_oid == 114 || col.type_oid == 3802) {
    t = target_for(col.type_oid, col.typmod);
    p.jsonb = col.type_oid == 3802;
  } else if (const uint32_t elem = array_element_oid(col.type_oid)) {
    const int dims = p.shape.array_dims();
    if (dims == 0)
      throw LoadError(kExitUsage, what + ", not a LIST of " + (p.shape.kind == "LIST" ? "primitive values" : "values") +
                                      ": it can go into a json or jsonb column, not into " + col.type_sql);
    if (dims > kMaxArrayDims)
      throw LoadError(kExitUsage, what + " of " + std::to_string(dims) + " levels; a PostgreSQL array has at most " +
                                      std::to_string(kMaxArrayDims) + " dimensions");
    t = target_for(elem, col.typmod);
    p.array = true;
    p.element = *t;
    p.element_oid = elem;
  }
  if (!t)
    throw LoadError(kExitUsage, what + ": it can go into a json, jsonb or array column, not into " + col.type_sql +
                                    " (leave it out with --columns)");
  for (int leaf : p.shape.leaves) {
    p.slots.push_back(static_cast<int>(in.leaves.size()));
    in.leaves.push_back(leaf);
  }
  in.nested_of_field.push_back(static_cast<int>(in.nested.size()));
  in.nested.push_back(std::move(p));
  return *t;
}

}  // namespace

ParquetInput plan_parquet(std::unique_ptr<ParquetFile> file, const Table& table, const std::vector<int>& fields,
                          bool columns_given) {
  ParquetInput in;
  const auto& leaves = file->leaves();
  const std::string where = file->name() + ": ";
  if (!columns_given) {
    for (const LeafColumn& leaf : leaves) {
      bool known = false;
      for (const auto& c : table.columns) known = known || c.name == leaf.name;
      if (!known)
        throw LoadError(kExitUsage, where + "the file's column \"" + leaf.name + "\" is not a column of " +
                                        table.qualified() + " (choose the columns to load with --columns)");
    }
  }
  for (int idx : fields) {
    const auto& col = table.columns[static_cast<size_t>(idx)];
    int found = -1, count = 0;
    for (size_t l = 0; l < leaves.size(); ++l)
      if (leaves[l].name == col.name) {
        if (found < 0) found = static_cast<int>(l);
        ++count;
      }
    const std::string named = where + "column \"" + col.name + "\"";
    if (found >= 0 && (count > 1 || leaves[static_cast<size_t>(found)].nested)) {
      in.targets.push_back(plan_nested(in, *file, col, leaves[static_cast<size_t>(found)].top, named));
      if (idx == table.dist_column_index)
        throw LoadError(kExitUsage, named + " is a nested Parquet column (" + in.nested.back().shape.kind +
                                        "): it cannot be the distribution column");
      in.slot_of_field.push_back(-1);
      continue;
    }
    in.nested_of_field.push_back(-1);
    std::optional<ColumnType> t = target_for(col.type_oid, col.typmod);
    if (!t)
      throw LoadError(kExitUsage, named +
                                      " has a type Parquet values cannot be loaded into by pgload (boolean, "
                                      "integers, real, double precision, numeric, text, varchar, char, json, "
                                      "jsonb, uuid, bytea, date, time, timestamp, timestamptz; arrays of these "
                                      "take LIST columns)");
    in.targets.push_back(*t);
    if (found < 0) {
      if (col.not_null || idx == table.dist_column_index)
        throw LoadError(kExitUsage, where + "has no column \"" + col.name + "\", and " + table.qualified() + "." +
                                        col.name + " cannot be NULL");
      in.slot_of_field.push_back(-1);
      continue;
    }
    in.slot_of_field.push_back(static_cast<int>(in.leaves.size()));
    in.leaves.push_back(found);
  }
  in.file = std::move(file);
  return in;
}

}  // namespace pgload::parquet
