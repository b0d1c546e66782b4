#include "cpu_ops.h"

#include <rmlx/sdk/kv_codec.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "rmlx/kernels/encoder.h"
#include "rmlx/kernels/half.h"
#include "rmlx/kernels/linear.h"
#include "rmlx/kernels/ops.h"
#include "rope_params.h"

namespace rmlx::backend_cpu {

namespace {

kernels::FloatType float_type(const sdk::Tensor& t, const char* what) {
  switch (t.dtype) {
    case sdk::DType::f32:
      return kernels::FloatType::f32;
    case sdk::DType::f16:
      return kernels::FloatType::f16;
    case sdk::DType::bf16:
      return kernels::FloatType::bf16;
    default:
      throw std::invalid_argument(std::string("cpu: ") + what + " must be F32, F16 or BF16, got " +
                                  std::string(sdk::dtype_name(t.dtype)));
  }
}

void require_f32(const sdk::Tensor& t, const char* what) {
  if (t.dtype != sdk::DType::f32) {
    throw std::invalid_argument(std::string("cpu: ") + what + " must be F32 activations");
  }
}

float load(const void* data, kernels::FloatType type, std::int64_t i) {
  switch (type) {
    case kernels::FloatType::f32:
      return static_cast<const float*>(data)[i];
    case kernels::FloatType::f16:
      return kernels::f16_to_f32(static_cast<const std::uint16_t*>(data)[i]);
    case kernels::FloatType::bf16:
      return kernels::bf16_to_f32(static_cast<const std::uint16_t*>(data)[i]);
  }
  return 0.0f;
}

// A KV codec from a plugin, called through its virtual interface.
void codec_decode(const void* ctx, const void* src, int n, int head_dim, float* dst) {
  static_cast<const sdk::KvCodec*>(ctx)->decode(src, n, head_dim, dst);
}
void codec_encode(const void* ctx, const float* src, int n, int head_dim, void* dst) {
  static_cast<const sdk::KvCodec*>(ctx)->encode(src, n, head_dim, dst);
}
void codec_decode_rotated(const void* ctx, const void* src, int n, int head_dim, float* dst) {
  static_cast<const sdk::KvCodec*>(ctx)->decode_rotated(src, n, head_dim, dst);
}
void codec_rotate(const void* ctx, float* x, int n, int head_dim) {
  static_cast<const sdk::KvCodec*>(ctx)->rotate(x, n, head_dim);
}
void codec_unrotate(const void* ctx, float* x, int n, int head_dim) {
  static_cast<const sdk::KvCodec*>(ctx)->unrotate(x, n, head_dim);
}

}  // namespace

CpuOps::CpuOps(int threads) {
  pool_ = std::make_unique<kernels::ThreadPool>(threads);
  exec_.isa = kernels::select_isa();
  exec_.pool = pool_.get();
  const char* profile = std::getenv("RMLX_CPU_PROFILE");
  if (profile != nullptr && *profile != '\0' && std::string_view(profile) != "0") {
    profile_ = std::make_unique<kernels::OpProfile>();
  }
}

CpuOps::~CpuOps() {
  if (profile_) std::fputs(profile_->report().c_str(), stderr);
}

void* CpuOps::native(std::string_view key) {
  if (key == "cpu.exec") return &exec_;
  if (key == "cpu.profile") return profile_.get();
  return nullptr;
}

sdk::Tensor CpuOps::scratch(sdk::DType dtype, std::vector<std::int64_t> shape) {
  sdk::Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  // Whole cache lines, so rows written by different threads never share one.
  const std::size_t floats = (t.nbytes() + 63) / 64 * 16;
  if (next_chunk_ == chunks_.size()) chunks_.emplace_back();
  Chunk& c = chunks_[next_chunk_++];
  if (c.floats < floats) {
    void* p = std::aligned_alloc(64, floats * sizeof(float));
    if (p == nullptr) throw std::bad_alloc();
    c.data.reset(static_cast<float*>(p));
    c.floats = floats;
  }
  t.data = c.data.get();
  return t;
}

void CpuOps::begin_step() {
  next_chunk_ = 0;
  if (profile_) profile_->step();
}

void CpuOps::dense_linear(const sdk::Tensor& w, const sdk::Tensor* bias, const sdk::Tensor& x,
                          sdk::Tensor& y) {
  const kernels::ProfileScope scope(profile_.get(), kernels::OpProfile::dense_linear);
  require_f32(x, "dense_linear input");
  const auto type = float_type(w, "dense_linear weight");
  const std::int64_t out = w.dim(0), in = w.dim(1), n = x.numel() / in;
  if (x.numel() != n * in || y.numel() != n * out) {
    throw std::invalid_argument("cpu: dense_linear shapes disagree");
  }
  kernels::linear::FloatWeight fw{w.data, type, out, in};
  kernels::linear::matmul(exec_, fw, x.as<const float>(), n, y.as<float>());
  if (bias != nullptr) {
    const kernels::FloatType bias_type = float_type(*bias, "dense_linear bias");
    float* ys = y.as<float>();
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t r = 0; r < out; ++r) ys[i * out + r] += load(bias->data, bias_type, r);
    }
  }
}

void CpuOps::gather_rows(const sdk::Tensor& table, std::span<const std::int32_t> rows,
                         sdk::Tensor& out) {
  const kernels::ProfileScope scope(profile_.get(), kernels::OpProfile::gather_rows);
  require_f32(out, "gather_rows output");
  kernels::ops::embedding(table.data, float_type(table, "gather_rows table"), table.dim(0),
                          table.numel() / table.dim(0), rows.data(),
                          static_cast<std::int64_t>(rows.size()), out.as<float>());
}

const float* CpuOps::f32_weight(const sdk::Tensor& w, std::int64_t n) {
  if (w.dtype == sdk::DType::f32) return w.as<float>();
  const auto type = float_type(w, "norm weight");
  auto& v = f32_weights_[{w.data, static_cast<int>(w.dtype), n}];
  if (v.empty()) {
    v.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = load(w.data, type, i);
  }
  return v.data();
}

void CpuOps::rms_norm(const sdk::Tensor& x, const sdk::Tensor& weight, float eps,
                      sdk::Tensor& out) {
  const kernels::ProfileScope scope(profile_.get(), kernels::OpProfile::rms_norm);
  require_f32(x, "rms_norm input");
  const std::int64_t dim = x.dim(-1);
  if (weight.numel() != dim) {
    throw std::invalid_argument("cpu: rms_norm weight has " + std::to_string(weight.numel()) +
                                " values for rows of " + std::to_string(dim));
  }
  kernels::ops::rms_norm(exec_, x.as<float>(), f32_weight(weight, dim), x.numel() / dim, dim, eps,
                         out.as<float>());
}

void CpuOps::layer_norm(const sdk::Tensor& x, const sdk::Tensor& weight, const sdk::Tensor* bias,
                        float eps, sdk::Tensor& out) {
  const kernels::ProfileScope scope(profile_.get(), kernels::OpProfile::other_ops);
  require_f32(x, "layer_norm input");
  require_f32(weight, "layer_norm weight");
  if (bias != nullptr) require_f32(*bias, "layer_norm bias");
  const std::int64_t dim = x.dim(-1);
  kernels::ops::layer_norm(exec_, x.as<float>(), weight.as<float>(),
                           bias != nullptr ? bias->as<float>() : nullptr, x.numel() / dim, dim, eps,
                           out.as<float>());
}

const kernels::rope::Rope& CpuOps::rope_for(int head_dim, const sdk::RopeParams& p) {
  std::vector<float> key = rope_key(head_dim, p);
  for (const auto& [k, r] : ropes_) {
    if (k == key) return *r;
  }
  ropes_.emplace_back(std::move(key),
                      std::make_unique<kernels::rope::Rope>(rope_config(head_dim, p, "cpu")));
  return *ropes_.back().second;
}

void CpuOps::rope(sdk::Tensor& x, std::span<const std::int32_t> positions,
                  const sdk::RopeParams& p) {
  const kernels::ProfileScope scope(profile_.get(), kernels::OpProfile::rope);
  require_f32(x, "rope input");
  const int heads = static_cast<int>(x.dim(1));
  const int head_dim = static_cast<int>(x.dim(2));
  rope_for(head_dim, p).apply(exec_, x.as<float>(), x.dim(0), heads, positions.data());
}

void CpuOps::glu(const sdk::Tensor& gate, const sdk::Tensor& up, bool gelu_tanh, sdk::Tensor& out) {
  const kernels::ProfileScope scope(profile_.get(), kernels::OpProfile::glu);
  kernels::ops::glu(exec_, gate.as<float>(), up.as<float>(), gate.numel(),
                    gelu_tanh ? kernels::ops::Glu::gelu_tanh : kernels::ops::Glu::silu,
                    out.as<float>());
}

void CpuOps::add(const sdk::Tensor& a, const sdk::Tensor& b, sdk::Tensor& out) {
  const kernels::ProfileScope scope(profile_.get(), kernels::OpProfile::add);
  kernels::ops::add(exec_, a.as<float>(), b.as<float>(), a.numel(), out.as<float>());
}

kernels::attn::RowCodec CpuOps::row_codec(const sdk::KvCodec* codec, int head_dim) const {
  if (codec == nullptr || codec->name() == "f16") return kernels::attn::RowCodec::f16(head_dim);
  kernels::attn::RowCodec rc;
  rc.row_bytes = codec->bytes_per_head_token(head_dim);
  rc.decode = &codec_decode;
  rc.encode = &codec_encode;
  rc.ctx = codec;
  if (codec->has_rotation()) {
    rc.decode_rotated = &codec_decode_rotated;
    rc.rotate = &codec_rotate;
    rc.unrotate = &codec_unrotate;
  }
  return rc;
}

void CpuOps::attention(const sdk::Tensor& q, const sdk::Tensor& k, const sdk::Tensor& v,
                       const sdk::KvLayerView& kv, std::span<const sdk::AttentionSeq> seqs,
                       const sdk::AttentionParams& p, sdk::Tensor& out) {
  const kernels::ProfileScope scope(profile_.get(), kernels::OpProfile::attention);
  kernels::attn::KvLayer layer;
  layer.k_blocks = kv.k_blocks;
  layer.v_blocks = kv.v_blocks;
  layer.block_size = kv.block_size;
  layer.n_kv_heads = kv.n_kv_heads;
  layer.head_dim = kv.head_dim;
  layer.k_codec = row_codec(kv.k_codec, kv.head_dim);
  layer.v_codec = row_codec(kv.v_codec, kv.head_dim);
  kernels::attn::Params params;
  params.n_heads = p.n_heads;
  params.n_kv_heads = p.n_kv_heads;
  params.head_dim = p.head_dim;
  params.scale = p.scale;
  params.sliding_window = p.sliding_window;
  params.softcap = p.softcap;
  const std::int64_t q_row = static_cast<std::int64_t>(p.n_heads) * p.head_dim;
  const std::int64_t kv_row = static_cast<std::int64_t>(p.n_kv_heads) * p.head_dim;
  for (const auto& s : seqs) {
    kernels::attn::Sequence seq;
    seq.block_table = s.block_table;
    seq.start_pos = s.start_pos;
    seq.n_new = s.n_rows;
    kernels::attn::write_kv(layer, seq, k.as<float>() + s.first_row * kv_row,
                            v.as<float>() + s.first_row * kv_row);
    kernels::attn::attention(exec_, layer, seq, params, q.as<float>() + s.first_row * q_row,
                             out.as<float>() + s.first_row * q_row);
  }
}

void CpuOps::gelu(const sdk::Tensor& x, sdk::Tensor& out) {
  const kernels::ProfileScope scope(profile_.get(), kernels::OpProfile::other_ops);
  require_f32(x, "gelu input");
  require_f32(out, "gelu output");
  if (out.numel() != x.numel()) throw std::invalid_argument("cpu: gelu shapes disagree");
  kernels::encoder::gelu_erf(exec_, x.as<float>(), x.numel(), out.as<float>());
}

void CpuOps::self_attention(const sdk::Tensor& q, const sdk::Tensor& k, const sdk::Tensor& v,
                            std::span<const sdk::AttentionSeq> seqs, const sdk::AttentionParams& p,
                            sdk::Tensor& out) {
  const kernels::ProfileScope scope(profile_.get(), kernels::OpProfile::other_ops);
  require_f32(q, "self_attention q");
  require_f32(k, "self_attention k");
  require_f32(v, "self_attention v");
  const std::int64_t q_row = static_cast<std::int64_t>(p.n_heads) * p.head_dim;
  const std::int64_t kv_row = static_cast<std::int64_t>(p.n_kv_heads) * p.head_dim;
  const std::int64_t rows = q_row > 0 ? q.numel() / q_row : 0;
  for (const auto& s : seqs) {
    if (s.first_row < 0 || s.n_rows < 0 || s.first_row + s.n_rows > rows) {
      throw std::invalid_argument("cpu: self_attention sequence outside the batch");
    }
    kernels::encoder::SelfAttentionShape shape;
    shape.n_rows = s.n_rows;
    shape.n_heads = p.n_heads;
    shape.n_kv_heads = p.n_kv_heads;
    shape.head_dim = p.head_dim;
    shape.scale = p.scale;
    shape.causal = p.causal;
    kernels::encoder::self_attention(
        exec_, shape, q.as<float>() + s.first_row * q_row, k.as<float>() + s.first_row * kv_row,
        v.as<float>() + s.first_row * kv_row, out.as<float>() + s.first_row * q_row);
  }
}

}  // namespace rmlx::backend_cpu
