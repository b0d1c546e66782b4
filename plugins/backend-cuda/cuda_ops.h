// The op API on an NVIDIA GPU: weights uploaded once, activations and the KV
// cache resident in device memory, every op queued on one stream. The only
// host synchronisation is the copy of an output that lives in host memory
// (the logits the engine samples from).
#pragma once

#include <cuda_runtime_api.h>
#include <rmlx/sdk/architecture.h>
#include <rmlx/sdk/ops.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cuda_profile.h"
#include "rmlx/kernels_cuda/fused.h"
#include "rmlx/kernels_cuda/gemm.h"
#include "rmlx/kernels_cuda/kernels.h"

namespace rmlx::backend_cuda {

// Throws std::runtime_error naming the call when a CUDA API call fails.
void check(cudaError_t e, const char* what);

struct DeviceFree {
  void operator()(void* p) const { cudaFree(p); }
};
struct HostFree {
  void operator()(void* p) const { cudaFreeHost(p); }
};
using DeviceBuffer = std::unique_ptr<void, DeviceFree>;
using PinnedBuffer = std::unique_ptr<void, HostFree>;

// RMLX_CUDA_SHARED_LINEAR=0 applies q/k/v and gate/up one weight at a time (for
// comparisons); by default one decode row's weights that share x run as one launch.
inline bool shared_linear_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("RMLX_CUDA_SHARED_LINEAR");
    return v == nullptr || std::string_view(v) != "0";
  }();
  return on;
}

class CudaOps final : public sdk::Ops, public sdk::DeviceSampler, public sdk::SharedDenseLinear {
 public:
  explicit CudaOps(int device_index);
  ~CudaOps() override;

  sdk::Device device() const override { return {sdk::DeviceKind::cuda, device_index_}; }
  std::string backend_name() const override { return "cuda"; }
  void* native(std::string_view key) override;
  sdk::Tensor upload(const sdk::Tensor& host) override;

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

  // Decode steps (one new token per sequence) are recorded as a CUDA graph per
  // batch shape and replayed (cuda_graphs.cpp); anything else runs `forward`.
  void run_forward(const sdk::ForwardBatch& batch, sdk::Tensor& logits,
                   const std::function<void()>& forward) override;
  // Greedy steps: logits stay on the device, an argmax kernel picks each row's
  // token and only the ids are copied back (in the step's graph when recorded).
  void run_forward_greedy(const sdk::ForwardBatch& batch, std::int64_t vocab,
                          std::span<std::int32_t> tokens,
                          const std::function<void(sdk::Tensor& logits)>& forward) override;
  // Temperature / top-k / top-p / min-p draws on the device (kernels_cuda::sample_rows);
  // the rows' parameters are step inputs (in the graph's pinned inputs when recorded).
  void run_forward_sample(const sdk::ForwardBatch& batch, std::int64_t vocab,
                          std::span<const Row> rows, std::span<std::int32_t> tokens,
                          const std::function<void(sdk::Tensor& logits)>& forward) override;
  // Logit bias and penalties as edits of the logits on the device before the draw
  // (kernels_cuda::apply_logit_edits); such steps run op by op, not as a recorded graph.
  bool applies_logit_edits() const override { return true; }
  void run_forward_sample_edited(const sdk::ForwardBatch& batch, std::int64_t vocab,
                                 std::span<const Row> rows, std::span<const LogitEdit> edits,
                                 std::span<std::int32_t> tokens,
                                 const std::function<void(sdk::Tensor& logits)>& forward) override;

  // y = x W^T (+ bias) for any weight the kernels know (dense or affine); y may
  // be host memory, then it is copied back before returning.
  void linear(const kernels_cuda::WeightView& w, const sdk::Tensor* bias, const sdk::Tensor& x,
              sdk::Tensor& y);
  // Weights sharing x (q/k/v, gate/up) in one launch where the kernels allow it
  // (kernels_cuda::linear_shared); false: nothing ran, apply them one by one.
  bool linear_shared(std::span<const kernels_cuda::WeightView> ws, const sdk::Tensor& x,
                     std::span<sdk::Tensor* const> ys);
  bool run_shared_dense(std::span<const sdk::Tensor* const> ws, const sdk::Tensor& x,
                        std::span<sdk::Tensor* const> ys) override;
  void gather(const kernels_cuda::WeightView& w, std::span<const std::int32_t> ids,
              sdk::Tensor& out);
  cudaStream_t stream() const { return stream_; }
  kernels_cuda::TensorGemm& tensor_gemm() { return gemm_; }
  // Waits for every queued op.
  void synchronize();

 private:
  bool on_device(const void* p) const;
  void require_device(const sdk::Tensor& t, const char* what) const;
  // Host ints copied to the device for this step (same span twice: one copy).
  const std::int32_t* to_device(std::span<const std::int32_t> v);
  std::int32_t* stage(std::size_t n_ints, const std::int32_t** device_copy);
  const float* inv_freq_for(int head_dim, const sdk::RopeParams& p, float* position_scale,
                            float* x_scale, int* rotary_dim, bool* traditional);
  // Runs `op` into device scratch when `out` is host memory, then copies back.
  template <typename Op>
  void into(sdk::Tensor& out, Op&& op);

  // Deferred small ops (cuda_fusion.cpp). A residual add waits to see whether an
  // RMSNorm of its sum comes next (one fused kernel); in-place per-head norms and
  // ropes of q and k wait for the attention that writes k to the cache (one kernel
  // for all of them and the cache write); gate/up of one row wait for the GLU (one
  // GEMV that also applies it). Every other op runs what waits first, in order, so
  // results never depend on the fusion. RMLX_CUDA_FUSE=0 turns it off.
  // A decode row's GEMV on 4-bit weights waits too: when a residual add of its output
  // and an RMSNorm of the sum follow, and the norm feeds the next such GEMV, the two
  // GEMVs carry the add and the norm (kernels_cuda::ResidualNorm) and no kernel runs
  // between them. RMLX_CUDA_FUSE_NORM=0 keeps that one apart.
  struct PendingOp {
    enum class Kind { add, head_norm, rope, gate_up, linear1, norm } kind = Kind::add;
    const float* a = nullptr;  // add: out = a + b over count floats
    const float* b = nullptr;
    float* out = nullptr;
    std::int64_t count = 0;
    float* x = nullptr;  // head ops: x [rows, dim] in place (rope: rows = tokens)
    std::int64_t rows = 0;
    int dim = 0;  // head_norm: head_dim; rope: heads
    int head_dim = 0;
    const void* w = nullptr;  // head_norm
    kernels_cuda::WType wt = kernels_cuda::WType::f32;
    float eps = 0.0f;
    kernels_cuda::HeadPrep rope;        // rope: its rotary fields
    kernels_cuda::WeightView gate, up;  // gate_up: g = in gate^T, u = in up^T
    const float* in = nullptr;          // gate_up, linear1: the activation row
    float* g = nullptr;
    float* u = nullptr;
    kernels_cuda::WeightView lin;  // linear1: g = in lin^T (one row)
    bool after_attention = false;  // linear1: the first linear after an attention
    const float* nx = nullptr;     // norm: out = rms_norm(nx) * w, over dim = head_dim
  };
  void flush_pending();
  void run_pending(const PendingOp& op);
  // x W^T for n rows into device memory, on the kernel that takes the shape.
  void launch_linear(const kernels_cuda::WeightView& w, const float* x, std::int64_t n, float* y);
  // The operand of a waiting add that is not the waiting GEMV's output.
  static const float* residual_of(const PendingOp& linear1, const PendingOp& add) {
    return add.a == linear1.g ? add.b : add.a;
  }
  // The fields every deferred RMSNorm of x's rows carries (the caller sets kind and buffers).
  static PendingOp norm_op(const sdk::Tensor& x, const void* w, kernels_cuda::WType wt, float eps);
  bool only_head_ops_pending() const;
  bool fuse_add_rms_norm(const sdk::Tensor& x, const void* w, kernels_cuda::WType wt,
                         std::int64_t dim, float eps, float* out);
  // Replaces write_kv with the fused kernel when what waits is exactly q/k norms and ropes.
  bool fuse_prep_heads(const kernels_cuda::AttnArgs& a);
  // Runs a waiting gate/up with the GLU when it wrote exactly gate and up.
  bool fuse_gate_up_glu(const sdk::Tensor& gate, const sdk::Tensor& up, sdk::Tensor& out);
  // What waits is a GEMV, a residual add of its output and a norm of the sum into x.
  bool residual_chain_into(const float* x) const;
  // Runs that chain inside the GEMVs of the waiting GEMV and the consumer ws (with the
  // GLU into glu_out when given); false, with nothing run, where the kernels do not take them.
  bool run_residual_chain(std::span<const kernels_cuda::WeightView> ws, std::span<float* const> ys,
                          float* glu_out);
  bool fuse_norm_ = true;
  bool prep_early_ = true;  // RMLX_CUDA_PREP_EARLY=0: attention starts after the q/k prep waits
  bool after_attention_ = false;  // an attention ran and no linear since
  std::vector<PendingOp> pending_;
  bool fuse_ = true;
  // Ticket counters of the kernels whose last block finishes the work (the
  // multi-block argmax per row, split-K attention per (row, head)): zeroed once, each
  // launch leaves them zero; allocated outside a recording (null inside one until then).
  static constexpr std::int64_t kTickets = 65536;
  // 2..128 rows of 4-bit affine weights on tensor cores (affine_batch.cu: exact up to
  // 16 rows, f16 from 17), one prep of x for weights of the same columns; false,
  // running nothing, where that kernel does not take one of them.
  bool affine_batch(std::span<const kernels_cuda::WeightView> ws, const float* x, std::int64_t n,
                    std::span<float* const> ys);
  unsigned* tickets();
  DeviceBuffer tickets_;
  // Counters of the single-row gate/up launches whose blocks claim their rows
  // (kernels_cuda::linear_glu): one a launch of a step, so none is drawn from by two
  // launches that may overlap; each launch leaves its counter zero. Null past the last.
  static constexpr int kGluCounters = 4096;
  unsigned* glu_counter();
  DeviceBuffer glu_counters_;
  int glu_cursor_ = 0;

  // The decode-step recordings (cuda_graphs.cpp).
  struct StepGraph;
  struct StepKey {
    std::size_t batch = 0;
    bool greedy = false;   // the step's host output is token ids, not logits
    bool sampled = false;  // ... drawn by sample_rows from per-row parameters
    int key_blocks = 0;    // longest key range, in attention splits of 256 keys
    const void* kv = nullptr;
    bool operator==(const StepKey&) const = default;
  };
  static bool decode_only(const sdk::ForwardBatch& b);
  StepKey step_key(const sdk::ForwardBatch& b, bool greedy, bool sampled) const;
  // The sampling parameters of the step being run (sample_rows layout), or empty.
  std::vector<std::int32_t> step_sampling_;
  std::vector<std::int32_t> step_edits_;  // a sampled step's logit edits, as device words
  bool plain_step_ = false;               // run this step op by op (not recorded or replayed)
  // A step whose one host output (logits or token ids) is `out_bytes` at `host_out`.
  void run_step(const sdk::ForwardBatch& batch, void* host_out, std::size_t out_bytes, bool greedy,
                bool sampled, const std::function<void()>& forward);
  StepGraph& graph_for(const StepKey& key, const sdk::ForwardBatch& b, std::size_t out_bytes);
  void record(StepGraph& g, const std::function<void()>& forward);
  void fill_inputs(StepGraph& g, const sdk::ForwardBatch& b);
  void replay(StepGraph& g, void* host_out);
  // Copies a step's host output back (eager), or records the copy into the graph's pinned buffer.
  void host_output(void* host, const void* device, std::size_t bytes);
  // While recording: the ops' inputs, scratch and host output go to the graph's buffers.
  const std::int32_t* recorded_input(std::span<const std::int32_t> v);
  const std::int32_t* recorded_attention(std::span<const sdk::AttentionSeq> seqs, int n_rows,
                                         std::size_t table_len);
  void* graph_scratch(std::size_t bytes);
  void record_host_output(std::size_t bytes, const void* device);
  const sdk::ForwardBatch* step_batch_ = nullptr;
  // Writes attention's staged ints: seqs (4 each), the row->seq map, the tables.
  static std::size_t pack_attention(std::span<const sdk::AttentionSeq> seqs, int n_rows,
                                    std::int32_t* h);
  std::vector<std::unique_ptr<StepGraph>> graphs_;
  StepGraph* recording_ = nullptr;  // non-null while forward is being recorded
  bool graphs_enabled_ = true;
  bool device_sampling_ = true;       // RMLX_CUDA_SAMPLING=0: the engine samples on the host
  std::unique_ptr<OpProfiler> prof_;  // RMLX_CUDA_PROFILE (cuda_profile.h)

  int device_index_;
  cudaStream_t stream_ = nullptr;
  kernels_cuda::TensorGemm gemm_;                  // linears with many rows, on tensor cores
  std::map<std::uintptr_t, std::size_t> uploads_;  // start -> bytes
  std::vector<DeviceBuffer> owned_;
  struct Chunk {
    DeviceBuffer data;
    std::size_t bytes = 0;
  };
  std::vector<Chunk> chunks_;
  std::size_t next_chunk_ = 0;
  // Pinned host staging and its device twin for the step's small int arrays.
  PinnedBuffer host_ints_;
  DeviceBuffer dev_ints_;
  std::size_t ints_cap_ = 0, ints_used_ = 0;
  std::vector<DeviceBuffer> retired_;
  const std::int32_t* last_src_ = nullptr;
  std::size_t last_len_ = 0;
  const std::int32_t* last_copy_ = nullptr;
  const std::int32_t* last_host_ = nullptr;
  struct RopeEntry {
    std::vector<float> key;
    DeviceBuffer inv_freq;
    float position_scale, x_scale;
    int rotary_dim;
    bool traditional;
  };
  std::vector<RopeEntry> ropes_;
};

// Binds an MLX affine-quantized linear layer to the CUDA backend (uploaded once).
std::unique_ptr<sdk::LinearWeight> bind_affine(const sdk::Tensor& packed, const sdk::Tensor& scales,
                                               const sdk::Tensor& biases, const sdk::Tensor& bias,
                                               int bits, int group_size, CudaOps& ops);

}  // namespace rmlx::backend_cuda
