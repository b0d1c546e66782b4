// SentencePiece BPE vocabularies (tokenizer.ggml.model "llama", as Llama 2,
// Mistral and Gemma GGUFs carry them) as Hugging Face's converter writes them
// in tokenizer.json.
#pragma once

#include <nlohmann/json.hpp>

#include "rmlx/gguf/gguf_file.h"

namespace rmlx::gguf {

// The merges Hugging Face derives from a SentencePiece model: every split of a
// piece into two pieces of the vocabulary, ordered by the piece's score
// (highest first; ties in vocabulary order, then by the ids of the halves).
// `tokens` holds the checked token strings; scores come from tokenizer.ggml.scores.
nlohmann::ordered_json spm_merges(const GgufFile& f, const nlohmann::json& tokens);

// "▁" for spaces, and one in front of the text when `add_space_prefix`
// (tokenizer.ggml.add_space_prefix; Llama 2's legacy normalizer).
nlohmann::ordered_json spm_normalizer(bool add_space_prefix);
// Back to spaces, byte pieces <0xXX> to bytes, and the prefix space removed.
nlohmann::ordered_json spm_decoder(bool add_space_prefix);

}  // namespace rmlx::gguf
