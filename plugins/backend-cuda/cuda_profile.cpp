#include "cuda_profile.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace rmlx::backend_cuda {

namespace {

using Clock = std::chrono::steady_clock;

void check_event(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    throw std::runtime_error(std::string("cuda: profiler: ") + what + ": " + cudaGetErrorString(e));
  }
}

}  // namespace

OpProfiler::Mode OpProfiler::mode_from_env() {
  const char* v = std::getenv("RMLX_CUDA_PROFILE");
  if (v == nullptr || std::string_view(v).empty() || std::string_view(v) == "0") return Mode::off;
  if (std::string_view(v) == "ops" || std::string_view(v) == "1") return Mode::ops;
  if (std::string_view(v) == "graph") return Mode::graph;
  throw std::invalid_argument(
      std::string("cuda: RMLX_CUDA_PROFILE must be ops, graph or 0, got '") + v + "'");
}

OpProfiler::~OpProfiler() {
  if (mode_ != Mode::off) {
    try {
      report();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cuda profile: %s\n", e.what());
    }
  }
  for (cudaEvent_t e : events_) cudaEventDestroy(e);
}

cudaEvent_t OpProfiler::event(std::size_t i) {
  while (events_.size() <= i) {
    cudaEvent_t e = nullptr;
    check_event(cudaEventCreate(&e), "cudaEventCreate");
    events_.push_back(e);
  }
  return events_[i];
}

void OpProfiler::step_begin(cudaStream_t s) {
  if (mode_ == Mode::off) return;
  const auto now = Clock::now();
  if (have_last_) {
    wall_s_ += std::chrono::duration<double>(now - last_start_).count();
    ++wall_steps_;
  }
  last_start_ = now;
  have_last_ = true;
  in_step_ = true;
  used_ = 0;
  pending_.clear();
  step_begin_slot_ = static_cast<int>(used_++);
  check_event(cudaEventRecord(event(static_cast<std::size_t>(step_begin_slot_)), s), "record");
}

int OpProfiler::op_begin(cudaStream_t s) {
  if (mode_ != Mode::ops || !in_step_) return -1;
  const int slot = static_cast<int>(used_++);
  check_event(cudaEventRecord(event(static_cast<std::size_t>(slot)), s), "record");
  return slot;
}

void OpProfiler::op_end(int slot, cudaStream_t s, std::string name) {
  if (slot < 0) return;
  const int end = static_cast<int>(used_++);
  check_event(cudaEventRecord(event(static_cast<std::size_t>(end)), s), "record");
  pending_.push_back({slot, end, std::move(name)});
}

void OpProfiler::step_end(cudaStream_t s) {
  if (mode_ == Mode::off || !in_step_) return;
  const int end = static_cast<int>(used_++);
  check_event(cudaEventRecord(event(static_cast<std::size_t>(end)), s), "record");
  check_event(cudaEventSynchronize(event(static_cast<std::size_t>(end))), "synchronize");
  float ms = 0;
  check_event(cudaEventElapsedTime(&ms, event(static_cast<std::size_t>(step_begin_slot_)),
                                   event(static_cast<std::size_t>(end))),
              "elapsed");
  device_us_ += 1000.0 * ms;
  ++steps_;
  collect();
  in_step_ = false;
}

void OpProfiler::collect() {
  for (const Pending& p : pending_) {
    float ms = 0;
    check_event(cudaEventElapsedTime(&ms, event(static_cast<std::size_t>(p.begin_slot)),
                                     event(static_cast<std::size_t>(p.end_slot))),
                "elapsed");
    Total& t = totals_[p.name];
    ++t.count;
    t.us += 1000.0 * ms;
  }
  pending_.clear();
}

void OpProfiler::report() {
  if (steps_ == 0) return;
  const double n = static_cast<double>(steps_);
  std::fprintf(stderr, "cuda profile (%s): %lld decode steps\n",
               mode_ == Mode::ops ? "ops, no graphs" : "graph replays",
               static_cast<long long>(steps_));
  if (!totals_.empty()) {
    std::vector<std::pair<std::string, Total>> rows(totals_.begin(), totals_.end());
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.second.us > b.second.us; });
    double sum = 0;
    std::fprintf(stderr, "| op | launches per step | us per step | us per launch |\n");
    std::fprintf(stderr, "| --- | ---: | ---: | ---: |\n");
    for (const auto& [name, t] : rows) {
      std::fprintf(stderr, "| %s | %.1f | %.1f | %.2f |\n", name.c_str(),
                   static_cast<double>(t.count) / n, t.us / n, t.us / static_cast<double>(t.count));
      sum += t.us;
    }
    std::fprintf(stderr, "| sum of ops | | %.1f | |\n", sum / n);
  }
  std::fprintf(stderr, "device time per step (events around the step): %.1f us\n", device_us_ / n);
  if (wall_steps_ > 0) {
    std::fprintf(stderr, "wall time per decode step (start to next start): %.1f us\n",
                 1e6 * wall_s_ / static_cast<double>(wall_steps_));
  }
  if (wall_steps_ > 0) {
    std::fprintf(stderr, "host gap per step (wall - device): %.1f us\n",
                 1e6 * wall_s_ / static_cast<double>(wall_steps_) - device_us_ / n);
  }
  totals_.clear();
  steps_ = 0;
  device_us_ = wall_s_ = 0;
  wall_steps_ = 0;
}

}  // namespace rmlx::backend_cuda
