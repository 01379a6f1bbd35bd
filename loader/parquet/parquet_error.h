// The error a malformed or unsupported Parquet file raises: what is wrong and where (file, row group, column, page
// as far as known by the layer that throws; outer layers add the rest).
#pragma once

#include <stdexcept>
#include <string>

namespace pgload::parquet {

class ParquetError : public std::runtime_error {
 public:
  explicit ParquetError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace pgload::parquet
