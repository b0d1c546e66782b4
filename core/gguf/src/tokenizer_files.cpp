#include "rmlx/gguf/tokenizer_files.h"

#include <string>

#include "spm_vocab.h"

namespace rmlx::gguf {

using nlohmann::ordered_json;

namespace {

// Token types of tokenizer.ggml.token_type.
constexpr int kUnknown = 2;
constexpr int kControl = 3;
constexpr int kUserDefined = 4;

// The split regexes of the pre-tokenizers llama.cpp names.
constexpr const char* kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kQwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

ordered_json byte_level(bool add_prefix_space, bool trim_offsets, bool use_regex) {
  return {{"type", "ByteLevel"},
          {"add_prefix_space", add_prefix_space},
          {"trim_offsets", trim_offsets},
          {"use_regex", use_regex}};
}

ordered_json split(const char* regex) {
  return {{"type", "Split"},
          {"pattern", {{"Regex", regex}}},
          {"behavior", "Isolated"},
          {"invert", false}};
}

struct PreTokenizer {
  ordered_json normalizer;  // null when none
  ordered_json pre_tokenizer;
  bool ignore_merges = false;
};

PreTokenizer pre_tokenizer_for(const std::string& pre, const GgufFile& f) {
  PreTokenizer p;
  if (pre == "smollm") {
    p.pre_tokenizer = {
        {"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Digits"}, {"individual_digits", true}}, byte_level(false, true, true)}}};
  } else if (pre == "gpt2" || pre == "default") {
    p.pre_tokenizer = byte_level(false, true, true);
  } else if (pre == "llama-bpe" || pre == "llama3") {
    p.pre_tokenizer = {{"type", "Sequence"},
                       {"pretokenizers", {split(kLlama3Regex), byte_level(false, true, false)}}};
    p.ignore_merges = true;
  } else if (pre == "qwen2") {
    p.normalizer = {{"type", "NFC"}};
    p.pre_tokenizer = {{"type", "Sequence"},
                       {"pretokenizers", {split(kQwen2Regex), byte_level(false, false, false)}}};
  } else {
    throw GgufError(f.path() + ": tokenizer.ggml.pre: pre-tokenizer '" + pre +
                    "' is not supported (smollm, gpt2, llama-bpe, qwen2)");
  }
  return p;
}

std::optional<std::int64_t> optional_id(const GgufFile& f, const std::string& key,
                                        std::size_t vocab) {
  if (!f.has(key)) return std::nullopt;
  const auto id = f.uint(key);
  if (id >= vocab) {
    throw GgufError(f.path() + ": " + key + ": token id " + std::to_string(id) +
                    " is outside the vocabulary of " + std::to_string(vocab));
  }
  return static_cast<std::int64_t>(id);
}

}  // namespace

TokenizerFiles build_tokenizer_files(const GgufFile& f, std::int64_t context_length) {
  const std::string model = f.str("tokenizer.ggml.model");
  // "llama": a SentencePiece BPE model (pieces with scores, <0xXX> byte pieces).
  const bool spm = model == "llama";
  if (model != "gpt2" && !spm) {
    throw GgufError(f.path() + ": tokenizer.ggml.model: '" + model +
                    "' tokenizers are not supported (byte-level BPE 'gpt2' and SentencePiece "
                    "BPE 'llama')");
  }
  const auto* tokens = f.value("tokenizer.ggml.tokens");
  if (tokens == nullptr || !tokens->is_array() || tokens->empty()) {
    throw GgufError(f.path() + ": tokenizer.ggml.tokens: expected a non-empty list of strings");
  }
  const std::size_t n = tokens->size();
  const auto* types = f.value("tokenizer.ggml.token_type");
  if (types != nullptr && (!types->is_array() || types->size() != n)) {
    throw GgufError(f.path() + ": tokenizer.ggml.token_type: expected " + std::to_string(n) +
                    " integers");
  }
  const auto* merges = f.value("tokenizer.ggml.merges");
  if (!spm && (merges == nullptr || !merges->is_array())) {
    throw GgufError(f.path() + ": tokenizer.ggml.merges: expected a list of strings");
  }
  PreTokenizer p;
  const bool add_space_prefix = f.bool_or("tokenizer.ggml.add_space_prefix", true);
  if (spm) {
    p.normalizer = spm_normalizer(add_space_prefix);
  } else {
    const std::string pre = f.has("tokenizer.ggml.pre") ? f.str("tokenizer.ggml.pre") : "default";
    p = pre_tokenizer_for(pre, f);
  }

  ordered_json vocab = ordered_json::object();
  ordered_json added = ordered_json::array();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& t = (*tokens)[i];
    if (!t.is_string()) {
      throw GgufError(f.path() + ": tokenizer.ggml.tokens[" + std::to_string(i) +
                      "]: not a string");
    }
    const auto& text = t.get_ref<const std::string&>();
    vocab[text] = i;
    const int type =
        types != nullptr && (*types)[i].is_number_integer() ? (*types)[i].get<int>() : 1;
    const bool special = type == kControl || (spm && type == kUnknown);
    if (special || type == kUserDefined) {
      added.push_back({{"id", i},
                       {"content", text},
                       {"single_word", false},
                       {"lstrip", false},
                       {"rstrip", false},
                       {"normalized", false},
                       {"special", special}});
    }
  }
  ordered_json merge_pairs = spm ? spm_merges(f, *tokens) : ordered_json::array();
  for (std::size_t i = 0; !spm && i < merges->size(); ++i) {
    const auto& m = (*merges)[i];
    const std::string s = m.is_string() ? m.get<std::string>() : std::string();
    // Split at the first space after position 0 (a merge's left side is never empty).
    const auto sp = s.size() > 1 ? s.find(' ', 1) : std::string::npos;
    if (sp == std::string::npos) {
      throw GgufError(f.path() + ": tokenizer.ggml.merges[" + std::to_string(i) +
                      "]: expected \"left right\"");
    }
    merge_pairs.push_back({s.substr(0, sp), s.substr(sp + 1)});
  }

  TokenizerFiles out;
  out.bos_id = optional_id(f, "tokenizer.ggml.bos_token_id", n);
  out.pad_id = optional_id(f, "tokenizer.ggml.padding_token_id", n);
  auto unk = optional_id(f, "tokenizer.ggml.unknown_token_id", n);
  if (spm && !unk) unk = 0;  // llama.cpp's default for SentencePiece vocabularies
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                          "tokenizer.ggml.eom_token_id"}) {
    if (auto id = optional_id(f, key, n)) {
      bool dup = false;
      for (auto e : out.eos_ids) dup = dup || e == *id;
      if (!dup) out.eos_ids.push_back(*id);
    }
  }
  const bool add_bos = f.bool_or("tokenizer.ggml.add_bos_token", spm);
  const bool add_eos = f.bool_or("tokenizer.ggml.add_eos_token", false);
  auto token = [&](std::optional<std::int64_t> id) -> ordered_json {
    if (!id) return nullptr;
    return (*tokens)[static_cast<std::size_t>(*id)];
  };

  ordered_json post = spm ? ordered_json(nullptr) : byte_level(true, false, true);
  if ((add_bos && out.bos_id) || (add_eos && !out.eos_ids.empty())) {
    ordered_json single = ordered_json::array(), pair = ordered_json::array();
    ordered_json specials = ordered_json::object();
    auto special = [&](std::int64_t id, int type_id) {
      const std::string text = (*tokens)[static_cast<std::size_t>(id)].get<std::string>();
      specials[text] = {{"id", text}, {"ids", {id}}, {"tokens", {text}}};
      return ordered_json{{"SpecialToken", {{"id", text}, {"type_id", type_id}}}};
    };
    auto seq = [](const char* id, int type_id) {
      return ordered_json{{"Sequence", {{"id", id}, {"type_id", type_id}}}};
    };
    for (int part = 0; part < 2; ++part) {
      if (add_bos && out.bos_id) pair.push_back(special(*out.bos_id, part));
      pair.push_back(seq(part == 0 ? "A" : "B", part));
      if (add_eos && !out.eos_ids.empty()) pair.push_back(special(out.eos_ids[0], part));
    }
    if (add_bos && out.bos_id) single.push_back(special(*out.bos_id, 0));
    single.push_back(seq("A", 0));
    if (add_eos && !out.eos_ids.empty()) single.push_back(special(out.eos_ids[0], 0));
    ordered_json templ = {{"type", "TemplateProcessing"},
                          {"single", single},
                          {"pair", pair},
                          {"special_tokens", specials}};
    post = spm ? templ : ordered_json{{"type", "Sequence"}, {"processors", {post, templ}}};
  }

  out.tokenizer = {{"version", "1.0"},
                   {"truncation", nullptr},
                   {"padding", nullptr},
                   {"added_tokens", added},
                   {"normalizer", p.normalizer},
                   {"pre_tokenizer", p.pre_tokenizer},
                   {"post_processor", post},
                   {"decoder", spm ? spm_decoder(add_space_prefix) : byte_level(true, true, true)},
                   {"model",
                    {{"type", "BPE"},
                     {"dropout", nullptr},
                     {"unk_token", token(unk)},
                     {"continuing_subword_prefix", nullptr},
                     {"end_of_word_suffix", nullptr},
                     {"fuse_unk", spm},
                     {"byte_fallback", spm},
                     {"ignore_merges", p.ignore_merges},
                     {"vocab", vocab},
                     {"merges", merge_pairs}}}};

  ordered_json cfg = {
      {"add_bos_token", add_bos},
      {"add_eos_token", add_eos},
      {"bos_token", token(out.bos_id)},
      {"eos_token", out.eos_ids.empty() ? ordered_json(nullptr) : token(out.eos_ids[0])},
      {"unk_token", token(unk)},
      {"pad_token", token(out.pad_id)},
      {"clean_up_tokenization_spaces", false},
      {"model_max_length", context_length},
      {"tokenizer_class", "PreTrainedTokenizerFast"}};
  if (f.has("tokenizer.chat_template")) cfg["chat_template"] = f.str("tokenizer.chat_template");
  out.tokenizer_config = std::move(cfg);
  return out;
}

}  // namespace rmlx::gguf
