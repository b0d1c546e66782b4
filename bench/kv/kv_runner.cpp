#include "kv_runner.h"

#include <numeric>
#include <stdexcept>

namespace rmlx::kv_bench {

CodecCache::CodecCache(engine::Model& model, registry::Registry& reg, const std::string& spec,
                       int capacity, int block_size)
    : model_(model), spec_(spec), capacity_(capacity) {
  const auto colon = spec.find(':');
  k_ = reg.create<sdk::KvCodec>(spec.substr(0, colon));
  v_ = reg.create<sdk::KvCodec>(colon == std::string::npos ? spec : spec.substr(colon + 1));
  const int n_blocks = (capacity + block_size - 1) / block_size;
  table_.resize(static_cast<std::size_t>(n_blocks));
  std::iota(table_.begin(), table_.end(), 0);
  for (const auto& l : model.arch().cache_layout()) {
    sdk::KvLayerView v;
    v.block_size = block_size;
    v.n_kv_heads = l.n_kv_heads;
    v.head_dim = l.head_dim;
    v.k_codec = k_.get();
    v.v_codec = v_.get();
    if (l.kind != sdk::LayerCacheKind::none) {
      const auto rows = static_cast<std::size_t>(n_blocks) * static_cast<std::size_t>(block_size) *
                        static_cast<std::size_t>(l.n_kv_heads);
      buffers_.emplace_back(rows * k_->bytes_per_head_token(l.head_dim));
      v.k_blocks = buffers_.back().data();
      buffers_.emplace_back(rows * v_->bytes_per_head_token(l.head_dim));
      v.v_blocks = buffers_.back().data();
      bytes_per_token_ += static_cast<std::int64_t>(l.n_kv_heads) *
                          static_cast<std::int64_t>(k_->bytes_per_head_token(l.head_dim) +
                                                    v_->bytes_per_head_token(l.head_dim));
    }
    views_.push_back(v);
  }
}

void CodecCache::forward(std::span<const std::int32_t> tokens, int start,
                         std::span<const std::int32_t> rows, std::vector<float>& logits) {
  const int n = static_cast<int>(tokens.size());
  if (start < 0 || start + n > capacity_) {
    throw std::invalid_argument("kv bench: positions " + std::to_string(start) + ".." +
                                std::to_string(start + n) + " exceed the cache of " +
                                std::to_string(capacity_) + " tokens");
  }
  std::vector<std::int32_t> positions(tokens.size());
  std::iota(positions.begin(), positions.end(), start);
  sdk::AttentionSeq seq;
  seq.first_row = 0;
  seq.n_rows = n;
  seq.start_pos = start;
  seq.block_table = table_;
  const std::int64_t vocab = model_.info().vocab_size;
  logits.resize(rows.size() * static_cast<std::size_t>(vocab));
  sdk::Tensor out;
  out.dtype = sdk::DType::f32;
  out.shape = {static_cast<std::int64_t>(rows.size()), vocab};
  out.data = logits.data();
  sdk::ForwardBatch batch;
  batch.tokens = tokens;
  batch.positions = positions;
  batch.seqs = std::span<const sdk::AttentionSeq>(&seq, 1);
  batch.logit_rows = rows;
  batch.kv = views_;
  model_.ops().begin_step();
  model_.arch().forward(batch, model_.ops(), out);
}

void CodecCache::transcode_from(const CodecCache& src, int n_tokens) {
  if (n_tokens > capacity_ || n_tokens > src.capacity_ || views_.size() != src.views_.size()) {
    throw std::invalid_argument("kv bench: caches of different shapes");
  }
  std::vector<float> row;
  for (std::size_t l = 0; l < views_.size(); ++l) {
    const sdk::KvLayerView& from = src.views_[l];
    const sdk::KvLayerView& to = views_[l];
    if (to.k_blocks == nullptr) continue;
    const int hd = to.head_dim;
    row.resize(static_cast<std::size_t>(hd));
    const std::size_t fk = from.k_codec->bytes_per_head_token(hd);
    const std::size_t fv = from.v_codec->bytes_per_head_token(hd);
    const std::size_t tk = to.k_codec->bytes_per_head_token(hd);
    const std::size_t tv = to.v_codec->bytes_per_head_token(hd);
    for (int pos = 0; pos < n_tokens; ++pos) {
      const auto block = static_cast<std::size_t>(pos / to.block_size);
      for (int h = 0; h < to.n_kv_heads; ++h) {
        const std::size_t r =
            (block * static_cast<std::size_t>(to.n_kv_heads) + static_cast<std::size_t>(h)) *
                static_cast<std::size_t>(to.block_size) +
            static_cast<std::size_t>(pos % to.block_size);
        from.k_codec->decode(static_cast<const char*>(from.k_blocks) + r * fk, 1, hd, row.data());
        to.k_codec->encode(row.data(), 1, hd, static_cast<char*>(to.k_blocks) + r * tk);
        from.v_codec->decode(static_cast<const char*>(from.v_blocks) + r * fv, 1, hd, row.data());
        to.v_codec->encode(row.data(), 1, hd, static_cast<char*>(to.v_blocks) + r * tv);
      }
    }
  }
}

}  // namespace rmlx::kv_bench
