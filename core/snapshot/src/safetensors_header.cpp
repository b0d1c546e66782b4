// Header validation follows the reference implementation's rules (and its 100 MB
// limit); every failure names the file and, when there is one, the tensor.
#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "rmlx/snapshot/error.h"
#include "rmlx/snapshot/safetensors.h"

namespace rmlx::snapshot {

std::int64_t TensorInfo::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

namespace {

using nlohmann::json;

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::string range_text(std::uint64_t a, std::uint64_t b) {
  return "[" + std::to_string(a) + ", " + std::to_string(b) + "]";
}

// Returns the value as a non-negative integer, or false.
bool as_count(const json& v, std::uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<std::uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    out = static_cast<std::uint64_t>(v.get<std::int64_t>());
    return true;
  }
  return false;
}

// Parses JSON, rejecting duplicate keys in the top-level object.
json parse_json(std::string_view text, const std::string& origin) {
  std::set<std::string> seen;
  std::string duplicate;
  json::parser_callback_t cb = [&](int depth, json::parse_event_t ev, json& parsed) {
    if (ev == json::parse_event_t::key && depth == 1 && duplicate.empty()) {
      auto key = parsed.get<std::string>();
      if (!seen.insert(key).second) duplicate = key;
    }
    return true;
  };
  json j;
  try {
    j = json::parse(text.begin(), text.end(), cb);
  } catch (const json::parse_error& e) {
    throw SnapshotError(origin + ": header is not valid JSON (at byte " + std::to_string(e.byte) +
                        " of the header)");
  } catch (const json::exception&) {
    // out_of_range: a number too large for a double
    throw SnapshotError(origin + ": header is not valid JSON (a number is out of range)");
  }
  if (!duplicate.empty()) {
    throw SnapshotError(origin + ": tensor '" + duplicate + "': duplicate name in the header");
  }
  return j;
}

TensorInfo parse_entry(const std::string& name, const json& e, const std::string& origin) {
  const std::string where = origin + ": tensor '" + name + "': ";
  if (!e.is_object()) throw SnapshotError(where + "entry is not a JSON object");
  TensorInfo t;
  t.name = name;
  auto dt = e.find("dtype");
  if (dt == e.end()) throw SnapshotError(where + "missing \"dtype\"");
  if (!dt->is_string()) throw SnapshotError(where + "\"dtype\" is not a string");
  auto parsed = sdk::dtype_from_name(dt->get<std::string>());
  if (!parsed) throw SnapshotError(where + "unsupported dtype '" + dt->get<std::string>() + "'");
  t.dtype = *parsed;

  auto sh = e.find("shape");
  if (sh == e.end()) throw SnapshotError(where + "missing \"shape\"");
  if (!sh->is_array()) throw SnapshotError(where + "\"shape\" is not an array");
  // Element count, overflow-checked against the byte count's range.
  std::uint64_t numel = 1;
  bool overflow = false;
  for (const auto& d : *sh) {
    std::uint64_t v = 0;
    if (!as_count(d, v) ||
        v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw SnapshotError(where + "\"shape\" must hold non-negative integers");
    }
    t.shape.push_back(static_cast<std::int64_t>(v));
    if (v != 0 && numel > std::numeric_limits<std::uint64_t>::max() / v) overflow = true;
    numel *= v;
  }
  for (auto v : t.shape) {
    if (v == 0) overflow = false;  // an empty tensor holds no bytes whatever the other dims
  }

  auto off = e.find("data_offsets");
  if (off == e.end()) throw SnapshotError(where + "missing \"data_offsets\"");
  if (!off->is_array() || off->size() != 2 || !as_count((*off)[0], t.begin) ||
      !as_count((*off)[1], t.end)) {
    throw SnapshotError(where + "\"data_offsets\" must be two non-negative integers [begin, end]");
  }
  if (t.end < t.begin) {
    throw SnapshotError(where + "data_offsets " + range_text(t.begin, t.end) +
                        " end before they begin");
  }
  const std::uint64_t elem = sdk::dtype_size(t.dtype);
  if (overflow || (numel != 0 && elem > std::numeric_limits<std::uint64_t>::max() / numel)) {
    throw SnapshotError(where + "shape " + shape_text(t.shape) + " is too large");
  }
  if (numel * elem != t.end - t.begin) {
    throw SnapshotError(where + std::string(sdk::dtype_name(t.dtype)) + " " + shape_text(t.shape) +
                        " needs " + std::to_string(numel * elem) + " bytes but data_offsets " +
                        range_text(t.begin, t.end) + " hold " + std::to_string(t.end - t.begin));
  }
  return t;
}

}  // namespace

SafetensorsHeader parse_safetensors(const std::uint8_t* bytes, std::size_t size,
                                    const std::string& origin) {
  if (size < 8) {
    throw SnapshotError(origin + ": file is " + std::to_string(size) +
                        " bytes, too short for the 8-byte header length");
  }
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  if (n > kMaxHeaderBytes) {
    throw SnapshotError(origin + ": header length " + std::to_string(n) + " exceeds the limit of " +
                        std::to_string(kMaxHeaderBytes) + " bytes");
  }
  if (n > size - 8) {
    throw SnapshotError(origin + ": header length " + std::to_string(n) +
                        " runs past the end of the file (" + std::to_string(size) + " bytes)");
  }
  std::string_view text(reinterpret_cast<const char*>(bytes + 8), n);
  if (text.empty() || text.front() != '{') {
    throw SnapshotError(origin + ": header does not start with '{'");
  }
  json j = parse_json(text, origin);
  if (!j.is_object()) throw SnapshotError(origin + ": header is not a JSON object");

  SafetensorsHeader h;
  h.data_start = 8 + n;
  const std::uint64_t data_size = size - h.data_start;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) throw SnapshotError(origin + ": __metadata__ is not a JSON object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) {
          throw SnapshotError(origin + ": __metadata__ '" + m.key() + "' is not a string");
        }
        h.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    h.tensors.push_back(parse_entry(it.key(), *it, origin));
  }
  std::sort(h.tensors.begin(), h.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t cursor = 0;
  const TensorInfo* prev = nullptr;
  for (const auto& t : h.tensors) {
    const std::string where = origin + ": tensor '" + t.name + "': ";
    if (t.end > data_size) {
      throw SnapshotError(where + "data_offsets " + range_text(t.begin, t.end) +
                          " run past the data buffer (" + std::to_string(data_size) + " bytes)");
    }
    if (t.begin < cursor) {
      throw SnapshotError(where + "data_offsets " + range_text(t.begin, t.end) +
                          " overlap tensor '" + prev->name + "' " +
                          range_text(prev->begin, prev->end));
    }
    if (t.begin > cursor) {
      throw SnapshotError(where + "bytes [" + std::to_string(cursor) + ", " +
                          std::to_string(t.begin) + ") before it belong to no tensor");
    }
    cursor = t.end;
    prev = &t;
  }
  if (cursor != data_size) {
    throw SnapshotError(origin + ": bytes [" + std::to_string(cursor) + ", " +
                        std::to_string(data_size) +
                        ") at the end of the data buffer belong to no tensor");
  }
  return h;
}

SafetensorsFile SafetensorsFile::open(const std::string& path, LoadMode mode) {
  MappedFile map(path, mode);
  auto header = parse_safetensors(map.data(), map.size(), path);
  return SafetensorsFile(std::move(map), std::move(header));
}

}  // namespace rmlx::snapshot
