// What an import writes: hyperparameters from GGUF metadata, tensor names, and
// which rows llama.cpp permuted.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "rmlx/gguf/import.h"

namespace rmlx::gguf {

namespace {

struct ArchInfo {
  const char* gguf;
  const char* hf;
  const char* model_type;
  double default_rope_theta;
};

constexpr ArchInfo kArchs[] = {
    {"llama", "LlamaForCausalLM", "llama", 10000.0},
    {"qwen2", "Qwen2ForCausalLM", "qwen2", 1000000.0},
    {"qwen3", "Qwen3ForCausalLM", "qwen3", 1000000.0},
};

// llama.cpp stores Llama 3 rope scaling as per-frequency divisors (rope_freqs). They are
// recomputed from the published Llama 3 parameters (low 1, high 4, original context 8192)
// with the largest divisor as the factor; the import proceeds only if all of them match.
nlohmann::ordered_json llama3_scaling(const GgufFile& f, const GgufTensor& t,
                                      const ModelHparams& hp) {
  const std::string where = f.path() + ": tensor 'rope_freqs.weight': ";
  if (t.type != 0 || t.ne.size() != 1 || static_cast<std::int64_t>(t.ne[0]) * 2 != hp.head_dim) {
    throw GgufError(where + "expected F32 [" + std::to_string(hp.head_dim / 2) + "]");
  }
  std::vector<float> got(t.ne[0]);
  std::memcpy(got.data(), t.data, got.size() * 4);
  const double factor = *std::max_element(got.begin(), got.end());
  const double low = 1.0, high = 4.0, old_ctx = 8192.0;
  const double pi = 3.14159265358979323846;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double freq = 1.0 / std::pow(hp.rope_theta, 2.0 * static_cast<double>(i) /
                                                          static_cast<double>(hp.head_dim));
    const double wavelen = 2 * pi / freq;
    double want = factor;
    if (wavelen < old_ctx / high) {
      want = 1.0;
    } else if (wavelen <= old_ctx / low) {
      const double smooth = (old_ctx / wavelen - low) / (high - low);
      want = 1.0 / ((1 - smooth) / factor + smooth);
    }
    if (std::fabs(want - got[i]) > 1e-4 * want) {
      throw GgufError(where + "factors are not Llama 3 rope scaling (factor " +
                      std::to_string(factor) + ", element " + std::to_string(i) + ")");
    }
  }
  return {{"factor", factor},
          {"high_freq_factor", high},
          {"low_freq_factor", low},
          {"original_max_position_embeddings", 8192},
          {"rope_type", "llama3"}};
}

std::int64_t positive(const GgufFile& f, const std::string& key) {
  const auto v = f.uint(key);
  if (v == 0 || v > (1ull << 31)) {
    throw GgufError(f.path() + ": " + key + ": " + std::to_string(v) + " is out of range");
  }
  return static_cast<std::int64_t>(v);
}

}  // namespace

ModelHparams read_hparams(const GgufFile& f) {
  ModelHparams hp;
  hp.gguf_arch = f.str("general.architecture");
  const ArchInfo* info = nullptr;
  for (const auto& a : kArchs) {
    if (hp.gguf_arch == a.gguf) info = &a;
  }
  if (info == nullptr) {
    throw GgufError(f.path() + ": general.architecture: '" + hp.gguf_arch +
                    "' is not supported (llama, qwen2, qwen3)");
  }
  hp.hf_arch = info->hf;
  hp.model_type = info->model_type;
  const std::string a = hp.gguf_arch + ".";
  hp.layers = positive(f, a + "block_count");
  hp.hidden = positive(f, a + "embedding_length");
  hp.intermediate = positive(f, a + "feed_forward_length");
  hp.heads = positive(f, a + "attention.head_count");
  hp.kv_heads =
      f.has(a + "attention.head_count_kv") ? positive(f, a + "attention.head_count_kv") : hp.heads;
  hp.head_dim = f.has(a + "attention.key_length") ? positive(f, a + "attention.key_length")
                                                  : hp.hidden / hp.heads;
  if (hp.heads % hp.kv_heads != 0) {
    throw GgufError(f.path() + ": " + a +
                    "attention.head_count_kv: " + std::to_string(hp.kv_heads) +
                    " does not divide head_count " + std::to_string(hp.heads));
  }
  hp.context = static_cast<std::int64_t>(f.uint_or(a + "context_length", 4096));
  hp.rms_eps = f.number_or(a + "attention.layer_norm_rms_epsilon", 1e-6);
  hp.rope_theta = f.number_or(a + "rope.freq_base", info->default_rope_theta);
  const auto* tokens = f.value("tokenizer.ggml.tokens");
  hp.vocab = f.has(a + "vocab_size")                   ? positive(f, a + "vocab_size")
             : tokens != nullptr && tokens->is_array() ? static_cast<std::int64_t>(tokens->size())
                                                       : 0;
  if (const auto* emb = f.find("token_embd.weight"); emb != nullptr && emb->ne.size() == 2) {
    hp.vocab = static_cast<std::int64_t>(emb->ne[1]);
  }
  hp.tied = f.find("output.weight") == nullptr;
  hp.attention_bias = f.find("blk.0.attn_q.bias") != nullptr;
  if (const auto* freqs = f.find("rope_freqs.weight"))
    hp.rope_scaling = llama3_scaling(f, *freqs, hp);
  if (f.has(a + "rope.scaling.type")) {
    const auto type = f.str(a + "rope.scaling.type");
    if (type == "linear") {
      hp.rope_scaling = {{"type", "linear"}, {"factor", f.number(a + "rope.scaling.factor")}};
    } else if (type == "yarn") {
      hp.rope_scaling = {
          {"type", "yarn"},
          {"factor", f.number(a + "rope.scaling.factor")},
          {"original_max_position_embeddings", f.uint(a + "rope.scaling.original_context_length")}};
    } else if (type != "none") {
      throw GgufError(f.path() + ": " + a + "rope.scaling.type: '" + type + "' is not supported");
    }
  }
  return hp;
}

std::optional<std::string> hf_tensor_name(const std::string& g) {
  static const std::pair<const char*, const char*> kFixed[] = {
      {"token_embd.weight", "model.embed_tokens.weight"},
      {"output_norm.weight", "model.norm.weight"},
      {"output.weight", "lm_head.weight"},
  };
  for (const auto& [from, to] : kFixed) {
    if (g == from) return std::string(to);
  }
  static const std::pair<const char*, const char*> kLayer[] = {
      {"attn_norm", "input_layernorm"},    {"ffn_norm", "post_attention_layernorm"},
      {"attn_q", "self_attn.q_proj"},      {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},      {"attn_output", "self_attn.o_proj"},
      {"attn_q_norm", "self_attn.q_norm"}, {"attn_k_norm", "self_attn.k_norm"},
      {"ffn_gate", "mlp.gate_proj"},       {"ffn_up", "mlp.up_proj"},
      {"ffn_down", "mlp.down_proj"},
  };
  // "blk.<layer>.<name>.<weight|bias>"
  if (g.rfind("blk.", 0) != 0) return std::nullopt;
  const auto d1 = g.find('.', 4);
  const auto d2 = g.rfind('.');
  if (d1 == std::string::npos || d1 == 4 || d2 <= d1 + 1) return std::nullopt;
  const std::string layer = g.substr(4, d1 - 4), name = g.substr(d1 + 1, d2 - d1 - 1);
  const std::string leaf = g.substr(d2 + 1);
  if (layer.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  if (leaf != "weight" && leaf != "bias") return std::nullopt;
  for (const auto& [from, to] : kLayer) {
    if (name == from) return "model.layers." + layer + "." + to + "." + leaf;
  }
  return std::nullopt;
}

std::int64_t permuted_heads(const ModelHparams& hp, const std::string& hf) {
  if (hp.gguf_arch != "llama") return 0;
  auto ends = [&](const char* s) {
    const std::string suffix(s);
    return hf.size() >= suffix.size() &&
           hf.compare(hf.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends(".self_attn.q_proj.weight") || ends(".self_attn.q_proj.bias")) return hp.heads;
  if (ends(".self_attn.k_proj.weight") || ends(".self_attn.k_proj.bias")) return hp.kv_heads;
  return 0;
}

std::int64_t gguf_row_of(std::int64_t r, std::int64_t rows, std::int64_t heads) {
  const std::int64_t d = rows / heads;
  const std::int64_t h = r / d, rem = r % d;
  const std::int64_t j = rem / (d / 2), i = rem % (d / 2);
  return h * d + 2 * i + j;
}

}  // namespace rmlx::gguf
