#include "loader/parquet/metadata.h"

#include "loader/parquet/parquet_error.h"
#include "loader/parquet/thrift_compact.h"

namespace pgload::parquet {
namespace {

// Reads the fields of a struct: `on(id, type)` returns true when it consumed the field, else it is skipped. A
// field of an unexpected type is skipped too, so a known id with a foreign type never reads wrongly.
template <class F>
void read_struct(CompactReader& r, F&& on) {
  r.begin_struct();
  int16_t id;
  TType t;
  while (r.next_field(id, t))
    if (!on(id, t)) r.skip(t);
  r.end_struct();
}

bool is_int(TType t) { return t == TType::I32 || t == TType::I16 || t == TType::Byte; }
bool is_bool(TType t) { return t == TType::True || t == TType::False; }

int32_t small_int(CompactReader& r, TType t) {
  if (t == TType::Byte) return r.read_i8();
  return r.read_i32();
}

TimeUnit read_time_unit(CompactReader& r) {
  TimeUnit u = TimeUnit::Micros;
  read_struct(r, [&](int16_t id, TType t) {
    if (t != TType::Struct) return false;
    u = id == 1 ? TimeUnit::Millis : id == 3 ? TimeUnit::Nanos : TimeUnit::Micros;
    r.skip(t);
    return true;
  });
  return u;
}

void read_logical_type(CompactReader& r, SchemaElement& e) {
  read_struct(r, [&](int16_t id, TType t) {
    if (t != TType::Struct) return false;
    switch (id) {
      case 1:
        e.logical = Logical::String;
        break;
      case 4:
        e.logical = Logical::String;
        e.is_enum = true;
        break;
      case 5:
        e.logical = Logical::Decimal;
        read_struct(r, [&](int16_t f, TType ft) {
          if (!is_int(ft) || (f != 1 && f != 2)) return false;
          (f == 1 ? e.scale : e.precision) = small_int(r, ft);
          return true;
        });
        return true;
      case 2:
        e.logical = Logical::Map;
        break;
      case 3:
        e.logical = Logical::List;
        break;
      case 6:
        e.logical = Logical::Date;
        break;
      case 7:
      case 8:
        e.logical = id == 7 ? Logical::Time : Logical::Timestamp;
        read_struct(r, [&](int16_t f, TType ft) {
          if (f == 1 && is_bool(ft)) {
            e.utc = r.read_bool(ft);
            return true;
          }
          if (f == 2 && ft == TType::Struct) {
            e.unit = read_time_unit(r);
            return true;
          }
          return false;
        });
        return true;
      case 10:
        e.logical = Logical::Integer;
        read_struct(r, [&](int16_t f, TType ft) {
          if (f == 1 && is_int(ft)) {
            e.int_bits = small_int(r, ft);
            return true;
          }
          if (f == 2 && is_bool(ft)) {
            e.int_signed = r.read_bool(ft);
            return true;
          }
          return false;
        });
        return true;
      case 11:
        e.logical = Logical::None;  // UNKNOWN: always null
        break;
      case 12:
        e.logical = Logical::Json;
        break;
      case 13:
        e.logical = Logical::Bson;
        break;
      case 14:
        e.logical = Logical::Uuid;
        break;
      case 15:
        e.logical = Logical::Float16;
        break;
      default:
        e.logical = Logical::Other;
        break;
    }
    r.skip(t);
    return true;
  });
}

// ConvertedType, for files without a LogicalType (a LogicalType, when present, wins).
void apply_converted(SchemaElement& e, int32_t ct) {
  switch (ct) {
    case 0:
      e.logical = Logical::String;
      return;
    case 4:
      e.logical = Logical::String;
      e.is_enum = true;
      return;
    case 5:
      e.logical = Logical::Decimal;
      return;
    case 6:
      e.logical = Logical::Date;
      return;
    case 7:
    case 8:
      e.logical = Logical::Time;
      e.unit = ct == 7 ? TimeUnit::Millis : TimeUnit::Micros;
      e.utc = true;
      return;
    case 9:
    case 10:
      e.logical = Logical::Timestamp;
      e.unit = ct == 9 ? TimeUnit::Millis : TimeUnit::Micros;
      e.utc = true;
      return;
    case 11:
    case 12:
    case 13:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18: {
      static constexpr int32_t kBits[] = {8, 16, 32, 64};
      e.logical = Logical::Integer;
      e.int_signed = ct >= 15;
      e.int_bits = kBits[(ct - (ct >= 15 ? 15 : 11)) & 3];
      return;
    }
    case 1:
    case 2:
      e.logical = Logical::Map;  // MAP, MAP_KEY_VALUE
      return;
    case 3:
      e.logical = Logical::List;
      return;
    case 19:
      e.logical = Logical::Json;
      return;
    case 20:
      e.logical = Logical::Bson;
      return;
    default:
      e.logical = Logical::Other;  // INTERVAL
      return;
  }
}

SchemaElement read_schema_element(CompactReader& r) {
  SchemaElement e;
  std::optional<int32_t> converted;
  bool has_logical = false;
  int32_t scale = 0, precision = 0;
  read_struct(r, [&](int16_t id, TType t) {
    if (id == 4 && t == TType::Binary) {
      e.name = std::string(r.read_binary());
      return true;
    }
    if (id == 10 && t == TType::Struct) {
      has_logical = true;
      read_logical_type(r, e);
      return true;
    }
    if (!is_int(t)) return false;
    int32_t v = small_int(r, t);
    switch (id) {
      case 1:
        if (v < 0 || v > 7) throw ParquetError("schema element has an unknown physical type " + std::to_string(v));
        e.type = static_cast<Physical>(v);
        break;
      case 2:
        e.type_length = v;
        break;
      case 3:
        e.repetition = v;
        break;
      case 5:
        e.num_children = v;
        break;
      case 6:
        converted = v;
        break;
      case 7:
        scale = v;
        break;
      case 8:
        precision = v;
        break;
      default:
        break;
    }
    return true;
  });
  if (!has_logical && converted) {
    apply_converted(e, *converted);
    if (e.logical == Logical::Decimal) {
      e.scale = scale;
      e.precision = precision;
    }
  }
  if (has_logical && e.logical == Logical::Decimal && e.precision == 0) {
    e.scale = scale;
    e.precision = precision;
  }
  return e;
}

ColumnMeta read_column_meta(CompactReader& r) {
  ColumnMeta m;
  read_struct(r, [&](int16_t id, TType t) {
    switch (id) {
      case 1:
        if (!is_int(t)) return false;
        {
          int32_t v = small_int(r, t);
          if (v < 0 || v > 7) throw ParquetError("column chunk has an unknown physical type " + std::to_string(v));
          m.type = static_cast<Physical>(v);
        }
        return true;
      case 3: {
        if (t != TType::List) return false;
        TType el;
        uint32_t n = r.read_list_header(el);
        for (uint32_t i = 0; i < n; ++i) {
          if (el != TType::Binary) {
            r.skip(el);
            continue;
          }
          m.path.emplace_back(r.read_binary());
        }
        return true;
      }
      case 4:
        if (!is_int(t)) return false;
        m.codec = static_cast<Codec>(small_int(r, t));
        return true;
      case 5:
        if (t != TType::I64) return false;
        m.num_values = r.read_i64();
        return true;
      case 7:
        if (t != TType::I64) return false;
        m.total_compressed_size = r.read_i64();
        return true;
      case 9:
        if (t != TType::I64) return false;
        m.data_page_offset = r.read_i64();
        return true;
      case 11:
        if (t != TType::I64) return false;
        m.dictionary_page_offset = r.read_i64();
        return true;
      default:
        return false;
    }
  });
  return m;
}

ColumnMeta read_column_chunk(CompactReader& r) {
  ColumnMeta m;
  bool has_meta = false, external = false;
  read_struct(r, [&](int16_t id, TType t) {
    if (id == 1 && t == TType::Binary) {
      external = !r.read_binary().empty();
      return true;
    }
    if (id == 3 && t == TType::Struct) {
      m = read_column_meta(r);
      has_meta = true;
      return true;
    }
    if (id == 8 || id == 9) throw ParquetError("encrypted column chunks are not supported");
    return false;
  });
  if (!has_meta) throw ParquetError("a column chunk has no ColumnMetaData");
  m.external = external;
  return m;
}

RowGroupMeta read_row_group(CompactReader& r) {
  RowGroupMeta g;
  read_struct(r, [&](int16_t id, TType t) {
    if (id == 1 && t == TType::List) {
      TType el;
      uint32_t n = r.read_list_header(el);
      if (el != TType::Struct) throw ParquetError("row group columns are not structs");
      g.columns.reserve(n);
      for (uint32_t i = 0; i < n; ++i) g.columns.push_back(read_column_chunk(r));
      return true;
    }
    if (t != TType::I64) return false;
    if (id == 3)
      g.num_rows = r.read_i64();
    else if (id == 6)
      g.total_compressed_size = r.read_i64();
    else
      return false;
    return true;
  });
  return g;
}

}  // namespace

FileMeta parse_file_meta(const uint8_t* data, size_t size) {
  CompactReader r(data, size);
  FileMeta f;
  bool has_schema = false;
  read_struct(r, [&](int16_t id, TType t) {
    if ((id == 2 || id == 4) && t == TType::List) {
      TType el;
      uint32_t n = r.read_list_header(el);
      if (el != TType::Struct) throw ParquetError("file metadata lists are not structs");
      for (uint32_t i = 0; i < n; ++i) {
        if (id == 2)
          f.schema.push_back(read_schema_element(r));
        else
          f.row_groups.push_back(read_row_group(r));
      }
      has_schema = has_schema || id == 2;
      return true;
    }
    if (id == 3 && t == TType::I64) {
      f.num_rows = r.read_i64();
      return true;
    }
    if (id == 6 && t == TType::Binary) {
      f.created_by = std::string(r.read_binary());
      return true;
    }
    if (id == 8) throw ParquetError("encrypted Parquet files are not supported");
    return false;
  });
  if (!has_schema || f.schema.empty()) throw ParquetError("file metadata has no schema");
  return f;
}

std::vector<LeafColumn> leaf_columns(const FileMeta& meta) {
  std::vector<LeafColumn> leaves;
  const auto& s = meta.schema;
  // Walks the depth-first list with an explicit stack of (children left, def, rep, top-level name, path).
  struct Frame {
    int32_t left;
    int16_t def, rep;
    std::string top, path;
    bool nested;
    int top_index;
  };
  int tops = 0;
  std::vector<Frame> stack;
  if (s[0].num_children < 0) throw ParquetError("schema root has a negative child count");
  stack.push_back({s[0].num_children, 0, 0, "", "", false, -1});
  size_t i = 1;
  while (!stack.empty()) {
    if (stack.back().left == 0) {
      stack.pop_back();
      continue;
    }
    if (i >= s.size()) throw ParquetError("schema tree names more children than the schema holds");
    if (stack.size() > 64) throw ParquetError("schema nests more than 64 deep");
    --stack.back().left;
    const Frame parent = stack.back();
    const SchemaElement& e = s[i++];
    if (e.repetition < 0 || e.repetition > 2)
      throw ParquetError("schema element \"" + e.name + "\" has a bad repetition");
    Frame f{e.num_children,
            static_cast<int16_t>(parent.def + (e.repetition != 0 ? 1 : 0)),
            static_cast<int16_t>(parent.rep + (e.repetition == 2 ? 1 : 0)),
            parent.top.empty() ? e.name : parent.top,
            parent.path.empty() ? e.name : parent.path + "." + e.name,
            parent.nested || stack.size() > 1 || e.repetition == 2,
            stack.size() == 1 ? tops++ : parent.top_index};
    if (e.num_children < 0) throw ParquetError("schema element \"" + e.name + "\" has a negative child count");
    if (e.num_children > 0) {
      stack.push_back(std::move(f));
      continue;
    }
    if (!e.type) throw ParquetError("schema leaf \"" + f.path + "\" has no physical type");
    if (*e.type == Physical::FixedLenByteArray && (e.type_length <= 0 || e.type_length > (1 << 20)))
      throw ParquetError("schema leaf \"" + f.path + "\" has a bad fixed length " + std::to_string(e.type_length));
    leaves.push_back({f.top, f.path, e, f.def, f.rep, f.nested, f.top_index});
  }
  if (i != s.size()) throw ParquetError("schema holds elements outside the tree");
  return leaves;
}

PageHeader parse_page_header(const uint8_t* data, size_t size, size_t& header_bytes) {
  CompactReader r(data, size);
  PageHeader h;
  auto i32 = [&](TType t, int32_t& out) {
    if (!is_int(t)) return false;
    out = small_int(r, t);
    return true;
  };
  auto encoding = [&](TType t, Encoding& out) {
    int32_t v;
    if (!i32(t, v)) return false;
    out = static_cast<Encoding>(v);
    return true;
  };
  read_struct(r, [&](int16_t id, TType t) {
    int32_t v;
    switch (id) {
      case 1:
        if (!i32(t, v)) return false;
        h.type = static_cast<PageType>(v);
        return true;
      case 2:
        return i32(t, h.uncompressed_size);
      case 3:
        return i32(t, h.compressed_size);
      case 5:
        if (t != TType::Struct) return false;
        h.has_data = true;
        read_struct(r, [&](int16_t f, TType ft) {
          if (f == 1) return i32(ft, h.num_values);
          if (f == 2) return encoding(ft, h.encoding);
          if (f == 3) return encoding(ft, h.def_encoding);
          return false;
        });
        return true;
      case 7:
        if (t != TType::Struct) return false;
        h.has_dict = true;
        read_struct(r, [&](int16_t f, TType ft) {
          if (f == 1) return i32(ft, h.num_values);
          if (f == 2) return encoding(ft, h.encoding);
          return false;
        });
        return true;
      case 8:
        if (t != TType::Struct) return false;
        h.has_v2 = true;
        read_struct(r, [&](int16_t f, TType ft) {
          switch (f) {
            case 1:
              return i32(ft, h.num_values);
            case 2:
              return i32(ft, h.num_nulls);
            case 3:
              return i32(ft, h.num_rows);
            case 4:
              return encoding(ft, h.encoding);
            case 5:
              return i32(ft, h.def_bytes);
            case 6:
              return i32(ft, h.rep_bytes);
            case 7:
              if (!is_bool(ft)) return false;
              h.v2_compressed = r.read_bool(ft);
              return true;
            default:
              return false;
          }
        });
        return true;
      default:
        return false;
    }
  });
  header_bytes = r.position();
  if (h.uncompressed_size < 0 || h.compressed_size < 0 || h.num_values < 0)
    throw ParquetError("page header holds a negative size or count");
  return h;
}

const char* codec_name(Codec c) noexcept {
  switch (c) {
    case Codec::Uncompressed:
      return "UNCOMPRESSED";
    case Codec::Snappy:
      return "SNAPPY";
    case Codec::Gzip:
      return "GZIP";
    case Codec::Lzo:
      return "LZO";
    case Codec::Brotli:
      return "BROTLI";
    case Codec::Lz4:
      return "LZ4";
    case Codec::Zstd:
      return "ZSTD";
    case Codec::Lz4Raw:
      return "LZ4_RAW";
  }
  return "unknown codec";
}

const char* encoding_name(Encoding e) noexcept {
  switch (e) {
    case Encoding::Plain:
      return "PLAIN";
    case Encoding::PlainDictionary:
      return "PLAIN_DICTIONARY";
    case Encoding::Rle:
      return "RLE";
    case Encoding::BitPacked:
      return "BIT_PACKED";
    case Encoding::DeltaBinaryPacked:
      return "DELTA_BINARY_PACKED";
    case Encoding::DeltaLengthByteArray:
      return "DELTA_LENGTH_BYTE_ARRAY";
    case Encoding::DeltaByteArray:
      return "DELTA_BYTE_ARRAY";
    case Encoding::RleDictionary:
      return "RLE_DICTIONARY";
    case Encoding::ByteStreamSplit:
      return "BYTE_STREAM_SPLIT";
  }
  return "unknown encoding";
}

const char* physical_name(Physical p) noexcept {
  static constexpr const char* kNames[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                           "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  auto i = static_cast<size_t>(p);
  return i < 8 ? kNames[i] : "unknown type";
}

}  // namespace pgload::parquet
