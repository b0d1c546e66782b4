// CUDA kernels behind the CUDA backend's op API. Every launcher is asynchronous
// on the given stream; activations are f32, weights keep their stored type.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace rmlx::kernels_cuda {

enum class WType : int { f32 = 0, f16 = 1, bf16 = 2 };

// A dense weight [rows, cols] row-major, or an MLX affine-quantized one: `packed`
// holds each row as a little-endian bit stream of `bits`-bit codes, and value
// = scale * code + bias per group of `group_size` columns.
struct WeightView {
  const void* data = nullptr;  // dense values or packed uint32 words
  WType type = WType::bf16;    // dense value type, or the scales'/biases' type
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  int bits = 0;  // 0: dense
  int group_size = 0;
  const void* scales = nullptr;
  const void* biases = nullptr;
};

// y[n, rows] = x[n, cols] * W^T. Picks a GEMV for small n, a tiled GEMM otherwise.
// rows_per_warp (1, 2, 4 or 8; 0: the default) tunes the single-row GEMV; 16 keeps
// affine weights off the tensor-core kernel (the SIMT defaults, for comparisons).
void linear(const WeightView& w, const float* x, std::int64_t n, float* y, cudaStream_t s,
            int rows_per_warp = 0);
// Affine weights of 2, 4 or 8 bits in groups of 32, 64 or 128 (not 2-bit g32) for
// 1..kAffineMmaMaxRows activation rows on tensor cores (affine_mma.cu): codes as exact
// bf16 integers, each activation split into `parts` bf16 parts (3: exact, 2: 16-17
// significant bits; 0: kAffineMmaThreePartsMaxRows decides), f32 accumulation per
// group. Returns false, queuing nothing, when the shape does not qualify.
inline constexpr std::int64_t kAffineMmaMaxRows = 128;
// kernels::linear takes it by default from this many rows on: below, the SIMT GEMVs
// are faster on an H100 (8B step, 4-bit g64: one row 4.2 ms SIMT against 4.8 ms; eight
// rows 12.6 ms SIMT against 8.3 ms; bench/gpu/NOTES.md, version 5).
inline constexpr std::int64_t kAffineMmaMinRows = 8;
inline constexpr std::int64_t kAffineMmaThreePartsMaxRows = 2;
bool affine_mma_applies(const WeightView& w, std::int64_t n);
// stage = false keeps the activations out of shared memory (for comparisons).
bool affine_mma_linear(const WeightView& w, const float* x, std::int64_t n, float* y,
                       cudaStream_t s, int parts = 0, bool stage = true);
// Several weights (dense, or affine of 2, 4 or 8 bits) reading the same single
// activation row — q/k/v, gate/up — in one launch: ys[i] = x W_i^T, bit for bit as
// kernels::linear's default computes it. Returns false, queuing nothing, where it
// does not apply (n other than 1, other widths, weights differing in columns / bits /
// group / value or scale type, more than kMaxSharedLinear weights).
inline constexpr int kMaxSharedLinear = 3;
bool linear_shared(const WeightView* ws, int count, const float* x, std::int64_t n,
                   float* const* ys, cudaStream_t s);
// Gate and up weights (4-bit affine, 4096-16384 columns) read by one activation row,
// with the GLU: g = x gate^T, u = x up^T and out = silu(g) * u (out may be g) in one
// launch, each value bit for bit as linear_shared and glu give it. linear_glu_applies:
// whether linear_glu takes these weights; linear_glu returns false, queuing nothing,
// where it does not.
// counter (optional): a device counter reading zero, which the launch leaves zero. With
// it, blocks claim batches of rows as they go instead of taking fixed runs (same values;
// the launch ends when the last batch does). It must not be the counter of a launch that
// may still run: the blocks draw from it before waiting on the kernel ahead of them.
// linear_glu_claims: whether a counter is used for these weights.
bool linear_glu_applies(const WeightView& gate, const WeightView& up);
bool linear_glu_claims(const WeightView& gate, const WeightView& up);
bool linear_glu(const WeightView& gate, const WeightView& up, const float* x, float* g, float* u,
                float* out, cudaStream_t s, unsigned* counter = nullptr);
// y[i, :] += bias (of type t) for every row i.
void add_bias(float* y, const void* bias, WType t, std::int64_t n, std::int64_t cols,
              cudaStream_t s);
// out[i] = W[ids[i]] as f32 (ids on the device).
void gather_rows(const WeightView& w, const std::int32_t* ids, std::int64_t n, float* out,
                 cudaStream_t s);

void rms_norm(const float* x, const void* w, WType wt, std::int64_t rows, std::int64_t dim,
              float eps, float* out, cudaStream_t s);
void layer_norm(const float* x, const float* w, const float* b, std::int64_t rows, std::int64_t dim,
                float eps, float* out, cudaStream_t s);
// x: [n, heads, head_dim]; inv_freq: [rotary_dim / 2] on the device.
void rope(float* x, std::int64_t n, int heads, int head_dim, int rotary_dim, bool traditional,
          const float* inv_freq, float position_scale, float x_scale, const std::int32_t* positions,
          cudaStream_t s);
void glu(const float* gate, const float* up, std::int64_t count, bool gelu_tanh, float* out,
         cudaStream_t s);
void add(const float* a, const float* b, std::int64_t count, float* out, cudaStream_t s);

// Paged attention over an f16 cache laid out [block][kv_head][token][head_dim].
struct AttnSeq {
  std::int32_t first_row;
  std::int32_t n_rows;
  std::int32_t start_pos;
  std::int32_t table_offset;  // into the concatenated block tables
};
struct AttnArgs {
  const float* q = nullptr;  // [rows, heads, head_dim]
  const float* k = nullptr;  // [rows, kv_heads, head_dim]
  const float* v = nullptr;
  float* out = nullptr;  // [rows, heads, head_dim]
  void* k_cache = nullptr;
  void* v_cache = nullptr;
  const AttnSeq* seqs = nullptr;          // device
  const std::int32_t* row_seq = nullptr;  // device: sequence of each row
  const std::int32_t* tables = nullptr;   // device
  int n_rows = 0;
  int n_seqs = 0;
  int block_size = 0;
  int n_heads = 0;
  int n_kv_heads = 0;
  int head_dim = 0;
  float scale = 0.0f;
  int sliding_window = 0;
  float softcap = 0.0f;
  int max_keys = 0;          // longest attended span of any row
  float* partial = nullptr;  // split-K workspace: splits * rows * heads * (head_dim + 2)
  int splits = 1;
  // With splits > 1: rows * heads counters, zero before the launch and left zero; the
  // last split of each (row, head) to finish merges the others (no second kernel).
  // Null: a separate merge kernel.
  unsigned* tickets = nullptr;
};
// Whether `splits` splits of a (row, heads) merge inside one thread-block cluster
// (2..16 splits; RMLX_CUDA_ATTN_CLUSTER=0: never), needing no workspace or counters.
bool attention_cluster_merge(int splits);
// Floats of split-K workspace attention() needs for these arguments.
std::int64_t attention_workspace(int n_rows, int n_heads, int head_dim, int splits);
// Query heads one attention block takes (they share a KV head).
int attention_heads_per_block(int n_heads, int n_kv_heads, int head_dim);
int attention_splits(int n_rows, int n_heads, int n_kv_heads, int head_dim, int max_keys);
void write_kv(const AttnArgs& a, cudaStream_t s);
void attention(const AttnArgs& a, cudaStream_t s);

}  // namespace rmlx::kernels_cuda
