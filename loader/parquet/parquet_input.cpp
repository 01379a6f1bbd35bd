#include "loader/parquet/parquet_input.h"

#include "loader/load_error.h"

namespace pgload::parquet {

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
    std::optional<Target> t = target_for(col.type_oid, col.typmod);
    if (!t)
      throw LoadError(kExitUsage, where + "column \"" + col.name +
                                      "\" has a type Parquet values cannot be loaded "
                                      "into by pgload (boolean, integers, real, double precision, numeric, text, "
                                      "varchar, char, json, jsonb, uuid, bytea, date, time, timestamp, timestamptz)");
    in.targets.push_back(*t);
    int found = -1, count = 0;
    for (size_t l = 0; l < leaves.size(); ++l)
      if (leaves[l].name == col.name) {
        found = static_cast<int>(l);
        ++count;
      }
    if (found < 0) {
      if (col.not_null || idx == table.dist_column_index)
        throw LoadError(kExitUsage, where + "has no column \"" + col.name + "\", and " + table.qualified() + "." +
                                        col.name + " cannot be NULL");
      in.slot_of_field.push_back(-1);
      continue;
    }
    if (count > 1 || leaves[static_cast<size_t>(found)].nested)
      throw LoadError(kExitUsage, where + "column \"" + col.name +
                                      "\" is a nested Parquet column (LIST, MAP or struct), which pgload does not "
                                      "load yet; leave it out with --columns");
    in.slot_of_field.push_back(static_cast<int>(in.leaves.size()));
    in.leaves.push_back(found);
  }
  in.file = std::move(file);
  return in;
}

}  // namespace pgload::parquet
