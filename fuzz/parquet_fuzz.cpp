// Fuzzes the Parquet reader: the footer's Thrift metadata, the schema, page headers, every codec and encoding. Any
// input either decodes (every row group, every flat column) or throws ParquetError; no crash, no read outside the
// input, no allocation past the reader's caps.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "loader/parquet/parquet_error.h"
#include "loader/parquet/parquet_file.h"
#include "loader/parquet/pg_value.h"
#include "loader/source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pgload::parquet;
  try {
    ParquetFile file(memory_access(std::string(reinterpret_cast<const char*>(data), size)), "fuzz");
    std::vector<int> flat;
    for (size_t l = 0; l < file.leaves().size(); ++l)
      if (!file.leaves()[l].nested) flat.push_back(static_cast<int>(l));
    const std::optional<Target> text = target_for(25, -1);
    std::vector<ColumnValues> cols;
    std::string out;
    Converted conv;
    for (size_t g = 0; g < file.row_groups(); ++g) {
      file.read_row_group(g, flat, cols);
      for (size_t k = 0; k < flat.size(); ++k) {
        const LeafColumn& leaf = file.leaves()[static_cast<size_t>(flat[k])];
        for (const auto& b : cols[k].bytes) {
          RawValue v;
          v.b = b;
          out.clear();
          (void)append_pg_field(out, leaf, *text, v, conv);
        }
      }
    }
  } catch (const ParquetError&) {
  } catch (const pgload::SourceError&) {
  }
  return 0;
}
