// Causal (optionally sliding-window, soft-capped) grouped-query attention of new query
// rows against a paged KV cache, with an online softmax: each K/V row of a block is
// decoded once and scored against every query head of its group.
//
// Cache layout, per layer and separately for K and V: blocks of `block_size` tokens,
// block-major, [block][kv_head][token_in_block][row], one row = one token of one KV
// head in the layer's row encoding (RowCodec; float16 by default).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "rmlx/kernels/isa.h"

namespace rmlx::kernels::attn {

// How one token row of one KV head is stored. The built-in encodings are float16 and
// float32; any other (a KV codec plugin) supplies its own functions.
struct RowCodec {
  std::size_t row_bytes = 0;  // bytes per row (all rows of a block are contiguous)
  // Decodes n consecutive rows (n * row_bytes bytes) into n * head_dim floats.
  void (*decode)(const void* ctx, const void* src, int n, int head_dim, float* dst) = nullptr;
  // Encodes n rows of head_dim floats into n * row_bytes bytes.
  void (*encode)(const void* ctx, const float* src, int n, int head_dim, void* dst) = nullptr;
  const void* ctx = nullptr;
  // Set together when rows are stored in a fixed orthogonal basis R (see
  // sdk::KvCodec::has_rotation): attention then rotates the queries once, reads
  // rows as R x with decode_rotated, and (for V) rotates its output back once.
  void (*decode_rotated)(const void* ctx, const void* src, int n, int head_dim,
                         float* dst) = nullptr;
  void (*rotate)(const void* ctx, float* x, int n, int head_dim) = nullptr;    // x <- R x
  void (*unrotate)(const void* ctx, float* x, int n, int head_dim) = nullptr;  // x <- R^T x

  static RowCodec f16(int head_dim);
  static RowCodec f32(int head_dim);
};

struct KvLayer {
  void* k_blocks = nullptr;
  void* v_blocks = nullptr;
  int block_size = 0;  // tokens per block
  int n_kv_heads = 0;
  int head_dim = 0;
  RowCodec k_codec;
  RowCodec v_codec;
};

struct Params {
  int n_heads = 0;
  int n_kv_heads = 0;
  int head_dim = 0;
  float scale = 0.0f;      // usually 1/sqrt(head_dim)
  int sliding_window = 0;  // > 0: position p sees keys p - window + 1 .. p
  float softcap = 0.0f;    // > 0: scores become softcap * tanh(scores / softcap)
};

// One sequence: its cache blocks in order; start_pos tokens were cached before this
// step and n_new rows are new (already written with write_kv).
struct Sequence {
  std::span<const std::int32_t> block_table;
  std::int32_t start_pos = 0;
  std::int32_t n_new = 0;
};

// Stores k and v rows [n_new, n_kv_heads, head_dim] at positions start_pos.. .
void write_kv(const KvLayer& kv, const Sequence& seq, const float* k, const float* v);

// q: [n_new, n_heads, head_dim] -> out: [n_new, n_heads, head_dim].
// Throws std::invalid_argument when the shapes disagree or the block table is short.
void attention(const Exec& exec, const KvLayer& kv, const Sequence& seq, const Params& p,
               const float* q, float* out);

// Plain reference: every score, a full softmax in double precision.
void attention_reference(const KvLayer& kv, const Sequence& seq, const Params& p, const float* q,
                         float* out);

}  // namespace rmlx::kernels::attn
