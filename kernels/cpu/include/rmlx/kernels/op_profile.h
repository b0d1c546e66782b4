// Where a forward step's time goes on the CPU: per-op wall time, kept by the CPU backend
// when RMLX_CPU_PROFILE is set (no clock is read otherwise) and printed when the ops
// object goes away. The affine weight format adds its matmuls through
// Ops::native("cpu.profile").
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

namespace rmlx::kernels {

class OpProfile {
 public:
  enum Op : int {
    affine_linear,  // LinearWeight::apply of the affine format
    affine_shared,  // q/k/v, gate/up through apply_shared
    dense_linear,
    gather_rows,
    rms_norm,
    rope,
    glu,
    add,
    attention,
    other_ops,
    kOpCount
  };
  using Clock = std::chrono::steady_clock;

  void record(Op op, Clock::duration d) {
    seconds_[op] += std::chrono::duration<double>(d).count();
    ++calls_[op];
  }
  // Marks the start of a forward step; the time between two marks is one step.
  void step();
  // One line per op: calls and microseconds per step, share of the step time.
  std::string report() const;

 private:
  std::array<double, kOpCount> seconds_{};
  std::array<std::int64_t, kOpCount> calls_{};
  Clock::time_point last_step_{};
  double step_seconds_ = 0.0;
  std::int64_t steps_ = 0;
};

// Adds the scope's duration to `profile` (nothing when it is null).
class ProfileScope {
 public:
  ProfileScope(OpProfile* profile, OpProfile::Op op) : profile_(profile), op_(op) {
    if (profile_ != nullptr) t0_ = OpProfile::Clock::now();
  }
  ~ProfileScope() {
    if (profile_ != nullptr) profile_->record(op_, OpProfile::Clock::now() - t0_);
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  OpProfile* profile_;
  OpProfile::Op op_;
  OpProfile::Clock::time_point t0_{};
};

}  // namespace rmlx::kernels
