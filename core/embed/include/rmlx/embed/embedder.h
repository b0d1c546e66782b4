// The embedding engine: one thread owns the model and runs packed forward
// passes. Callers on any thread submit lists of token sequences; inputs from
// concurrent callers share forward passes. Sequences are packed end to end
// (no padding) and attention never crosses a sequence, so an input's vector
// does not depend on what it was batched with.
//
//   auto e = Embedder::load(options, registry);
//   auto ids = e->tokenize("some text");
//   std::vector<std::vector<float>> v = e->embed({ids});
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rmlx/embed/sentence_config.h"
#include "rmlx/tokenizer/tokenizer.h"

namespace rmlx::registry {
class Registry;
}

namespace rmlx::embed {

struct EmbedderOptions {
  std::string model_dir;
  std::string backend = "cpu";
  int threads = 0;              // 0: the backend's default
  int max_batch_tokens = 8192;  // tokens per forward pass (one input may exceed it alone)
  int max_batch_inputs = 256;   // inputs per forward pass
};

struct EmbedderInfo {
  std::string id;  // the snapshot folder's name
  std::string architecture;
  int dimensions = 0;  // width of a vector
  int max_tokens = 0;  // special tokens included
  std::int64_t vocab_size = 0;
  SentenceConfig sentence;
};

class Embedder {
 public:
  virtual ~Embedder() = default;
  // Loads the snapshot, its tokenizer and the plugins that claim it; throws
  // std::runtime_error with one line naming the file/plugin and the problem.
  static std::unique_ptr<Embedder> load(const EmbedderOptions& options,
                                        registry::Registry& registry);

  virtual const EmbedderInfo& info() const = 0;
  virtual const tokenizer::Tokenizer& tokenizer() const = 0;

  // Text → the model's input ids, special tokens included. When the text is
  // longer than max_tokens it is cut to fit (truncate) or rejected with
  // std::length_error naming both lengths.
  virtual std::vector<std::int32_t> tokenize(std::string_view text, bool truncate = true) const = 0;
  // Token ids of the text alone (as a client sends them) → the model's input:
  // the special tokens are added and the same limit applies. Ids outside the
  // vocabulary throw std::out_of_range naming the id.
  virtual std::vector<std::int32_t> wrap_ids(std::vector<std::int32_t> ids,
                                             bool truncate = true) const = 0;

  // One vector per input (info().dimensions values each), in order. Blocks;
  // thread-safe. Throws what the forward pass threw.
  virtual std::vector<std::vector<float>> embed(std::vector<std::vector<std::int32_t>> inputs) = 0;
};

}  // namespace rmlx::embed
