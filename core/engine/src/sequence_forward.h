// One sequence run through a model outside the engine's scheduler, keeping every row's logits:
// what the teacher-forced logits tool and the speculative step-cost bench measure.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kv_pool.h"
#include "rmlx/engine/model.h"

namespace rmlx::engine {

class SequenceForward {
 public:
  // A KV cache of its own, large enough for `capacity` tokens.
  SequenceForward(Model& model, std::int64_t capacity, int block_size)
      : model_(model),
        pool_(model.arch().cache_layout(), model.k_codec(), model.v_codec(), block_size,
              (capacity + block_size - 1) / block_size, &model.ops()) {
    for (std::int64_t b = 0; b < pool_.total(); ++b) table_.push_back(pool_.allocate());
  }

  // One forward pass of `tokens` at positions start, start + 1, ...; returns their logits,
  // one row of vocab_size per token.
  const std::vector<float>& run(std::span<const std::int32_t> tokens, int start) {
    const std::int64_t vocab = model_.info().vocab_size;
    const int m = static_cast<int>(tokens.size());
    positions_.resize(tokens.size());
    rows_.resize(tokens.size());
    for (int i = 0; i < m; ++i) {
      positions_[static_cast<std::size_t>(i)] = start + i;
      rows_[static_cast<std::size_t>(i)] = i;
    }
    sdk::AttentionSeq seq;
    seq.first_row = 0;
    seq.n_rows = m;
    seq.start_pos = start;
    seq.block_table = table_;
    logits_.resize(static_cast<std::size_t>(m * vocab));
    sdk::Tensor t;
    t.dtype = sdk::DType::f32;
    t.shape = {m, vocab};
    t.data = logits_.data();
    sdk::ForwardBatch batch;
    batch.tokens = tokens;
    batch.positions = positions_;
    batch.seqs = std::span<const sdk::AttentionSeq>(&seq, 1);
    batch.logit_rows = rows_;
    batch.kv = pool_.views();
    model_.ops().begin_step();
    model_.arch().forward(batch, model_.ops(), t);
    return logits_;
  }

 private:
  Model& model_;
  KvPool pool_;
  std::vector<std::int32_t> table_, positions_, rows_;
  std::vector<float> logits_;
};

}  // namespace rmlx::engine
