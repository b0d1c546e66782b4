#include "rmlx/embed/sentence_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace rmlx::embed {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json read_json(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(path.string() + ": not valid JSON");
  return j;
}

bool flag(const json& j, const char* key, const fs::path& file) {
  if (!j.contains(key) || j[key].is_null()) return false;
  if (!j[key].is_boolean()) {
    throw std::runtime_error(file.string() + ": '" + key + "' must be true or false");
  }
  return j[key].get<bool>();
}

bool is_encoder_architecture(const json& config) {
  if (!config.is_object() || !config.contains("architectures") ||
      !config["architectures"].is_array() || config["architectures"].empty() ||
      !config["architectures"][0].is_string()) {
    return false;
  }
  return config["architectures"][0].get<std::string>().rfind("Bert", 0) == 0;
}

Pooling read_pooling(const fs::path& file) {
  const json p = read_json(file);
  if (!p.is_object()) throw std::runtime_error(file.string() + ": not a JSON object");
  struct Mode {
    const char* key;
    Pooling pooling;
  };
  const Mode modes[] = {{"pooling_mode_mean_tokens", Pooling::mean},
                        {"pooling_mode_cls_token", Pooling::cls},
                        {"pooling_mode_max_tokens", Pooling::max},
                        {"pooling_mode_mean_sqrt_len_tokens", Pooling::mean_sqrt_len},
                        {"pooling_mode_lasttoken", Pooling::last_token}};
  int count = 0;
  Pooling chosen = Pooling::mean;
  for (const Mode& m : modes) {
    if (flag(p, m.key, file)) {
      ++count;
      chosen = m.pooling;
    }
  }
  if (count == 0) {
    throw std::runtime_error(file.string() +
                             ": no pooling mode is set (mean, cls, max, mean_sqrt_len, lasttoken)");
  }
  if (count > 1) {
    throw std::runtime_error(file.string() +
                             ": several pooling modes at once (concatenated) are not supported");
  }
  return chosen;
}

}  // namespace

const char* pooling_name(Pooling p) {
  switch (p) {
    case Pooling::mean:
      return "mean";
    case Pooling::cls:
      return "cls";
    case Pooling::max:
      return "max";
    case Pooling::mean_sqrt_len:
      return "mean_sqrt_len";
    case Pooling::last_token:
      return "last_token";
  }
  return "?";
}

SentenceConfig read_sentence_config(const std::string& dir, const json& config) {
  SentenceConfig sc;
  const fs::path root(dir);
  const fs::path modules_file = root / "modules.json";
  if (!fs::exists(modules_file)) {
    sc.pooling = is_encoder_architecture(config) ? Pooling::mean : Pooling::last_token;
    sc.normalize = true;
    return sc;
  }
  sc.sentence_transformers = true;
  const json modules = read_json(modules_file);
  if (!modules.is_array()) throw std::runtime_error(modules_file.string() + ": not a JSON array");
  bool pooled = false;
  for (const auto& m : modules) {
    if (!m.is_object() || !m.contains("type") || !m["type"].is_string()) {
      throw std::runtime_error(modules_file.string() + ": every module needs a string 'type'");
    }
    const std::string type = m["type"];
    const std::string path =
        m.contains("path") && m["path"].is_string() ? m["path"].get<std::string>() : "";
    if (type == "sentence_transformers.models.Transformer") continue;
    if (type == "sentence_transformers.models.Pooling") {
      sc.pooling = read_pooling(root / path / "config.json");
      pooled = true;
    } else if (type == "sentence_transformers.models.Normalize") {
      sc.normalize = true;
    } else {
      throw std::runtime_error(modules_file.string() + ": module type '" + type +
                               "' is not supported (Transformer, Pooling, Normalize)");
    }
  }
  if (!pooled) throw std::runtime_error(modules_file.string() + ": no Pooling module");
  const fs::path sb = root / "sentence_bert_config.json";
  if (fs::exists(sb)) {
    const json s = read_json(sb);
    if (s.contains("max_seq_length") && !s["max_seq_length"].is_null()) {
      if (!s["max_seq_length"].is_number_integer() || s["max_seq_length"].get<long long>() <= 0 ||
          s["max_seq_length"].get<long long>() > (1LL << 24)) {
        throw std::runtime_error(sb.string() + ": 'max_seq_length' must be a positive integer");
      }
      sc.max_seq_length = s["max_seq_length"].get<int>();
    }
  }
  return sc;
}

bool is_embedding_snapshot(const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  if (fs::exists(root / "modules.json", ec)) return true;
  if (!fs::exists(root / "config.json", ec)) return false;
  try {
    return is_encoder_architecture(read_json(root / "config.json"));
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace rmlx::embed
