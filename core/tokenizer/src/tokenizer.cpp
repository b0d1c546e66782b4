#include "rmlx/tokenizer/tokenizer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "added_vocabulary.h"
#include "components.h"
#include "unicode.h"

namespace rmlx::tokenizer {

struct TokenizerImpl {
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Model> model;
  std::unique_ptr<PostProcessor> post_processor;
  std::unique_ptr<Decoder> decoder;
  AddedVocabulary added;
  std::optional<std::string> bos, eos;
  bool add_bos = false, add_eos = false, clean_up = false;
  size_t vocab_size = 0;
};

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(path + ": read error");
  return ss.str();
}

nlohmann::json parse_json(std::string_view text, const std::string& origin) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {  // parse errors and out-of-range numbers
    // Drop nlohmann's "[json.exception.<kind>.<id>] " prefix.
    std::string what = e.what();
    if (what.rfind("[json.exception", 0) == 0 && what.find("] ") != std::string::npos) {
      what = what.substr(what.find("] ") + 2);
    }
    throw Error(origin + ": expected valid JSON (" + what + ")");
  }
}

std::unique_ptr<Model> build_model(const JsonRef& node) {
  node.object();
  std::string type;
  if (node.has("type")) {
    type = node.at("type").str();
  } else if (node.has("merges")) {
    type = "BPE";
  } else if (node.has("vocab") && node.raw()["vocab"].is_array()) {
    type = "Unigram";
  } else if (node.has("max_input_chars_per_word")) {
    type = "WordPiece";
  } else if (node.has("vocab")) {
    type = "WordLevel";
  } else {
    node.fail("a \"type\" (BPE, WordPiece, WordLevel or Unigram)");
  }
  if (type == "BPE") return make_bpe_model(node);
  if (type == "WordPiece") return make_wordpiece_model(node);
  if (type == "Unigram") return make_unigram_model(node);
  if (type == "WordLevel") return make_wordlevel_model(node);
  node.at("type").fail("a supported model type (BPE, WordPiece, WordLevel, Unigram), got \"" +
                       type + "\"");
}

AddedToken parse_added_token(const JsonRef& node, std::optional<int32_t> id) {
  node.object();
  AddedToken t;
  t.id = id ? *id : node.at("id").id();
  t.content = node.at("content").str();
  if (t.content.empty()) node.at("content").fail("a non-empty string");
  t.special = node.bool_or("special", false);
  t.lstrip = node.bool_or("lstrip", false);
  t.rstrip = node.bool_or("rstrip", false);
  t.single_word = node.bool_or("single_word", false);
  t.normalized = node.bool_or("normalized", !t.special);
  return t;
}

// bos_token / eos_token: a string or an AddedToken object {"content": ...}.
std::optional<std::string> token_field(const JsonRef& cfg, const char* key) {
  if (!cfg.has(key)) return std::nullopt;
  const JsonRef v = cfg.at(key);
  if (v.raw().is_string()) return v.str();
  if (v.raw().is_object()) return v.at("content").str();
  v.fail("a string or an object with \"content\"");
}

void load_config(TokenizerImpl& impl, std::string_view text, const std::string& origin) {
  const nlohmann::json root = parse_json(text, origin);
  const JsonRef cfg(root, origin, "");
  if (!root.is_object()) throw Error(origin + ": expected a JSON object at the top level");
  impl.bos = token_field(cfg, "bos_token");
  impl.eos = token_field(cfg, "eos_token");
  impl.add_bos = cfg.bool_or("add_bos_token", false);
  impl.add_eos = cfg.bool_or("add_eos_token", false);
  impl.clean_up = cfg.bool_or("clean_up_tokenization_spaces", false);
  if (cfg.has("added_tokens_decoder")) {
    const JsonRef dec = cfg.at("added_tokens_decoder").object();
    for (const auto& [key, value] : dec.raw().items()) {
      const JsonRef entry(value, origin, dec.path() + "[\"" + key + "\"]");
      int64_t id = -1;
      try {
        size_t used = 0;
        id = std::stoll(key, &used);
        if (used != key.size()) id = -1;
      } catch (const std::exception&) {
        id = -1;
      }
      if (id < 0 || id > INT32_MAX) entry.fail("a key that is a token id");
      AddedToken t = parse_added_token(entry, static_cast<int32_t>(id));
      if (impl.added.by_id(t.id) == nullptr && impl.added.by_content(t.content) == nullptr)
        impl.added.add(std::move(t));
    }
  }
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<TokenizerImpl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_json(std::string_view tokenizer_json, std::string_view config_json,
                               const std::string& origin) {
  return from_json_impl(tokenizer_json, origin, config_json, "tokenizer_config.json");
}

Tokenizer Tokenizer::from_json_impl(std::string_view tokenizer_json, const std::string& origin,
                                    std::string_view config_json,
                                    const std::string& config_origin) {
  auto impl = std::make_unique<TokenizerImpl>();
  const nlohmann::json root = parse_json(tokenizer_json, origin);
  if (!root.is_object()) throw Error(origin + ": expected a JSON object at the top level");
  const JsonRef top(root, origin, "");
  impl->model = build_model(top.at("model"));
  if (top.has("normalizer")) impl->normalizer = make_normalizer(top.at("normalizer"));
  if (top.has("pre_tokenizer")) impl->pre_tokenizer = make_pre_tokenizer(top.at("pre_tokenizer"));
  if (top.has("post_processor"))
    impl->post_processor = make_post_processor(top.at("post_processor"));
  if (top.has("decoder")) impl->decoder = make_decoder(top.at("decoder"));
  if (top.has("added_tokens")) {
    const JsonRef list = top.at("added_tokens").array();
    for (size_t i = 0; i < list.size(); ++i)
      impl->added.add(parse_added_token(list.item(i), std::nullopt));
  }
  if (!config_json.empty()) load_config(*impl, config_json, config_origin);
  impl->added.build(impl->normalizer.get());
  std::unordered_set<std::string_view> distinct;
  impl->model->for_each_token([&](const std::string& t, int32_t) { distinct.insert(t); });
  for (const auto& t : impl->added.tokens()) distinct.insert(t.content);
  impl->vocab_size = distinct.size();
  return Tokenizer(std::move(impl));
}

Tokenizer Tokenizer::from_file(const std::string& tokenizer_json_path,
                               const std::string& tokenizer_config_path) {
  const std::string json = read_file(tokenizer_json_path);
  std::string config;
  if (!tokenizer_config_path.empty()) config = read_file(tokenizer_config_path);
  return from_json_impl(json, tokenizer_json_path, config, tokenizer_config_path);
}

Tokenizer Tokenizer::from_dir(const std::string& model_dir) {
  const std::filesystem::path dir(model_dir);
  const auto cfg = dir / "tokenizer_config.json";
  return from_file((dir / "tokenizer.json").string(),
                   std::filesystem::exists(cfg) ? cfg.string() : "");
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::string repaired;
  if (unicode::valid_utf8_prefix(text) != text.size()) {
    repaired = unicode::to_valid_utf8(text);
    text = repaired;
  }
  std::vector<Segment> segments;
  impl_->added.extract_and_normalize(text, impl_->normalizer.get(), segments);
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<Piece> pieces;
  for (auto& seg : segments) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
      continue;
    }
    pieces.clear();
    pieces.push_back(Piece{std::move(seg.text), seg.at_start});
    if (impl_->pre_tokenizer) impl_->pre_tokenizer->pre_tokenize(pieces);
    for (const auto& p : pieces) impl_->model->tokenize(p.text, ids);
  }
  if (impl_->post_processor) impl_->post_processor->process(ids, add_special_tokens);
  return ids;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const int32_t id : ids) {
    if (const AddedToken* t = impl_->added.by_id(id)) {
      if (skip_special_tokens && t->special) continue;
      tokens.push_back(t->decoded);
      continue;
    }
    const std::string* tok = impl_->model->id_to_token(id);
    if (tok == nullptr) continue;
    if (skip_special_tokens) {
      if (const AddedToken* t = impl_->added.by_content(*tok); t != nullptr && t->special) continue;
    }
    tokens.push_back(*tok);
  }
  if (!impl_->decoder) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) out += ' ';
      out += tokens[i];
    }
    return out;
  }
  impl_->decoder->decode_chain(tokens);
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (const AddedToken* t = impl_->added.by_content(token)) return t->id;
  return impl_->model->token_to_id(token);
}

std::string Tokenizer::id_to_token(int32_t id) const {
  if (const AddedToken* t = impl_->added.by_id(id)) return t->decoded;
  const std::string* tok = impl_->model->id_to_token(id);
  return tok ? *tok : std::string();
}

size_t Tokenizer::vocab_size() const {
  return impl_->vocab_size;
}

std::vector<std::string> Tokenizer::token_bytes() const {
  int32_t max_id = -1;
  impl_->model->for_each_token(
      [&](const std::string&, int32_t id) { max_id = std::max(max_id, id); });
  for (const auto& t : impl_->added.tokens()) max_id = std::max(max_id, t.id);
  std::vector<std::string> out(static_cast<size_t>(max_id + 1));
  for (int32_t id = 0; id <= max_id; ++id) {
    std::string& slot = out[static_cast<size_t>(id)];
    if (const AddedToken* t = impl_->added.by_id(id)) {
      if (t->special) continue;
      slot = t->decoded;
    } else if (const std::string* tok = impl_->model->id_to_token(id)) {
      slot = *tok;
    } else {
      continue;
    }
    if (impl_->decoder) impl_->decoder->token_bytes(slot);
  }
  return out;
}

bool Tokenizer::is_special(int32_t id) const {
  const AddedToken* t = impl_->added.by_id(id);
  return t != nullptr && t->special;
}

const std::optional<std::string>& Tokenizer::bos_token() const {
  return impl_->bos;
}
const std::optional<std::string>& Tokenizer::eos_token() const {
  return impl_->eos;
}
std::optional<int32_t> Tokenizer::bos_token_id() const {
  return impl_->bos ? token_to_id(*impl_->bos) : std::nullopt;
}
std::optional<int32_t> Tokenizer::eos_token_id() const {
  return impl_->eos ? token_to_id(*impl_->eos) : std::nullopt;
}
bool Tokenizer::add_bos_token() const {
  return impl_->add_bos;
}
bool Tokenizer::add_eos_token() const {
  return impl_->add_eos;
}
bool Tokenizer::clean_up_tokenization_spaces() const {
  return impl_->clean_up;
}

std::string clean_up_tokenization(std::string_view text) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string s(text);
  for (const auto& [from, to] : kRules) {
    if (s.find(from) != std::string::npos) s = replace_all_literal(s, from, to);
  }
  return s;
}

}  // namespace rmlx::tokenizer
