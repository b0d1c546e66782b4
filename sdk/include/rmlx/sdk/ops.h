// The op API: what an Architecture calls to run a forward pass. A Backend
// implements every op; tensors live on the backend's device. Ops never block
// on the host inside a forward pass, so a backend may record and replay them.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "rmlx/sdk/tensor.h"

namespace rmlx::sdk {

class Ops;
class KvCodec;
struct ForwardBatch;

// A linear layer's weight, bound by a WeightFormat to one backend. y = x W^T (+ b).
class LinearWeight {
 public:
  virtual ~LinearWeight() = default;
  virtual std::int64_t in_features() const = 0;
  virtual std::int64_t out_features() const = 0;
  // x: [n, in] f32, y: [n, out] f32.
  virtual void apply(Ops& ops, const Tensor& x, Tensor& y) const = 0;
  // Row lookup, so a (possibly quantized) embedding table is one of these too:
  // out: [ids.size(), in_features] f32, row i = W[ids[i]].
  virtual void gather_rows(Ops& ops, std::span<const std::int32_t> ids, Tensor& out) const = 0;
  // Several weights reading the same x (q/k/v, gate/up): ys[0] = x W^T of this weight,
  // ys[j] = x W_j^T of more[j - 1]. A format may prepare x once and run them as one
  // pass; the default applies each in turn.
  virtual void apply_shared(Ops& ops, std::span<const LinearWeight* const> more, const Tensor& x,
                            std::span<Tensor* const> ys) const;
};

inline void LinearWeight::apply_shared(Ops& ops, std::span<const LinearWeight* const> more,
                                       const Tensor& x, std::span<Tensor* const> ys) const {
  if (ys.size() != more.size() + 1) {
    throw std::invalid_argument("apply_shared: " + std::to_string(more.size() + 1) +
                                " weights but " + std::to_string(ys.size()) + " outputs");
  }
  apply(ops, x, *ys[0]);
  for (std::size_t j = 0; j < more.size(); ++j) more[j]->apply(ops, x, *ys[j + 1]);
}

enum class RopeKind : std::uint8_t { invalid = 0, default_, llama3, linear, yarn };

struct RopeParams {
  RopeKind kind = RopeKind::default_;
  float theta = 10000.0f;
  int rotary_dim = 0;        // dimensions rotated (partial rotary when < head_dim)
  bool interleaved = false;  // GPT-J pairs (2i, 2i+1) instead of NeoX halves
  float factor = 1.0f;
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  int original_max_position = 8192;
  float beta_fast = 32.0f;
  float beta_slow = 1.0f;
  float attention_factor = 1.0f;
};

// One sequence's slice of a batch as attention sees it.
struct AttentionSeq {
  std::int32_t first_row = 0;                 // first row of q/k/v in the batch
  std::int32_t n_rows = 0;                    // new tokens this step
  std::int32_t start_pos = 0;                 // tokens already in the cache before this step
  std::span<const std::int32_t> block_table;  // cache blocks in order
};

struct AttentionParams {
  int n_heads = 0;
  int n_kv_heads = 0;
  int head_dim = 0;
  float scale = 0.0f;
  int sliding_window = 0;  // 0: full causal attention
  float softcap = 0.0f;    // 0: none
  bool causal = true;
};

// The per-layer paged cache that the engine owns; a KvCodec decides the bytes.
struct KvLayerView {
  void* k_blocks = nullptr;
  void* v_blocks = nullptr;
  int block_size = 0;  // tokens per block
  int n_kv_heads = 0;
  int head_dim = 0;
  const KvCodec* k_codec = nullptr;
  const KvCodec* v_codec = nullptr;
};

class Ops {
 public:
  virtual ~Ops() = default;
  virtual Device device() const = 0;
  // "cpu", "cuda": which kernels a WeightFormat or KvCodec must supply.
  virtual std::string backend_name() const = 0;
  // Backend-specific handles for plugins that bring their own kernels (the
  // CPU backend answers "cpu.exec" with a rmlx::kernels::Exec*); nullptr when
  // unknown.
  virtual void* native(std::string_view key) = 0;

  // Makes a weight tensor usable on the device; on the CPU the view itself
  // (no copy), elsewhere an upload owned by the Ops.
  virtual Tensor upload(const Tensor& host) = 0;

  // Scratch memory valid until the next begin_step().
  virtual Tensor scratch(DType dtype, std::vector<std::int64_t> shape) = 0;
  virtual void begin_step() = 0;

  // y[n, out] = x[n, in] * w^T (+ bias); w: [out, in] in f32, f16 or bf16.
  virtual void dense_linear(const Tensor& w, const Tensor* bias, const Tensor& x, Tensor& y) = 0;
  // out[i] = table[rows[i]] as f32; table: [r, d] in f32, f16 or bf16.
  virtual void gather_rows(const Tensor& table, std::span<const std::int32_t> rows,
                           Tensor& out) = 0;
  virtual void rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) = 0;
  virtual void layer_norm(const Tensor& x, const Tensor& weight, const Tensor* bias, float eps,
                          Tensor& out) = 0;
  // x: [n, heads, head_dim], rotated in place at the given absolute positions.
  virtual void rope(Tensor& x, std::span<const std::int32_t> positions, const RopeParams& p) = 0;
  // out = silu(gate) * up, or gelu(gate) * up with gelu_tanh.
  virtual void glu(const Tensor& gate, const Tensor& up, bool gelu_tanh, Tensor& out) = 0;
  virtual void add(const Tensor& a, const Tensor& b, Tensor& out) = 0;
  // Writes new k/v rows [n, kv_heads, head_dim] into their cache slots, then
  // attends q [n, heads, head_dim] over each sequence's cache.
  virtual void attention(const Tensor& q, const Tensor& k, const Tensor& v, const KvLayerView& kv,
                         std::span<const AttentionSeq> seqs, const AttentionParams& p,
                         Tensor& out) = 0;

  // Encoders (BERT). out = gelu(x) with the exact erf form, x * (1 + erf(x / sqrt 2)) / 2;
  // out may alias x.
  virtual void gelu(const Tensor& x, Tensor& out);
  // Bidirectional attention without a cache: each sequence's rows
  // [first_row, first_row + n_rows) of q [n, heads, head_dim] attend over the same
  // rows of k and v [n, kv_heads, head_dim]; rows of other sequences are never seen.
  // start_pos and block_table are ignored; p.causal is honoured.
  virtual void self_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                              std::span<const AttentionSeq> seqs, const AttentionParams& p,
                              Tensor& out);

  // One forward pass of the engine: `forward` issues the step's ops (the
  // architecture's forward). A backend that records work (CUDA graphs) may
  // record `forward` once per batch shape and, for a later batch of the same
  // shape, replay the recording with the new tokens, positions and block
  // tables without calling `forward`. logits: as Architecture::forward's.
  virtual void run_forward(const ForwardBatch& batch, Tensor& logits,
                           const std::function<void()>& forward);
};

inline void Ops::run_forward(const ForwardBatch&, Tensor&, const std::function<void()>& forward) {
  forward();
}

// Token choice on the device, so a step's logits rows never reach the host. A
// backend that has it answers Ops::native(kDeviceSamplerKey) with a DeviceSampler*;
// one that does not answers nullptr and the engine samples on the host as before.
// (A separate interface reached through native(), so Ops' table is unchanged.)
inline constexpr std::string_view kDeviceSamplerKey = "sampling.device";

class DeviceSampler {
 public:
  virtual ~DeviceSampler() = default;
  // One forward pass as Ops::run_forward runs it, but the logits [rows, vocab] stay
  // in device memory: `forward(logits)` issues the step's ops into them, then each
  // row's greedy token (argmax, ties to the lowest id, -1 when the row holds a NaN,
  // -2 when every logit is -inf) lands in tokens[row]; only those ids are copied to
  // the host.
  virtual void run_forward_greedy(const ForwardBatch& batch, std::int64_t vocab,
                                  std::span<std::int32_t> tokens,
                                  const std::function<void(Tensor& logits)>& forward) = 0;

  // One logits row's sampling, as the engine hands it to run_forward_sample.
  struct Row {
    float temperature = 1.0f;  // < 1e-5: greedy
    int top_k = 0;             // 0: off
    float top_p = 1.0f;        // 1: off
    float min_p = 0.0f;        // 0: off
    std::uint64_t seed = 0;
    std::uint64_t counter = 0;  // the sequence's tokens generated so far
  };
  // As run_forward_greedy, but row i's token is drawn after temperature, top-k, top-p
  // (over the top-k set) and min-p, from random numbers that depend only on (seed,
  // counter, token id): a seeded request gives the same tokens on every run of this
  // backend (not the host sampler's draws). Ties at the top-k / top-p threshold stay.
  virtual void run_forward_sample(const ForwardBatch& batch, std::int64_t vocab,
                                  std::span<const Row> rows, std::span<std::int32_t> tokens,
                                  const std::function<void(Tensor& logits)>& forward) = 0;

  // A change of one logit of one row before it is sampled, in this order: if (flags &
  // kEditBias) x += bias; if (flags & kEditRepeat) x = x < 0 ? x * repetition : x /
  // repetition; if (flags & kEditSubtract) x -= subtract (each in f32, IEEE division): the
  // host sampler's logit bias, repetition and presence / frequency penalties for that token
  // (rmlx/sampling/sampler.h, Sampler::logit_edits), bit for bit.
  static constexpr std::uint32_t kEditBias = 1, kEditRepeat = 2, kEditSubtract = 4;
  struct LogitEdit {
    std::int32_t row = 0;
    std::int32_t token = 0;
    float bias = 0.0f;
    float repetition = 1.0f;
    float subtract = 0.0f;
    std::uint32_t flags = 0;
  };
  // Whether run_forward_sample_edited is implemented.
  virtual bool applies_logit_edits() const { return false; }
  // As run_forward_sample, each row's logits first changed by the edits naming it (at most
  // one a (row, token), ids inside the vocabulary), all on the device.
  virtual void run_forward_sample_edited(const ForwardBatch& batch, std::int64_t vocab,
                                         std::span<const Row> rows,
                                         std::span<const LogitEdit> edits,
                                         std::span<std::int32_t> tokens,
                                         const std::function<void(Tensor& logits)>& forward) {
    (void)batch, (void)vocab, (void)rows, (void)edits, (void)tokens, (void)forward;
    throw std::logic_error("this backend does not apply logit edits on the device");
  }

  // ABI 4: log-probabilities and grammar masks on the device too.
  static constexpr int kMaxTopLogprobs = 20;
  // A row's log-softmax of its processed logits (after the edits and the mask, before
  // temperature; summed in double as the host sampler does) at the chosen token, and its
  // n_top most likely tokens by logprob descending, ties to the lower id (-inf excluded).
  struct TokenLogprobs {
    float logprob = 0.0f;
    std::int32_t n_top = 0;
    std::int32_t top_ids[kMaxTopLogprobs] = {};
    float top_logprobs[kMaxTopLogprobs] = {};
  };
  struct StepExtras {
    std::span<const LogitEdit> edits;
    // top_logprobs[row]: -1 for none, 0..kMaxTopLogprobs for the token's logprob and that many
    // alternatives, written to logprobs[row]. Both empty when no row asks.
    std::span<const std::int32_t> top_logprobs;
    std::span<TokenLogprobs> logprobs;
    // Called once the forward pass is queued and before the draw, so the host fills grammar
    // masks while the device computes: `words` holds rows x ((vocab + 63) / 64) zeroed words
    // (bit t of word w allows token 64 w + t); a row whose masked[row] is set to 1 has every
    // token whose bit is clear set to -inf, after the edits. Empty: no row is masked.
    std::function<void(std::span<std::uint64_t> words, std::span<std::uint8_t> masked)> masks;
  };
  // Whether run_forward_sample_extras is implemented.
  virtual bool applies_step_extras() const { return false; }
  // As run_forward_sample_edited, with the logprobs and masks `extras` asks for.
  virtual void run_forward_sample_extras(const ForwardBatch& batch, std::int64_t vocab,
                                         std::span<const Row> rows, const StepExtras& extras,
                                         std::span<std::int32_t> tokens,
                                         const std::function<void(Tensor& logits)>& forward) {
    (void)batch, (void)vocab, (void)rows, (void)extras, (void)tokens, (void)forward;
    throw std::logic_error("this backend does not compute logprobs or masks on the device");
  }
};

// Unquantized weights that read the same x (q/k/v, gate/up) in one pass. A backend
// that has it answers Ops::native(kSharedDenseLinearKey) with a SharedDenseLinear*;
// the engine's dense weights then hand it their apply_shared calls.
inline constexpr std::string_view kSharedDenseLinearKey = "linear.dense_shared";

class SharedDenseLinear {
 public:
  virtual ~SharedDenseLinear() = default;
  // ys[i] = x ws[i]^T (ws: [out_i, in] in f32, f16 or bf16; no bias). Returns false,
  // running nothing, where the backend cannot: the caller applies them one by one.
  virtual bool run_shared_dense(std::span<const Tensor* const> ws, const Tensor& x,
                                std::span<Tensor* const> ys) = 0;
};

// Backends without encoder kernels say so instead of computing something else.
inline void Ops::gelu(const Tensor&, Tensor&) {
  throw std::runtime_error(backend_name() + ": the gelu op is not implemented");
}
inline void Ops::self_attention(const Tensor&, const Tensor&, const Tensor&,
                                std::span<const AttentionSeq>, const AttentionParams&, Tensor&) {
  throw std::runtime_error(backend_name() + ": the self_attention op is not implemented");
}

}  // namespace rmlx::sdk
