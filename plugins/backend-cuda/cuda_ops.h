// The op API on an NVIDIA GPU: weights uploaded once, activations and the KV
// cache resident in device memory, every op queued on one stream. The only
// host synchronisation is the copy of an output that lives in host memory
// (the logits the engine samples from).
#pragma once

#include <cuda_runtime_api.h>
#include <rmlx/sdk/architecture.h>
#include <rmlx/sdk/ops.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

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

class CudaOps final : public sdk::Ops {
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

  // y = x W^T (+ bias) for any weight the kernels know (dense or affine); y may
  // be host memory, then it is copied back before returning.
  void linear(const kernels_cuda::WeightView& w, const sdk::Tensor* bias, const sdk::Tensor& x,
              sdk::Tensor& y);
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

  // The decode-step recordings (cuda_graphs.cpp).
  struct StepGraph;
  struct StepKey {
    std::size_t batch = 0;
    int key_blocks = 0;  // longest key range, in attention splits of 256 keys
    const void* kv = nullptr;
    bool operator==(const StepKey&) const = default;
  };
  static bool decode_only(const sdk::ForwardBatch& b);
  StepKey step_key(const sdk::ForwardBatch& b) const;
  StepGraph& graph_for(const StepKey& key, const sdk::ForwardBatch& b, const sdk::Tensor& logits);
  void record(StepGraph& g, sdk::Tensor& logits, const std::function<void()>& forward);
  void fill_inputs(StepGraph& g, const sdk::ForwardBatch& b);
  void replay(StepGraph& g, sdk::Tensor& logits);
  // While recording: the ops' inputs, scratch and host output go to the graph's buffers.
  const std::int32_t* recorded_input(std::span<const std::int32_t> v);
  const std::int32_t* recorded_attention(std::span<const sdk::AttentionSeq> seqs, int n_rows,
                                         std::size_t table_len);
  void* graph_scratch(std::size_t bytes);
  void record_host_output(const sdk::Tensor& out, const sdk::Tensor& device_copy);
  const sdk::ForwardBatch* step_batch_ = nullptr;
  // Writes attention's staged ints: seqs (4 each), the row->seq map, the tables.
  static std::size_t pack_attention(std::span<const sdk::AttentionSeq> seqs, int n_rows,
                                    std::int32_t* h);
  std::vector<std::unique_ptr<StepGraph>> graphs_;
  StepGraph* recording_ = nullptr;  // non-null while forward is being recorded
  bool graphs_enabled_ = true;

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
