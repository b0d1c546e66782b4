// RMLX_CUDA_PROFILE: where a decode step's time goes.
//   =ops    decode steps run op by op (no graphs); each op is bracketed by a pair of
//           CUDA events and its device time summed per (op, shape); wall time per step
//           from one decode step's start to the next.
//   =graph  decode steps replay their graphs; each replay is bracketed by events
//           (device time of the whole step) beside the wall time per step; their
//           difference is the host's gap (inputs, launch, logits copy, sampling).
// The table goes to stderr when the backend is destroyed.
#pragma once

#include <cuda_runtime_api.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rmlx::backend_cuda {

class OpProfiler {
 public:
  enum class Mode { off, ops, graph };
  // Reads RMLX_CUDA_PROFILE; throws std::invalid_argument for an unknown value.
  static Mode mode_from_env();

  explicit OpProfiler(Mode mode) : mode_(mode) {}
  ~OpProfiler();
  OpProfiler(const OpProfiler&) = delete;
  OpProfiler& operator=(const OpProfiler&) = delete;

  Mode mode() const { return mode_; }
  // A decode step starts (wall clock) / ends; ops are timed only inside one.
  void step_begin(cudaStream_t s);
  void step_end(cudaStream_t s);
  // A step that is not a decode step: the next decode step's wall time starts afresh.
  void step_other() { have_last_ = false; }
  // Brackets one op on the stream (no-op outside a decode step or in graph mode).
  int op_begin(cudaStream_t s);
  void op_end(int slot, cudaStream_t s, std::string name);
  // Prints the table (stderr) and clears it.
  void report();

 private:
  cudaEvent_t event(std::size_t i);
  void collect();  // after the step's events completed

  Mode mode_;
  bool in_step_ = false;
  std::vector<cudaEvent_t> events_;
  std::size_t used_ = 0;
  struct Pending {
    int begin_slot;
    int end_slot;
    std::string name;
  };
  std::vector<Pending> pending_;
  int step_begin_slot_ = -1;
  struct Total {
    std::int64_t count = 0;
    double us = 0;
  };
  std::map<std::string, Total> totals_;
  std::int64_t steps_ = 0;
  double device_us_ = 0;  // whole-step device time (events around the step)
  double wall_s_ = 0;     // start of one decode step to the start of the next
  std::int64_t wall_steps_ = 0;
  bool have_last_ = false;
  std::chrono::steady_clock::time_point last_start_;
};

}  // namespace rmlx::backend_cuda
