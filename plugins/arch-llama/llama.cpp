// The Llama family (Llama 2/3, Mistral, Qwen2, Qwen3, SmolLM): pre-norm
// decoder blocks of grouped-query attention with RoPE and a SwiGLU MLP,
// computed as mlx_lm's llama/qwen2/qwen3 modules compute them.
//
// Created with the options {"output": "hidden_states"} (the embedding engine
// does, for a snapshot that declares itself an embedding model, such as
// Qwen3-Embedding) it keeps no cache: each sequence attends causally over its
// own rows, and forward() writes the final-normed hidden states of
// logit_rows ([rows, hidden_size]; vocab_size() is that width). Tensor names
// may then also lack the "model." prefix, as Qwen3-Embedding stores them,
// and dense layers run through the CPU's packed kernels, whose rows never
// depend on what else is in the batch.
#include <rmlx/kernels/encoder_linear.h>
#include <rmlx/sdk/plugin.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "llama_config.h"

namespace rmlx::arch_llama {

namespace {

struct Layer {
  sdk::Tensor input_norm, post_norm;
  sdk::Tensor q_norm, k_norm;  // Qwen3: RMSNorm over each head
  std::unique_ptr<sdk::LinearWeight> q, k, v, o, gate, up, down;
};

sdk::Tensor view(const sdk::Tensor& t, std::vector<std::int64_t> shape) {
  sdk::Tensor v = t;
  v.shape = std::move(shape);
  return v;
}

class Llama final : public sdk::Architecture {
 public:
  Llama() = default;
  explicit Llama(std::string_view options) {
    const auto o = nlohmann::json::parse(options, nullptr, false);
    if (!o.is_object()) throw std::invalid_argument("arch-llama: options must be a JSON object");
    const std::string output = o.value("output", "logits");
    if (output != "logits" && output != "hidden_states") {
      throw std::invalid_argument("arch-llama: option 'output' must be logits or hidden_states");
    }
    hidden_ = output == "hidden_states";
  }

  void load(const sdk::LoadContext& ctx) override {
    cfg_ = parse_llama_config(ctx.config_json);
    auto& b = *ctx.binder;
    const std::string root =
        hidden_ && !b.has("model.embed_tokens.weight") && b.has("embed_tokens.weight") ? ""
                                                                                       : "model.";
    embed_ = b.bind(root + "embed_tokens");
    auto linear = [&](const std::string& prefix) {
      return hidden_ ? kernels::encoder::bind_packed_linear(b, ctx.ops, prefix) : b.bind(prefix);
    };
    layers_.resize(static_cast<std::size_t>(cfg_.num_layers));
    for (int i = 0; i < cfg_.num_layers; ++i) {
      const std::string p = root + "layers." + std::to_string(i) + ".";
      Layer& l = layers_[static_cast<std::size_t>(i)];
      l.input_norm = b.tensor(p + "input_layernorm.weight");
      l.post_norm = b.tensor(p + "post_attention_layernorm.weight");
      l.q = linear(p + "self_attn.q_proj");
      l.k = linear(p + "self_attn.k_proj");
      l.v = linear(p + "self_attn.v_proj");
      l.o = linear(p + "self_attn.o_proj");
      if (b.has(p + "self_attn.q_norm.weight")) {
        l.q_norm = b.tensor(p + "self_attn.q_norm.weight");
        l.k_norm = b.tensor(p + "self_attn.k_norm.weight");
      }
      l.gate = linear(p + "mlp.gate_proj");
      l.up = linear(p + "mlp.up_proj");
      l.down = linear(p + "mlp.down_proj");
    }
    norm_ = b.tensor(root + "norm.weight");
    if (hidden_) return;  // an lm_head, if any, is left unclaimed
    if (!cfg_.tie_word_embeddings && b.has("lm_head.weight")) lm_head_ = b.bind("lm_head");
  }

  std::vector<sdk::LayerCache> cache_layout() const override {
    sdk::LayerCache c;
    c.kind = hidden_ ? sdk::LayerCacheKind::none : sdk::LayerCacheKind::full_attention;
    c.n_kv_heads = cfg_.num_kv_heads;
    c.head_dim = cfg_.head_dim;
    return std::vector<sdk::LayerCache>(static_cast<std::size_t>(cfg_.num_layers), c);
  }

  std::int64_t vocab_size() const override {
    if (hidden_) return cfg_.hidden_size;
    return lm_head_ ? lm_head_->out_features() : embed_->out_features();
  }

  void forward(const sdk::ForwardBatch& batch, sdk::Ops& ops, sdk::Tensor& logits) override {
    const std::int64_t n = static_cast<std::int64_t>(batch.tokens.size());
    const std::int64_t d = cfg_.hidden_size, hd = cfg_.head_dim;
    const std::int64_t nh = cfg_.num_heads, nkv = cfg_.num_kv_heads;
    const std::int64_t ff = cfg_.intermediate_size;
    using sdk::DType;
    sdk::Tensor h = ops.scratch(DType::f32, {n, d});
    sdk::Tensor x = ops.scratch(DType::f32, {n, d});
    sdk::Tensor q = ops.scratch(DType::f32, {n, nh, hd});
    sdk::Tensor k = ops.scratch(DType::f32, {n, nkv, hd});
    sdk::Tensor v = ops.scratch(DType::f32, {n, nkv, hd});
    sdk::Tensor att = ops.scratch(DType::f32, {n, nh * hd});
    sdk::Tensor gate = ops.scratch(DType::f32, {n, ff});
    sdk::Tensor up = ops.scratch(DType::f32, {n, ff});
    sdk::Tensor q2 = view(q, {n, nh * hd}), k2 = view(k, {n, nkv * hd}),
                v2 = view(v, {n, nkv * hd});
    sdk::Tensor q_heads = view(q, {n * nh, hd}), k_heads = view(k, {n * nkv, hd});

    sdk::AttentionParams ap;
    ap.n_heads = cfg_.num_heads;
    ap.n_kv_heads = cfg_.num_kv_heads;
    ap.head_dim = cfg_.head_dim;
    ap.scale = 1.0f / std::sqrt(static_cast<float>(hd));

    if (batch.layers < 0 || batch.layers > cfg_.num_layers) {
      throw std::invalid_argument("forward: layers " + std::to_string(batch.layers) +
                                  " outside 0.." + std::to_string(cfg_.num_layers));
    }
    const std::size_t n_layers =
        batch.layers > 0 ? static_cast<std::size_t>(batch.layers) : layers_.size();
    embed_->gather_rows(ops, batch.tokens, h);
    for (std::size_t i = 0; i < n_layers; ++i) {
      Layer& l = layers_[i];
      ops.rms_norm(h, l.input_norm, cfg_.rms_norm_eps, x);
      {
        const sdk::LinearWeight* kv[] = {l.k.get(), l.v.get()};
        sdk::Tensor* qkv[] = {&q2, &k2, &v2};
        l.q->apply_shared(ops, kv, x, qkv);
      }
      if (l.q_norm.data != nullptr) {
        ops.rms_norm(q_heads, l.q_norm, cfg_.rms_norm_eps, q_heads);
        ops.rms_norm(k_heads, l.k_norm, cfg_.rms_norm_eps, k_heads);
      }
      ops.rope(q, batch.positions, cfg_.rope);
      ops.rope(k, batch.positions, cfg_.rope);
      if (hidden_) {
        sdk::Tensor att3 = view(att, {n, nh, hd});
        ops.self_attention(q, k, v, batch.seqs, ap, att3);
      } else {
        ops.attention(q, k, v, batch.kv[i], batch.seqs, ap, att);
      }
      l.o->apply(ops, att, x);
      ops.add(h, x, h);
      ops.rms_norm(h, l.post_norm, cfg_.rms_norm_eps, x);
      {
        const sdk::LinearWeight* u[] = {l.up.get()};
        sdk::Tensor* gu[] = {&gate, &up};
        l.gate->apply_shared(ops, u, x, gu);
      }
      ops.glu(gate, up, false, gate);
      l.down->apply(ops, gate, x);
      ops.add(h, x, h);
    }
    const std::int64_t m = static_cast<std::int64_t>(batch.logit_rows.size());
    sdk::Tensor last = ops.scratch(DType::f32, {m, d});
    ops.gather_rows(h, batch.logit_rows, last);
    if (hidden_) {
      ops.rms_norm(last, norm_, cfg_.rms_norm_eps, logits);
      return;
    }
    ops.rms_norm(last, norm_, cfg_.rms_norm_eps, last);
    (lm_head_ ? lm_head_ : embed_)->apply(ops, last, logits);
  }

 private:
  LlamaConfig cfg_;
  bool hidden_ = false;  // output hidden states (embeddings), no cache
  std::unique_ptr<sdk::LinearWeight> embed_, lm_head_;
  std::vector<Layer> layers_;
  sdk::Tensor norm_;
};

}  // namespace

}  // namespace rmlx::arch_llama

RMLX_PLUGIN(
    "arch-llama", "0.1.0",
    rmlx::sdk::component<rmlx::sdk::Architecture, rmlx::arch_llama::Llama>("LlamaForCausalLM"),
    rmlx::sdk::component<rmlx::sdk::Architecture, rmlx::arch_llama::Llama>("MistralForCausalLM"),
    rmlx::sdk::component<rmlx::sdk::Architecture, rmlx::arch_llama::Llama>("Qwen2ForCausalLM"),
    rmlx::sdk::component<rmlx::sdk::Architecture, rmlx::arch_llama::Llama>("Qwen3ForCausalLM"))
