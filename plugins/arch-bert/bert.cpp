// BERT encoders (BertModel, as sentence-transformers checkpoints store it):
// word + absolute position + token type embeddings, then post-norm blocks of
// bidirectional multi-head attention and an erf-GELU MLP. Tensor names may
// carry the "bert." prefix (BertForMaskedLM and friends) or not.
//
// Encoders keep no cache (every layer is LayerCacheKind::none), and forward()
// writes the final hidden states of batch.logit_rows, [rows, hidden_size]:
// for an encoder vocab_size() is that width. Every row has token type 0.
//
// On the CPU backend the dense linear layers are repacked once at load for
// products of many rows (kernels/encoder_linear.h); quantized ones go to
// their WeightFormat.
#include <rmlx/kernels/encoder_linear.h>
#include <rmlx/sdk/plugin.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "bert_config.h"

namespace rmlx::arch_bert {

namespace {

struct Layer {
  std::unique_ptr<sdk::LinearWeight> q, k, v, o, up, down;
  sdk::Tensor attn_norm_w, attn_norm_b, out_norm_w, out_norm_b;
};

sdk::Tensor view(const sdk::Tensor& t, std::vector<std::int64_t> shape) {
  sdk::Tensor v = t;
  v.shape = std::move(shape);
  return v;
}

class Bert final : public sdk::Architecture {
 public:
  void load(const sdk::LoadContext& ctx) override {
    cfg_ = parse_bert_config(ctx.config_json);
    auto& b = *ctx.binder;
    auto linear = [&](const std::string& prefix) {
      return kernels::encoder::bind_packed_linear(b, ctx.ops, prefix);
    };
    const std::string root = b.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
    const std::string e = root + "embeddings.";
    word_ = b.bind(e + "word_embeddings");
    position_ = b.bind(e + "position_embeddings");
    token_type_ = b.bind(e + "token_type_embeddings");
    emb_norm_w_ = b.tensor(e + "LayerNorm.weight");
    emb_norm_b_ = b.tensor(e + "LayerNorm.bias");
    if (word_->in_features() != cfg_.hidden_size) {
      throw std::runtime_error(e + "word_embeddings.weight: width " +
                               std::to_string(word_->in_features()) + ", config.json says " +
                               std::to_string(cfg_.hidden_size));
    }
    max_positions_ = position_->out_features();
    // Buffers transformers saves but never trains; they are not weights.
    if (b.has(e + "position_ids")) b.tensor(e + "position_ids");
    layers_.resize(static_cast<std::size_t>(cfg_.num_layers));
    for (int i = 0; i < cfg_.num_layers; ++i) {
      const std::string p = root + "encoder.layer." + std::to_string(i) + ".";
      Layer& l = layers_[static_cast<std::size_t>(i)];
      l.q = linear(p + "attention.self.query");
      l.k = linear(p + "attention.self.key");
      l.v = linear(p + "attention.self.value");
      l.o = linear(p + "attention.output.dense");
      l.attn_norm_w = b.tensor(p + "attention.output.LayerNorm.weight");
      l.attn_norm_b = b.tensor(p + "attention.output.LayerNorm.bias");
      l.up = linear(p + "intermediate.dense");
      l.down = linear(p + "output.dense");
      l.out_norm_w = b.tensor(p + "output.LayerNorm.weight");
      l.out_norm_b = b.tensor(p + "output.LayerNorm.bias");
    }
    // The pooler (tanh over [CLS]) and masked-LM heads are not part of a
    // sentence embedding; they are read so the loader knows they are accounted for.
    for (const char* extra : {"pooler.dense.weight", "pooler.dense.bias"}) {
      if (b.has(root + extra)) b.tensor(root + extra);
    }
  }

  std::vector<sdk::LayerCache> cache_layout() const override {
    sdk::LayerCache c;
    c.kind = sdk::LayerCacheKind::none;
    return std::vector<sdk::LayerCache>(static_cast<std::size_t>(cfg_.num_layers), c);
  }

  std::int64_t vocab_size() const override { return cfg_.hidden_size; }

  void forward(const sdk::ForwardBatch& batch, sdk::Ops& ops, sdk::Tensor& out) override {
    const std::int64_t n = static_cast<std::int64_t>(batch.tokens.size());
    const std::int64_t d = cfg_.hidden_size, ff = cfg_.intermediate_size;
    const int nh = cfg_.num_heads;
    const std::int64_t hd = d / nh;
    if (batch.positions.size() != batch.tokens.size()) {
      throw std::invalid_argument("bert: one position per token is required");
    }
    for (std::int32_t pos : batch.positions) {
      if (pos < 0 || pos >= max_positions_) {
        throw std::out_of_range("bert: position " + std::to_string(pos) +
                                " is outside the model's " + std::to_string(max_positions_) +
                                " positions");
      }
    }
    using sdk::DType;
    sdk::Tensor h = ops.scratch(DType::f32, {n, d});
    sdk::Tensor x = ops.scratch(DType::f32, {n, d});
    sdk::Tensor q = ops.scratch(DType::f32, {n, nh, hd});
    sdk::Tensor k = ops.scratch(DType::f32, {n, nh, hd});
    sdk::Tensor v = ops.scratch(DType::f32, {n, nh, hd});
    sdk::Tensor att = ops.scratch(DType::f32, {n, nh, hd});
    sdk::Tensor mid = ops.scratch(DType::f32, {n, ff});
    sdk::Tensor q2 = view(q, {n, d}), k2 = view(k, {n, d}), v2 = view(v, {n, d}),
                att2 = view(att, {n, d});

    word_->gather_rows(ops, batch.tokens, h);
    position_->gather_rows(ops, batch.positions, x);
    ops.add(h, x, h);
    types_.assign(static_cast<std::size_t>(n), 0);
    token_type_->gather_rows(ops, types_, x);
    ops.add(h, x, h);
    ops.layer_norm(h, emb_norm_w_, &emb_norm_b_, cfg_.layer_norm_eps, h);

    sdk::AttentionParams ap;
    ap.n_heads = nh;
    ap.n_kv_heads = nh;
    ap.head_dim = static_cast<int>(hd);
    ap.scale = 1.0f / std::sqrt(static_cast<float>(hd));
    ap.causal = false;
    for (Layer& l : layers_) {
      l.q->apply(ops, h, q2);
      l.k->apply(ops, h, k2);
      l.v->apply(ops, h, v2);
      ops.self_attention(q, k, v, batch.seqs, ap, att);
      l.o->apply(ops, att2, x);
      ops.add(h, x, h);
      ops.layer_norm(h, l.attn_norm_w, &l.attn_norm_b, cfg_.layer_norm_eps, h);
      l.up->apply(ops, h, mid);
      ops.gelu(mid, mid);
      l.down->apply(ops, mid, x);
      ops.add(h, x, h);
      ops.layer_norm(h, l.out_norm_w, &l.out_norm_b, cfg_.layer_norm_eps, h);
    }
    ops.gather_rows(h, batch.logit_rows, out);
  }

 private:
  BertConfig cfg_;
  std::int64_t max_positions_ = 0;
  std::unique_ptr<sdk::LinearWeight> word_, position_, token_type_;
  sdk::Tensor emb_norm_w_, emb_norm_b_;
  std::vector<Layer> layers_;
  std::vector<std::int32_t> types_;
};

}  // namespace

}  // namespace rmlx::arch_bert

RMLX_PLUGIN("arch-bert", "0.1.0",
            rmlx::sdk::component<rmlx::sdk::Architecture, rmlx::arch_bert::Bert>("BertModel"),
            rmlx::sdk::component<rmlx::sdk::Architecture, rmlx::arch_bert::Bert>("BertForMaskedLM"))
