// Fuzzes the Parquet reader: the footer's Thrift metadata, the schema, page headers, every codec and encoding, and
// the assembly of nested columns (LIST, MAP, struct) from repetition and definition levels into JSON and arrays.
// Any input either decodes (every row group, every column) or throws ParquetError; no crash, no read outside the
// input, no allocation past the reader's caps. Seeds: fuzz/run writes them with DuckDB (tests/parquet).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "loader/parquet/nested.h"
#include "loader/parquet/parquet_error.h"
#include "loader/parquet/parquet_file.h"
#include "loader/parquet/pg_value.h"
#include "loader/source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pgload::parquet;
  try {
    ParquetFile file(memory_access(std::string(reinterpret_cast<const char*>(data), size)), "fuzz");
    const auto& leaves = file.leaves();
    std::vector<int> flat;
    std::vector<NestedShape> shapes;
    for (size_t l = 0; l < leaves.size(); ++l) {
      if (!leaves[l].nested)
        flat.push_back(static_cast<int>(l));
      else if (l == 0 || leaves[l - 1].top != leaves[l].top)
        shapes.push_back(nested_shape(file.meta(), leaves, leaves[l].top));
    }
    const std::optional<pgload::ColumnType> text = target_for(25, -1);
    std::vector<ColumnValues> cols, nested_cols;
    std::string out;
    Converted conv;
    for (size_t g = 0; g < file.row_groups(); ++g) {
      file.read_row_group(g, flat, cols);
      for (size_t k = 0; k < flat.size(); ++k) {
        const LeafColumn& leaf = leaves[static_cast<size_t>(flat[k])];
        for (const auto& b : cols[k].bytes) {
          RawValue v;
          v.b = b;
          out.clear();
          (void)append_pg_field(out, leaf, *text, v, conv);
        }
      }
      for (const NestedShape& shape : shapes) {
        file.read_row_group(g, shape.leaves, nested_cols);
        std::vector<const ColumnValues*> ptrs;
        for (const ColumnValues& c : nested_cols) ptrs.push_back(&c);
        NestedRows rows(shape, leaves, ptrs);
        const int64_t n = file.meta().row_groups[g].num_rows;
        for (int64_t r = 0; r < n && rows.next_row(); ++r) {
          out.clear();
          (void)rows.null();
          (void)rows.append_json(out, true);
          if (shape.array_dims() > 0 && shape.array_dims() <= kMaxArrayDims) (void)rows.append_array(out, *text, 25);
        }
      }
    }
  } catch (const ParquetError&) {
  } catch (const pgload::SourceError&) {
  }
  return 0;
}
