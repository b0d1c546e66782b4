// A recorded decode step (see cuda_graphs.cpp): its CUDA graph, the pinned
// inputs it copies to the device, its scratch and its pinned logits.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cuda_ops.h"

namespace rmlx::backend_cuda {

struct CudaOps::StepGraph {
  StepKey key;
  bool recordable = true;
  // The first step of a shape runs op by op: kernels that size their buffers
  // on first use (tensor-core workspace) do so outside the recording.
  int plain_runs = 0;
  cudaGraphExec_t exec = nullptr;
  // Inputs: [tokens B][positions B][logit rows B][attention ints][sampling 8 B].
  PinnedBuffer host_in;
  DeviceBuffer dev_in;
  std::size_t off_positions = 0, off_rows = 0, off_attn = 0, off_sampling = 0, n_ints = 0;
  std::size_t table_cap = 0;  // ints left for the block tables
  bool attn_packed = false;
  PinnedBuffer host_logits;
  std::size_t logits_bytes = 0;
  bool logits_recorded = false;
  std::vector<DeviceBuffer> arena;  // the recorded ops' scratch
  std::vector<std::uintptr_t> arena_starts;
  std::int32_t* in() const { return static_cast<std::int32_t*>(host_in.get()); }
  std::int32_t* dev() const { return static_cast<std::int32_t*>(dev_in.get()); }
  ~StepGraph() {
    if (exec != nullptr) cudaGraphExecDestroy(exec);
  }
};

}  // namespace rmlx::backend_cuda
