// Hugging Face tokenizer files rebuilt from GGUF tokenizer metadata
// (tokenizer.ggml.*): byte-level BPE vocabularies ("gpt2" model) with the
// pre-tokenizer chosen by tokenizer.ggml.pre, special tokens, and the chat template.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "rmlx/gguf/gguf_file.h"

namespace rmlx::gguf {

struct TokenizerFiles {
  nlohmann::ordered_json tokenizer;         // tokenizer.json
  nlohmann::ordered_json tokenizer_config;  // tokenizer_config.json
  std::optional<std::int64_t> bos_id, pad_id;
  std::vector<std::int64_t> eos_ids;  // eos, then eot / eom when present and different
};

// Throws GgufError for a tokenizer model or pre-tokenizer this import does not know.
TokenizerFiles build_tokenizer_files(const GgufFile& f, std::int64_t context_length);

}  // namespace rmlx::gguf
