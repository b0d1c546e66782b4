// One sequence's KV cache in a chosen K/V codec pair, and forward passes of a
// loaded model over it: teacher-forced chunks with every row's logits, or
// single decode steps.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rmlx/engine/model.h"
#include "rmlx/registry/registry.h"

namespace rmlx::kv_bench {

class CodecCache {
 public:
  // Room for `capacity` tokens of one sequence; `spec` is "K" or "K:V".
  CodecCache(engine::Model& model, registry::Registry& reg, const std::string& spec, int capacity,
             int block_size = 16);

  const std::string& spec() const { return spec_; }
  // KV bytes one token takes over all layers.
  std::int64_t bytes_per_token() const { return bytes_per_token_; }

  // Runs tokens at positions start.. (their K/V land in this cache); logits of
  // the rows listed in `rows` (indices into `tokens`) go to `logits`, row-major.
  void forward(std::span<const std::int32_t> tokens, int start, std::span<const std::int32_t> rows,
               std::vector<float>& logits);

  // Fills positions 0..n_tokens-1 with `src`'s rows re-encoded in this cache's
  // codecs (a long context for decode timing without a prefill per codec).
  void transcode_from(const CodecCache& src, int n_tokens);

 private:
  engine::Model& model_;
  std::string spec_;
  registry::Component<sdk::KvCodec> k_, v_;
  std::vector<std::int32_t> table_;
  std::vector<std::vector<std::uint8_t>> buffers_;
  std::vector<sdk::KvLayerView> views_;
  std::int64_t bytes_per_token_ = 0;
  int capacity_ = 0;
};

}  // namespace rmlx::kv_bench
