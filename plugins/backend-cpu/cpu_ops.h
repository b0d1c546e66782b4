// The op API on the CPU: float32 activations, weights read in place from the
// mapped snapshot, kernels from kernels/cpu picked for this CPU at start-up.
#pragma once

#include <rmlx/sdk/ops.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "rmlx/kernels/attention.h"
#include "rmlx/kernels/isa.h"
#include "rmlx/kernels/op_profile.h"
#include "rmlx/kernels/rope.h"
#include "rmlx/kernels/thread_pool.h"

namespace rmlx::backend_cpu {

// Not final: the engine's device-sampling test adds a host DeviceSampler to it.
class CpuOps : public sdk::Ops {
 public:
  explicit CpuOps(int threads);
  ~CpuOps() override;

  sdk::Device device() const override { return {sdk::DeviceKind::cpu, 0}; }
  std::string backend_name() const override { return "cpu"; }
  void* native(std::string_view key) override;
  sdk::Tensor upload(const sdk::Tensor& host) override { return host; }

  sdk::Tensor scratch(sdk::DType dtype, std::vector<std::int64_t> shape) override;
  void begin_step() override;

  void dense_linear(const sdk::Tensor& w, const sdk::Tensor* bias, const sdk::Tensor& x,
                    sdk::Tensor& y) override;
  void gather_rows(const sdk::Tensor& table, std::span<const std::int32_t> rows,
                   sdk::Tensor& out) override;
  void rms_norm(const sdk::Tensor& x, const sdk::Tensor& weight, float eps,
                sdk::Tensor& out) override;
  void layer_norm(const sdk::Tensor& x, const sdk::Tensor& weight, const sdk::Tensor* bias,
                  float eps, sdk::Tensor& out) override;
  void rope(sdk::Tensor& x, std::span<const std::int32_t> positions,
            const sdk::RopeParams& p) override;
  void glu(const sdk::Tensor& gate, const sdk::Tensor& up, bool gelu_tanh,
           sdk::Tensor& out) override;
  void add(const sdk::Tensor& a, const sdk::Tensor& b, sdk::Tensor& out) override;
  void attention(const sdk::Tensor& q, const sdk::Tensor& k, const sdk::Tensor& v,
                 const sdk::KvLayerView& kv, std::span<const sdk::AttentionSeq> seqs,
                 const sdk::AttentionParams& p, sdk::Tensor& out) override;
  void gelu(const sdk::Tensor& x, sdk::Tensor& out) override;
  void self_attention(const sdk::Tensor& q, const sdk::Tensor& k, const sdk::Tensor& v,
                      std::span<const sdk::AttentionSeq> seqs, const sdk::AttentionParams& p,
                      sdk::Tensor& out) override;

  const kernels::Exec& exec() const { return exec_; }

 private:
  const kernels::rope::Rope& rope_for(int head_dim, const sdk::RopeParams& p);
  kernels::attn::RowCodec row_codec(const sdk::KvCodec* codec, int head_dim) const;

  std::unique_ptr<kernels::ThreadPool> pool_;
  kernels::Exec exec_;
  // Per-op timing, only with RMLX_CPU_PROFILE set; printed to stderr at the end.
  std::unique_ptr<kernels::OpProfile> profile_;
  // Scratch arena: chunks kept across steps so steady-state decode allocates nothing.
  struct Chunk {
    std::unique_ptr<float[], void (*)(void*)> data{nullptr, &std::free};
    std::size_t floats = 0;
  };
  std::vector<Chunk> chunks_;
  std::size_t next_chunk_ = 0;
  std::vector<std::pair<std::vector<float>, std::unique_ptr<kernels::rope::Rope>>> ropes_;
  // 16-bit norm weights converted to float32 once, on first use (they live as long as
  // the mapped snapshot): keyed by (data, dtype, length).
  const float* f32_weight(const sdk::Tensor& w, std::int64_t n);
  std::map<std::tuple<const void*, int, std::int64_t>, std::vector<float>> f32_weights_;
};

}  // namespace rmlx::backend_cpu
