#include "rmlx/kernels/op_profile.h"

#include <cstdio>

namespace rmlx::kernels {

void OpProfile::step() {
  const auto now = Clock::now();
  if (steps_ > 0) step_seconds_ += std::chrono::duration<double>(now - last_step_).count();
  last_step_ = now;
  ++steps_;
}

std::string OpProfile::report() const {
  static constexpr const char* kNames[kOpCount] = {"affine linear", "affine q/k/v+gate/up",
                                                   "dense linear",  "gather rows",
                                                   "rms_norm",      "rope",
                                                   "glu",           "add",
                                                   "attention",     "other ops"};
  // The last step has no end mark: averages are over the completed ones.
  const std::int64_t steps = steps_ > 1 ? steps_ - 1 : 1;
  const double step_us = step_seconds_ / static_cast<double>(steps) * 1e6;
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line,
                "cpu profile: %lld steps (the first runs the prompt), %.1f us per step\n",
                static_cast<long long>(steps_), step_us);
  out += line;
  double covered = 0.0;
  for (int op = 0; op < kOpCount; ++op) {
    if (calls_[op] == 0) continue;
    const double us = seconds_[op] / static_cast<double>(steps_) * 1e6;
    covered += us;
    std::snprintf(line, sizeof line, "  %-22s %8.1f calls/step %9.1f us/step %5.1f%%\n", kNames[op],
                  static_cast<double>(calls_[op]) / static_cast<double>(steps_), us,
                  step_us > 0.0 ? 100.0 * us / step_us : 0.0);
    out += line;
  }
  std::snprintf(line, sizeof line, "  %-22s %8s %20.1f us/step %5.1f%%\n", "outside these ops", "",
                step_us - covered, step_us > 0.0 ? 100.0 * (step_us - covered) / step_us : 0.0);
  out += line;
  return out;
}

}  // namespace rmlx::kernels
