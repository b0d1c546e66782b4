// How a snapshot turns token states into one sentence vector: the
// sentence-transformers files modules.json, 1_Pooling/config.json,
// 2_Normalize and sentence_bert_config.json.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rmlx::embed {

enum class Pooling { mean, cls, max, mean_sqrt_len, last_token };

const char* pooling_name(Pooling p);

struct SentenceConfig {
  Pooling pooling = Pooling::mean;
  bool normalize = false;
  int max_seq_length = 0;              // 0: not given (the model's position limit applies)
  bool sentence_transformers = false;  // modules.json present
};

// Reads the files above from `dir`; `config` is the parsed config.json.
// Without modules.json: BERT encoders pool by mean, decoders (an embedding
// model declared by config.json) by last token, both normalized. Throws
// std::runtime_error naming the file and field.
SentenceConfig read_sentence_config(const std::string& dir, const nlohmann::json& config);

// True when `dir` holds an embedding model: a sentence-transformers
// modules.json, or a config.json whose architectures[0] is an encoder (Bert*).
bool is_embedding_snapshot(const std::string& dir);

}  // namespace rmlx::embed
