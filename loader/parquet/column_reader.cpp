#include "loader/parquet/column_reader.h"

#include <cstring>

#include "loader/parquet/codecs.h"
#include "loader/parquet/encodings.h"
#include "loader/parquet/parquet_error.h"

namespace pgload::parquet {
namespace {

// A dictionary page's values, in the vectors of ColumnValues.
struct Dictionary {
  bool present = false;
  std::vector<int64_t> ints;
  std::vector<double> reals;
  std::vector<std::string_view> bytes;
  size_t size() const { return ints.size() + reals.size() + bytes.size(); }
};

enum class Slot { Ints, Reals, Bytes };

Slot slot_of(Physical t) {
  switch (t) {
    case Physical::Boolean:
    case Physical::Int32:
    case Physical::Int64:
      return Slot::Ints;
    case Physical::Float:
    case Physical::Double:
      return Slot::Reals;
    default:
      return Slot::Bytes;
  }
}

size_t fixed_width(const LeafColumn& leaf) {
  switch (*leaf.element.type) {
    case Physical::Int32:
    case Physical::Float:
      return 4;
    case Physical::Int64:
    case Physical::Double:
      return 8;
    case Physical::Int96:
      return 12;
    case Physical::FixedLenByteArray:
      return static_cast<size_t>(leaf.element.type_length);
    default:
      return 0;
  }
}

[[noreturn]] void short_values(const char* enc) {
  throw ParquetError(std::string(enc) + " values end before the page's value count");
}

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// PLAIN values of the leaf's physical type.
void decode_plain(const uint8_t* data, size_t size, size_t n, const LeafColumn& leaf, std::vector<int64_t>& ints,
                  std::vector<double>& reals, std::vector<std::string_view>& bytes) {
  const Physical t = *leaf.element.type;
  if (t == Physical::Boolean) {
    if (n > size * 8) short_values("PLAIN");
    for (size_t i = 0; i < n; ++i) ints.push_back((data[i >> 3] >> (i & 7)) & 1);
    return;
  }
  if (t == Physical::ByteArray) {
    size_t pos = 0;
    for (size_t i = 0; i < n; ++i) {
      if (size - pos < 4) short_values("PLAIN");
      const auto len = load<uint32_t>(data + pos);
      pos += 4;
      if (len > size - pos) short_values("PLAIN");
      bytes.emplace_back(reinterpret_cast<const char*>(data + pos), len);
      pos += len;
    }
    return;
  }
  const size_t w = fixed_width(leaf);
  if (n > size / w) short_values("PLAIN");
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = data + i * w;
    switch (t) {
      case Physical::Int32:
        ints.push_back(load<int32_t>(p));
        break;
      case Physical::Int64:
        ints.push_back(load<int64_t>(p));
        break;
      case Physical::Float:
        reals.push_back(load<float>(p));
        break;
      case Physical::Double:
        reals.push_back(load<double>(p));
        break;
      default:
        bytes.emplace_back(reinterpret_cast<const char*>(p), w);
        break;
    }
  }
}

// Values of a data page in `enc` (non-null ones only: n of them) appended to out.
void decode_values(Encoding enc, const uint8_t* data, size_t size, size_t n, const LeafColumn& leaf,
                   const Dictionary& dict, ColumnValues& out) {
  const Physical t = *leaf.element.type;
  switch (enc) {
    case Encoding::Plain:
      decode_plain(data, size, n, leaf, out.ints, out.reals, out.bytes);
      return;
    case Encoding::PlainDictionary:
    case Encoding::RleDictionary: {
      if (!dict.present) throw ParquetError("dictionary-encoded page without a dictionary page");
      if (n == 0) return;
      if (size < 1) short_values(encoding_name(enc));
      RleDecoder rle(data + 1, size - 1, data[0]);
      std::vector<uint32_t> idx(n);
      rle.get(idx.data(), n);
      const size_t dsize = dict.size();
      for (uint32_t k : idx)
        if (k >= dsize)
          throw ParquetError("dictionary index " + std::to_string(k) + " is past the dictionary's " +
                             std::to_string(dsize) + " values");
      switch (slot_of(t)) {
        case Slot::Ints:
          for (uint32_t k : idx) out.ints.push_back(dict.ints[k]);
          break;
        case Slot::Reals:
          for (uint32_t k : idx) out.reals.push_back(dict.reals[k]);
          break;
        case Slot::Bytes:
          for (uint32_t k : idx) out.bytes.push_back(dict.bytes[k]);
          break;
      }
      return;
    }
    case Encoding::Rle: {
      if (t != Physical::Boolean) break;
      if (size < 4) short_values("RLE");
      const auto len = load<uint32_t>(data);
      if (len > size - 4) short_values("RLE");
      RleDecoder rle(data + 4, len, 1);
      std::vector<uint32_t> v(n);
      rle.get(v.data(), n);
      for (uint32_t b : v) out.ints.push_back(b);
      return;
    }
    case Encoding::DeltaBinaryPacked: {
      if (t != Physical::Int32 && t != Physical::Int64) break;
      const size_t base = out.ints.size();
      decode_delta_binary(data, size, n, out.ints);
      if (t == Physical::Int32)
        for (size_t i = base; i < out.ints.size(); ++i) out.ints[i] = static_cast<int32_t>(out.ints[i]);
      return;
    }
    case Encoding::DeltaLengthByteArray:
      if (t != Physical::ByteArray) break;
      decode_delta_length(data, size, n, out.bytes);
      return;
    case Encoding::DeltaByteArray: {
      if (t != Physical::ByteArray && t != Physical::FixedLenByteArray) break;
      const size_t base = out.bytes.size();
      decode_delta_byte_array(data, size, n, out.bytes, out.buffers);
      if (t == Physical::FixedLenByteArray)
        for (size_t i = base; i < out.bytes.size(); ++i)
          if (out.bytes[i].size() != static_cast<size_t>(leaf.element.type_length))
            throw ParquetError("DELTA_BYTE_ARRAY value of a FIXED_LEN_BYTE_ARRAY column has the wrong length");
      return;
    }
    case Encoding::ByteStreamSplit: {
      const size_t w = fixed_width(leaf);
      if (w == 0) break;
      std::string& buf = out.buffers.emplace_back(n * w, '\0');
      decode_byte_stream_split(data, size, n, w, reinterpret_cast<uint8_t*>(buf.data()));
      decode_plain(reinterpret_cast<const uint8_t*>(buf.data()), buf.size(), n, leaf, out.ints, out.reals, out.bytes);
      return;
    }
    default:
      break;
  }
  throw ParquetError(std::string("encoding ") + encoding_name(enc) + " is not supported for " + physical_name(t) +
                     " values");
}

int bit_width(int v) {
  int w = 0;
  while (v >> w) ++w;
  return w;
}

// Definition levels of a flat optional column into out.defined; returns the count of non-null rows.
size_t read_def_levels(const uint8_t* data, size_t size, size_t n, const LeafColumn& leaf, ColumnValues& out) {
  RleDecoder rle(data, size, bit_width(leaf.max_def));
  std::vector<uint32_t> levels(n);
  rle.get(levels.data(), n);
  size_t present = 0;
  for (uint32_t l : levels) {
    if (l > static_cast<uint32_t>(leaf.max_def)) throw ParquetError("definition level above the column's maximum");
    const bool d = l == static_cast<uint32_t>(leaf.max_def);
    out.defined.push_back(d);
    present += d;
  }
  return present;
}

// Levels of a nested leaf (n entries, each at most max) appended to out; returns how many equal max.
size_t read_levels(const uint8_t* data, size_t size, size_t n, int max, std::vector<uint8_t>& out) {
  RleDecoder rle(data, size, bit_width(max));
  std::vector<uint32_t> levels(n);
  rle.get(levels.data(), n);
  size_t at_max = 0;
  for (uint32_t l : levels) {
    if (l > static_cast<uint32_t>(max))
      throw ParquetError("level " + std::to_string(l) + " above the column's maximum");
    out.push_back(static_cast<uint8_t>(l));
    at_max += l == static_cast<uint32_t>(max);
  }
  return at_max;
}

// A v1 page's level block: a 4-byte length, then RLE/bit-packed levels; advances data past it.
size_t read_v1_levels(const uint8_t*& data, size_t& size, size_t n, int max, std::vector<uint8_t>& out) {
  if (size < 4) throw ParquetError("levels are truncated");
  uint32_t len;
  std::memcpy(&len, data, 4);
  if (len > size - 4) throw ParquetError("levels run past the page");
  const size_t at_max = read_levels(data + 4, len, n, max, out);
  data += 4 + len;
  size -= 4 + len;
  return at_max;
}

}  // namespace

void ColumnValues::clear() {
  defined.clear();
  def_levels.clear();
  rep_levels.clear();
  ints.clear();
  reals.clear();
  bytes.clear();
  buffers.clear();
}

void read_column_chunk(const uint8_t* chunk, size_t size, const LeafColumn& leaf, const ColumnMeta& meta, int64_t rows,
                       ColumnValues& out) {
  out.clear();
  if (rows < 0 || rows > kMaxRowGroupRows)
    throw ParquetError("row group declares " + std::to_string(rows) + " rows (at most " +
                       std::to_string(kMaxRowGroupRows) + " are read)");
  if (!codec_supported(meta.codec))
    throw ParquetError(std::string("compression codec ") + codec_name(meta.codec) + " is not supported");
  if (meta.type != *leaf.element.type) throw ParquetError("column chunk's physical type differs from the schema's");
  const bool optional = leaf.max_def > 0;
  // A nested leaf's pages hold level entries, not rows (a row may even continue on the next page): it reads until
  // the chunk's declared value count, then checks that the entries starting a row match the row count.
  const bool nested = leaf.nested;
  if (nested && (meta.num_values < 0 || meta.num_values > kMaxLevelEntries))
    throw ParquetError("column chunk declares " + std::to_string(meta.num_values) + " values (at most " +
                       std::to_string(kMaxLevelEntries) + " are read for a nested column)");
  Dictionary dict;
  int64_t done = 0;     // rows (flat) or level entries (nested) read
  int64_t started = 0;  // nested: entries that start a row
  const int64_t want = nested ? meta.num_values : rows;
  size_t pos = 0;
  for (int page = 0; done < want; ++page) {
    try {
      if (pos >= size)
        throw ParquetError(
            "the column chunk ends after " + std::to_string(done) + " of the " +
            (nested ? "chunk's " + std::to_string(want) + " values" : "row group's " + std::to_string(rows) + " rows"));
      size_t header_bytes = 0;
      const PageHeader h = parse_page_header(chunk + pos, size - pos, header_bytes);
      pos += header_bytes;
      if (static_cast<size_t>(h.compressed_size) > size - pos)
        throw ParquetError("page of " + std::to_string(h.compressed_size) + " bytes runs past its column chunk");
      const uint8_t* payload = chunk + pos;
      pos += static_cast<size_t>(h.compressed_size);
      if (h.uncompressed_size > kMaxPageBytes)
        throw ParquetError("page declares " + std::to_string(h.uncompressed_size) + " uncompressed bytes (at most " +
                           std::to_string(kMaxPageBytes) + ")");
      if (h.type == PageType::Index) continue;
      if (h.type == PageType::Dictionary) {
        if (!h.has_dict) throw ParquetError("dictionary page without its header");
        if (dict.present || done > 0) throw ParquetError("a second dictionary page, or one after data pages");
        if (h.encoding != Encoding::Plain && h.encoding != Encoding::PlainDictionary)
          throw ParquetError(std::string("dictionary page in ") + encoding_name(h.encoding));
        std::string& buf = out.buffers.emplace_back(static_cast<size_t>(h.uncompressed_size), '\0');
        decompress(meta.codec, payload, static_cast<size_t>(h.compressed_size), reinterpret_cast<uint8_t*>(buf.data()),
                   buf.size());
        decode_plain(reinterpret_cast<const uint8_t*>(buf.data()), buf.size(), static_cast<size_t>(h.num_values), leaf,
                     dict.ints, dict.reals, dict.bytes);
        dict.present = true;
        continue;
      }
      if (h.type != PageType::Data && h.type != PageType::DataV2)
        throw ParquetError("unknown page type " + std::to_string(static_cast<int>(h.type)));
      const bool v2 = h.type == PageType::DataV2;
      if (v2 ? !h.has_v2 : !h.has_data) throw ParquetError("data page without its header");
      const auto n = static_cast<size_t>(h.num_values);
      if (static_cast<int64_t>(n) > want - done)
        throw ParquetError("page holds " + std::to_string(n) + " values, more than the " + std::to_string(want - done) +
                           (nested ? " left in the column chunk" : " rows left in the row group"));
      if (n == 0) throw ParquetError("data page with no values");
      const uint8_t* data;
      size_t data_size;
      size_t present = n;
      if (!v2) {
        std::string& buf = out.buffers.emplace_back(static_cast<size_t>(h.uncompressed_size), '\0');
        decompress(meta.codec, payload, static_cast<size_t>(h.compressed_size), reinterpret_cast<uint8_t*>(buf.data()),
                   buf.size());
        data = reinterpret_cast<const uint8_t*>(buf.data());
        data_size = buf.size();
        if (nested) {
          if (h.def_encoding != Encoding::Rle)
            throw ParquetError(std::string("definition levels in ") + encoding_name(h.def_encoding));
          if (leaf.max_rep > 0) read_v1_levels(data, data_size, n, leaf.max_rep, out.rep_levels);
          if (optional) {
            present = read_v1_levels(data, data_size, n, leaf.max_def, out.def_levels);
          } else {
            out.def_levels.resize(out.def_levels.size() + n, 0);
          }
        } else if (optional) {
          if (h.def_encoding != Encoding::Rle)
            throw ParquetError(std::string("definition levels in ") + encoding_name(h.def_encoding));
          if (data_size < 4) throw ParquetError("definition levels are truncated");
          uint32_t len;
          std::memcpy(&len, data, 4);
          if (len > data_size - 4) throw ParquetError("definition levels run past the page");
          present = read_def_levels(data + 4, len, n, leaf, out);
          data += 4 + len;
          data_size -= 4 + len;
        }
      } else {
        if (h.rep_bytes != 0 && leaf.max_rep == 0)
          throw ParquetError("repetition levels in a column that repeats nowhere");
        if (h.rep_bytes < 0 || h.def_bytes < 0) throw ParquetError("negative level lengths");
        const auto rep_bytes = static_cast<size_t>(h.rep_bytes);
        const size_t levels = rep_bytes + static_cast<size_t>(h.def_bytes);
        if (levels > static_cast<size_t>(h.compressed_size) || levels > static_cast<size_t>(h.uncompressed_size))
          throw ParquetError("definition levels run past the page");
        if (nested) {
          if (leaf.max_rep > 0) read_levels(payload, rep_bytes, n, leaf.max_rep, out.rep_levels);
          if (optional) {
            present = read_levels(payload + rep_bytes, levels - rep_bytes, n, leaf.max_def, out.def_levels);
          } else if (levels != rep_bytes) {
            throw ParquetError("definition levels in a required column");
          } else {
            out.def_levels.resize(out.def_levels.size() + n, 0);
          }
        } else if (optional) {
          present = read_def_levels(payload, levels, n, leaf, out);
        } else if (levels != 0) {
          throw ParquetError("definition levels in a required column");
        }
        const size_t in = static_cast<size_t>(h.compressed_size) - levels;
        const size_t want = static_cast<size_t>(h.uncompressed_size) - levels;
        std::string& buf = out.buffers.emplace_back(want, '\0');
        decompress(h.v2_compressed ? meta.codec : Codec::Uncompressed, payload + levels, in,
                   reinterpret_cast<uint8_t*>(buf.data()), want);
        data = reinterpret_cast<const uint8_t*>(buf.data());
        data_size = want;
      }
      decode_values(h.encoding, data, data_size, present, leaf, dict, out);
      done += static_cast<int64_t>(n);
      if (nested) {
        if (leaf.max_rep == 0) {
          started += static_cast<int64_t>(n);
        } else {
          for (size_t k = out.rep_levels.size() - n; k < out.rep_levels.size(); ++k) started += out.rep_levels[k] == 0;
        }
        if (done == static_cast<int64_t>(n) && leaf.max_rep > 0 && out.rep_levels[0] != 0)
          throw ParquetError("the column chunk's first value continues a row (repetition level not 0)");
      }
    } catch (const ParquetError& e) {
      throw ParquetError("page " + std::to_string(page) + ": " + e.what());
    }
  }
  if (nested && started != rows)
    throw ParquetError("the column chunk holds " + std::to_string(started) + " rows, the row group " +
                       std::to_string(rows));
}

}  // namespace pgload::parquet
