#include "rmlx/snapshot/snapshot.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rmlx/snapshot/error.h"

namespace rmlx::snapshot {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SnapshotError(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw SnapshotError(path + ": read failed");
  return ss.str();
}

json parse_json_text(const std::string& text, const std::string& origin) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw SnapshotError(origin + ": not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception&) {
    throw SnapshotError(origin + ": not valid JSON (a number is out of range)");
  }
}

namespace {

std::optional<json> read_json_if_present(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  return parse_json_text(read_text_file(p.string()), p.string());
}

std::vector<std::int64_t> eos_ids(const json& v, const std::string& where) {
  std::vector<std::int64_t> ids;
  if (v.is_null()) return ids;
  if (v.is_number_integer()) return {v.get<std::int64_t>()};
  if (v.is_array()) {
    for (const auto& e : v) {
      if (!e.is_number_integer()) {
        throw SnapshotError(where + ": eos_token_id: expected integers, got " + e.dump());
      }
      ids.push_back(e.get<std::int64_t>());
    }
    return ids;
  }
  throw SnapshotError(where + ": eos_token_id: expected an integer or a list, got " + v.dump());
}

template <typename T>
void optional_number(const json& j, const char* key, std::optional<T>& out,
                     const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if (!it->is_number())
    throw SnapshotError(where + ": " + key + ": expected a number, got " + it->dump());
  out = it->get<T>();
}

}  // namespace

Snapshot::~Snapshot() = default;

std::unique_ptr<Snapshot> Snapshot::open(const std::string& dir, LoadMode mode) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw SnapshotError(dir + ": not a directory");
  std::unique_ptr<Snapshot> s(new Snapshot());
  s->dir_ = dir;
  s->load_config();
  s->load_generation();
  s->load_tokenizer_files();
  s->load_weights(mode);
  return s;
}

void Snapshot::load_config() {
  const auto path = (fs::path(dir_) / "config.json").string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw SnapshotError(path + ": missing");
  config_text_ = read_text_file(path);
  config_ = parse_json_text(config_text_, path);
  if (!config_.is_object()) throw SnapshotError(path + ": expected a JSON object");
  if (auto a = config_.find("architectures"); a != config_.end() && !a->is_null()) {
    if (!a->is_array() || (!a->empty() && !(*a)[0].is_string())) {
      throw SnapshotError(path + ": architectures: expected a list of strings");
    }
  }
  quant_ = QuantConfig::from_config(config_, path);
}

void Snapshot::load_generation() {
  const auto cfg_path = (fs::path(dir_) / "config.json").string();
  if (auto e = config_.find("eos_token_id"); e != config_.end()) {
    generation_.eos_token_ids = eos_ids(*e, cfg_path);
  }
  const auto path = fs::path(dir_) / "generation_config.json";
  auto g = read_json_if_present(path);
  if (!g) return;
  const std::string where = path.string();
  if (!g->is_object()) throw SnapshotError(where + ": expected a JSON object");
  if (auto e = g->find("eos_token_id"); e != g->end() && !e->is_null()) {
    generation_.eos_token_ids = eos_ids(*e, where);
  }
  optional_number(*g, "temperature", generation_.temperature, where);
  optional_number(*g, "top_p", generation_.top_p, where);
  optional_number(*g, "min_p", generation_.min_p, where);
  optional_number(*g, "repetition_penalty", generation_.repetition_penalty, where);
  optional_number(*g, "top_k", generation_.top_k, where);
  if (auto d = g->find("do_sample"); d != g->end() && d->is_boolean()) {
    generation_.do_sample = d->get<bool>();
  }
}

void Snapshot::load_tokenizer_files() {
  for (const char* name :
       {"tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json",
        "vocab.json", "merges.txt", "chat_template.jinja", "chat_template.json"}) {
    if (has_file(name)) tokenizer_files_.push_back(name);
  }
  const auto jinja = fs::path(dir_) / "chat_template.jinja";
  if (has_file("chat_template.jinja")) {
    chat_template_ = read_text_file(jinja.string());
    return;
  }
  auto tc = read_json_if_present(fs::path(dir_) / "tokenizer_config.json");
  if (!tc || !tc->is_object()) return;
  auto ct = tc->find("chat_template");
  if (ct == tc->end()) return;
  if (ct->is_string()) {
    chat_template_ = ct->get<std::string>();
  } else if (ct->is_array()) {
    for (const auto& e : *ct) {
      if (e.is_object() && e.value("name", "") == "default" && e.contains("template") &&
          e["template"].is_string()) {
        chat_template_ = e["template"].get<std::string>();
      }
    }
  }
}

bool Snapshot::has_file(const std::string& name) const {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir_) / name, ec);
}

void Snapshot::load_weights(LoadMode mode) {
  const auto index_path = fs::path(dir_) / "model.safetensors.index.json";
  std::vector<std::string> shard_names;
  std::map<std::string, std::set<std::string>> expected;  // file -> tensors the index puts there
  if (auto index = read_json_if_present(index_path)) {
    const std::string where = index_path.string();
    auto wm = index->is_object() ? index->find("weight_map") : index->end();
    if (!index->is_object() || wm == index->end() || !wm->is_object()) {
      throw SnapshotError(where + ": weight_map: expected an object of tensor -> file");
    }
    for (auto it = wm->begin(); it != wm->end(); ++it) {
      if (!it->is_string()) {
        throw SnapshotError(where + ": weight_map['" + it.key() + "']: expected a file name");
      }
      const auto file = it->get<std::string>();
      if (file.find('/') != std::string::npos || file == ".." || file.empty()) {
        throw SnapshotError(where + ": weight_map['" + it.key() + "']: bad file name '" + file +
                            "'");
      }
      expected[file].insert(it.key());
    }
    for (const auto& [file, names] : expected) shard_names.push_back(file);
  } else {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      const auto name = e.path().filename().string();
      if (name.rfind("model", 0) == 0 && e.path().extension() == ".safetensors") {
        shard_names.push_back(name);
      }
    }
    std::sort(shard_names.begin(), shard_names.end());
  }
  if (shard_names.empty()) throw SnapshotError(dir_ + ": no model*.safetensors files");
  for (const auto& name : shard_names) {
    const auto path = (fs::path(dir_) / name).string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      throw SnapshotError(index_path.string() + ": names missing file '" + name + "'");
    }
    auto it = expected.find(name);
    add_file(SafetensorsFile::open(path, mode), it == expected.end() ? nullptr : &it->second);
  }
  if (copied_bytes_ > 0) {
    spdlog::debug("{}: {} misaligned tensors ({} bytes) copied", dir_, copies_.size(),
                  copied_bytes_);
  }
}

void Snapshot::add_file(SafetensorsFile file, const std::set<std::string>* expected) {
  const std::size_t index = files_.size();
  files_.push_back(std::move(file));
  const SafetensorsFile& f = files_.back();
  for (const auto& info : f.tensors()) {
    if (expected != nullptr && expected->count(info.name) == 0) {
      throw SnapshotError(f.path() + ": tensor '" + info.name +
                          "': not listed for this file in model.safetensors.index.json");
    }
    if (tensors_.count(info.name)) {
      throw SnapshotError(f.path() + ": tensor '" + info.name + "': also present in " +
                          files_[locations_[info.name].file].path());
    }
    sdk::Tensor t;
    t.dtype = info.dtype;
    t.shape = info.shape;
    const std::uint8_t* p = f.data(info);
    const std::size_t align = sdk::dtype_size(info.dtype);
    if (info.nbytes() > 0 && reinterpret_cast<std::uintptr_t>(p) % align != 0) {
      auto copy = std::make_unique<std::uint64_t[]>((info.nbytes() + 7) / 8);
      std::memcpy(copy.get(), p, info.nbytes());
      t.data = copy.get();
      copied_bytes_ += info.nbytes();
      copies_.push_back(std::move(copy));
      // The copy is what is used: let the mapped pages go (the page cache keeps them).
      f.mapping().dont_need(static_cast<std::size_t>(p - f.mapping().data()), info.nbytes());
    } else {
      t.data = const_cast<std::uint8_t*>(p);
    }
    weight_bytes_ += info.nbytes();
    tensors_.emplace(info.name, std::move(t));
    locations_[info.name] = TensorLocation{index, &info};
  }
  if (expected != nullptr) {
    for (const auto& name : *expected) {
      if (!tensors_.count(name)) {
        throw SnapshotError(f.path() + ": tensor '" + name +
                            "': listed in model.safetensors.index.json but not in the file");
      }
    }
  }
}

std::string Snapshot::architecture() const {
  auto a = config_.find("architectures");
  if (a == config_.end() || !a->is_array() || a->empty()) return "";
  return (*a)[0].get<std::string>();
}

std::string Snapshot::model_type() const {
  auto m = config_.find("model_type");
  return m != config_.end() && m->is_string() ? m->get<std::string>() : "";
}

std::optional<sdk::QuantSpec> Snapshot::quant_for(const std::string& prefix) const {
  if (auto o = quant_.override_for(prefix)) return *o;
  if (quant_.present() && tensors_.count(prefix + ".scales")) return quant_.defaults();
  return std::nullopt;
}

const sdk::Tensor* Snapshot::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

std::vector<std::string> Snapshot::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [k, v] : tensors_) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

const sdk::Tensor& Snapshot::claim(const std::string& name) {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw SnapshotError(dir_ + ": missing tensor '" + name + "'");
  claimed_.insert(name);
  return it->second;
}

const sdk::Tensor* Snapshot::claim_if_present(const std::string& name) {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) return nullptr;
  claimed_.insert(name);
  return &it->second;
}

std::vector<std::string> Snapshot::unclaimed() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : tensors_) {
    if (!claimed_.count(k)) out.push_back(k);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const TensorLocation* Snapshot::location(const std::string& name) const {
  auto it = locations_.find(name);
  return it == locations_.end() ? nullptr : &it->second;
}

std::uint64_t Snapshot::bytes_on_disk() const {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

}  // namespace rmlx::snapshot
