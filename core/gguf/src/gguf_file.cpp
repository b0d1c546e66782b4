#include "rmlx/gguf/gguf_file.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "rmlx/snapshot/error.h"

namespace rmlx::gguf {

using nlohmann::json;

std::uint64_t GgufTensor::numel() const {
  std::uint64_t n = 1;
  for (auto d : ne) n *= d;
  return n;
}

std::vector<std::int64_t> GgufTensor::shape() const {
  std::vector<std::int64_t> s;
  for (auto it = ne.rbegin(); it != ne.rend(); ++it) s.push_back(static_cast<std::int64_t>(*it));
  return s;
}

namespace {

enum ValueType : std::uint32_t {
  kU8 = 0,
  kI8,
  kU16,
  kI16,
  kU32,
  kI32,
  kF32,
  kBool,
  kString,
  kArray,
  kU64,
  kI64,
  kF64
};

constexpr std::uint64_t kMaxStringBytes = 1ull << 30;
constexpr std::uint32_t kMaxDims = 4;

// Bounds-checked little-endian reader over the file image.
class Cursor {
 public:
  Cursor(const std::uint8_t* p, std::size_t n, const std::string& origin)
      : p_(p), n_(n), origin_(origin) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw GgufError(origin_ + ": " + what + " (at byte " + std::to_string(pos_) + ")");
  }
  void need(std::uint64_t k, const std::string& what) const {
    if (k > n_ - pos_) fail("truncated " + what);
  }
  template <typename T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string string(const std::string& what) {
    const auto len = read<std::uint64_t>(what);
    if (len > kMaxStringBytes) fail(what + " length " + std::to_string(len) + " is implausible");
    need(len, what);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), static_cast<std::size_t>(len));
    pos_ += static_cast<std::size_t>(len);
    return s;
  }
  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return n_ - pos_; }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t pos_ = 0;
  const std::string& origin_;
};

std::uint64_t min_size(std::uint32_t type) {
  switch (type) {
    case kU8:
    case kI8:
    case kBool:
      return 1;
    case kU16:
    case kI16:
      return 2;
    case kU32:
    case kI32:
    case kF32:
      return 4;
    case kU64:
    case kI64:
    case kF64:
    case kString:
      return 8;
    case kArray:
      return 12;
  }
  return 1;
}

json read_value(Cursor& c, std::uint32_t type, const std::string& key, int depth) {
  const std::string what = "value of '" + key + "'";
  switch (type) {
    case kU8:
      return c.read<std::uint8_t>(what);
    case kI8:
      return c.read<std::int8_t>(what);
    case kU16:
      return c.read<std::uint16_t>(what);
    case kI16:
      return c.read<std::int16_t>(what);
    case kU32:
      return c.read<std::uint32_t>(what);
    case kI32:
      return c.read<std::int32_t>(what);
    case kF32:
      return static_cast<double>(c.read<float>(what));
    case kBool: {
      const auto b = c.read<std::uint8_t>(what);
      if (b > 1) c.fail("'" + key + "': bool value " + std::to_string(b) + " is not 0 or 1");
      return b != 0;
    }
    case kString:
      return c.string(what);
    case kU64:
      return c.read<std::uint64_t>(what);
    case kI64:
      return c.read<std::int64_t>(what);
    case kF64:
      return c.read<double>(what);
    case kArray: {
      if (depth > 2) c.fail("'" + key + "': arrays nested too deeply");
      const auto elem = c.read<std::uint32_t>(what);
      const auto count = c.read<std::uint64_t>(what);
      if (elem > kF64) c.fail("'" + key + "': unknown array element type " + std::to_string(elem));
      if (count > c.remaining() / min_size(elem)) {
        c.fail("'" + key + "': array of " + std::to_string(count) + " elements runs past the end");
      }
      json arr = json::array();
      arr.get_ref<json::array_t&>().reserve(static_cast<std::size_t>(count));
      for (std::uint64_t i = 0; i < count; ++i) arr.push_back(read_value(c, elem, key, depth + 1));
      return arr;
    }
    default:
      c.fail("'" + key + "': unknown value type " + std::to_string(type));
  }
}

}  // namespace

GgufContents parse_gguf(const std::uint8_t* bytes, std::size_t size, const std::string& origin) {
  Cursor c(bytes, size, origin);
  GgufContents g;
  if (size < 4 || std::memcmp(bytes, "GGUF", 4) != 0) {
    throw GgufError(origin + ": not a GGUF file (magic is not 'GGUF')");
  }
  c.read<std::uint32_t>("magic");
  g.version = c.read<std::uint32_t>("version");
  if (g.version != 2 && g.version != 3) {
    throw GgufError(origin + ": GGUF version " + std::to_string(g.version) +
                    " is not supported (2 or 3)");
  }
  const auto n_tensors = c.read<std::uint64_t>("tensor count");
  const auto n_kv = c.read<std::uint64_t>("metadata count");
  if (n_kv > c.remaining() / 13)
    c.fail("metadata count " + std::to_string(n_kv) + " is implausible");
  for (std::uint64_t i = 0; i < n_kv; ++i) {
    auto key = c.string("metadata key");
    const auto type = c.read<std::uint32_t>("type of '" + key + "'");
    if (g.metadata.count(key)) c.fail("duplicate metadata key '" + key + "'");
    g.metadata[key] = read_value(c, type, key, 0);
    g.metadata_types[key] = type;
  }
  if (auto it = g.metadata.find("general.alignment"); it != g.metadata.end()) {
    const auto& a = it->second;
    if (!a.is_number_unsigned() || a.get<std::uint64_t>() == 0 || a.get<std::uint64_t>() > 65536 ||
        (a.get<std::uint64_t>() & (a.get<std::uint64_t>() - 1)) != 0) {
      throw GgufError(origin + ": general.alignment " + a.dump() + " is not a power of two");
    }
    g.alignment = static_cast<std::uint32_t>(a.get<std::uint64_t>());
  }
  if (n_tensors > c.remaining() / 24) {
    c.fail("tensor count " + std::to_string(n_tensors) + " is implausible");
  }
  std::map<std::string, int> seen;
  for (std::uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensor t;
    t.name = c.string("tensor name");
    const std::string where = "tensor '" + t.name + "': ";
    if (seen.count(t.name)) c.fail(where + "duplicate name");
    seen[t.name] = 1;
    const auto n_dims = c.read<std::uint32_t>(where + "dimension count");
    if (n_dims == 0 || n_dims > kMaxDims) {
      c.fail(where + std::to_string(n_dims) + " dimensions (expected 1 to 4)");
    }
    std::uint64_t numel = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const auto v = c.read<std::uint64_t>(where + "dimensions");
      if (v == 0 || v > (1ull << 40) || numel > (1ull << 42) / v) {
        c.fail(where + "dimension " + std::to_string(v) + " is out of range");
      }
      numel *= v;
      t.ne.push_back(v);
    }
    t.type = c.read<std::uint32_t>(where + "type");
    t.offset = c.read<std::uint64_t>(where + "offset");
    auto traits = type_traits(t.type);
    if (!traits) c.fail(where + "unknown ggml type " + std::to_string(t.type));
    if (t.ne[0] % traits->block != 0) {
      c.fail(where + "row of " + std::to_string(t.ne[0]) + " elements is not a whole number of " +
             traits->name + " blocks of " + std::to_string(traits->block));
    }
    t.nbytes = numel / traits->block * traits->bytes;
    if (t.offset % g.alignment != 0) {
      c.fail(where + "offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
             std::to_string(g.alignment));
    }
    g.tensors.push_back(std::move(t));
  }
  const std::uint64_t pad = (g.alignment - c.pos() % g.alignment) % g.alignment;
  g.data_start = c.pos() + pad;
  if (g.data_start > size) {
    throw GgufError(origin + ": data section starts at byte " + std::to_string(g.data_start) +
                    ", past the end of the file (" + std::to_string(size) + " bytes)");
  }
  const std::uint64_t data_size = size - g.data_start;
  std::vector<const GgufTensor*> by_offset;
  for (auto& t : g.tensors) {
    if (t.offset > data_size || t.nbytes > data_size - t.offset) {
      throw GgufError(origin + ": tensor '" + t.name + "': data [" + std::to_string(t.offset) +
                      ", " + std::to_string(t.offset + t.nbytes) +
                      ") runs past the data section (" + std::to_string(data_size) + " bytes)");
    }
    t.data = bytes + g.data_start + t.offset;
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    const auto* prev = by_offset[i - 1];
    const auto* cur = by_offset[i];
    if (cur->offset < prev->offset + prev->nbytes) {
      throw GgufError(origin + ": tensor '" + cur->name + "': data overlaps tensor '" + prev->name +
                      "'");
    }
  }
  return g;
}

GgufFile GgufFile::open(const std::string& path) {
  snapshot::MappedFile map;
  try {
    map = snapshot::MappedFile(path);
  } catch (const snapshot::SnapshotError& e) {
    throw GgufError(e.what());
  }
  auto contents = parse_gguf(map.data(), map.size(), path);
  GgufFile f(std::move(map), std::move(contents));
  for (std::size_t i = 0; i < f.contents_.tensors.size(); ++i)
    f.index_[f.contents_.tensors[i].name] = i;
  return f;
}

const GgufTensor* GgufFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &contents_.tensors[it->second];
}

const json* GgufFile::value(const std::string& key) const {
  auto it = contents_.metadata.find(key);
  return it == contents_.metadata.end() ? nullptr : &it->second;
}

std::string GgufFile::str(const std::string& key) const {
  const json* v = value(key);
  if (v == nullptr) throw GgufError(path() + ": " + key + ": missing");
  if (!v->is_string()) throw GgufError(path() + ": " + key + ": expected a string");
  return v->get<std::string>();
}

std::uint64_t GgufFile::uint(const std::string& key) const {
  const json* v = value(key);
  if (v == nullptr) throw GgufError(path() + ": " + key + ": missing");
  if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<std::int64_t>() >= 0)) {
    throw GgufError(path() + ": " + key + ": expected a non-negative integer, got " + v->dump());
  }
  return v->get<std::uint64_t>();
}

double GgufFile::number(const std::string& key) const {
  const json* v = value(key);
  if (v == nullptr) throw GgufError(path() + ": " + key + ": missing");
  if (!v->is_number())
    throw GgufError(path() + ": " + key + ": expected a number, got " + v->dump());
  return v->get<double>();
}

std::uint64_t GgufFile::uint_or(const std::string& key, std::uint64_t fallback) const {
  return has(key) ? uint(key) : fallback;
}

double GgufFile::number_or(const std::string& key, double fallback) const {
  return has(key) ? number(key) : fallback;
}

bool GgufFile::bool_or(const std::string& key, bool fallback) const {
  const json* v = value(key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean())
    throw GgufError(path() + ": " + key + ": expected a bool, got " + v->dump());
  return v->get<bool>();
}

}  // namespace rmlx::gguf
