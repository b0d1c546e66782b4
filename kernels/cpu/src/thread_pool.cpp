#include "rmlx/kernels/thread_pool.h"

#include <sched.h>

#include <fstream>
#include <set>
#include <string>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace rmlx::kernels {

namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Spin iterations before sleeping: long enough to bridge the gap between two kernels
// of one forward pass, short enough not to burn a shared core while idle.
constexpr int kSpinIterations = 20000;

int read_int(const std::string& path) {
  std::ifstream f(path);
  int v = -1;
  if (f) f >> v;
  return v;
}

}  // namespace

int physical_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    const unsigned hc = std::thread::hardware_concurrency();
    return hc > 0 ? static_cast<int>(hc) : 1;
  }
  std::set<std::pair<int, int>> cores;
  int logical = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    ++logical;
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    const int core = read_int(base + "core_id");
    const int package = read_int(base + "physical_package_id");
    cores.emplace(package, core < 0 ? cpu : core);
  }
  const int n = cores.empty() ? logical : static_cast<int>(cores.size());
  return n > 0 ? n : 1;
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads > 0 ? n_threads : physical_cores()) {
  threads_.reserve(static_cast<std::size_t>(n_threads_ - 1));
  for (int i = 1; i < n_threads_; ++i) threads_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::execute(int index) {
  try {
    fn_(ctx_, index, n_threads_);
  } catch (...) {
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (!error_) error_ = std::current_exception();
  }
}

namespace {
constexpr std::uint64_t kActiveOne = 1;
constexpr std::uint64_t kActiveMask = 0xffff;
constexpr std::uint64_t kJoinedOne = std::uint64_t{1} << 16;
constexpr std::uint64_t kJoinedMask = std::uint64_t{0x7fff} << 16;
constexpr std::uint64_t kClosed = std::uint64_t{1} << 31;
}  // namespace

void ThreadPool::run_raw(RawFn fn, void* ctx, bool every_thread) {
  if (n_threads_ == 1) {
    fn(ctx, 0, 1);
    return;
  }
  std::lock_guard<std::mutex> lock(run_mutex_);
  fn_ = fn;
  ctx_ = ctx;
  error_ = nullptr;
  const std::uint32_t gen = generation_.load(std::memory_order_relaxed) + 1;
  job_.store(static_cast<std::uint64_t>(gen) << 32, std::memory_order_release);
  generation_.store(gen, std::memory_order_release);
  generation_.notify_all();
  execute(0);
  std::uint64_t s = every_thread ? job_.load(std::memory_order_acquire)
                                 : job_.fetch_or(kClosed, std::memory_order_acq_rel) | kClosed;
  const auto all_joined = static_cast<std::uint64_t>(n_threads_ - 1) * kJoinedOne;
  for (int spin = 0;; ++spin) {
    const bool done = (s & kActiveMask) == 0 && (!every_thread || (s & kJoinedMask) == all_joined);
    if (done) break;
    if (spin < kSpinIterations) {
      cpu_relax();
    } else {
      job_.wait(s, std::memory_order_acquire);
    }
    s = job_.load(std::memory_order_acquire);
  }
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

void ThreadPool::worker(int index) {
  std::uint32_t seen = 0;
  for (;;) {
    std::uint32_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen; ++spin) {
      if (spin < kSpinIterations) {
        cpu_relax();
      } else {
        generation_.wait(seen, std::memory_order_acquire);
      }
      gen = generation_.load(std::memory_order_acquire);
    }
    seen = gen;
    if (stop_.load(std::memory_order_acquire)) return;
    std::uint64_t s = job_.load(std::memory_order_acquire);
    bool joined = false;
    while ((s >> 32) == gen && (s & kClosed) == 0) {
      if (job_.compare_exchange_weak(s, s + kJoinedOne + kActiveOne, std::memory_order_acq_rel)) {
        joined = true;
        break;
      }
    }
    if (!joined) continue;  // the caller already finished this job
    execute(index);
    const std::uint64_t after = job_.fetch_sub(kActiveOne, std::memory_order_acq_rel) - kActiveOne;
    if ((after & kActiveMask) == 0) job_.notify_all();
  }
}

}  // namespace rmlx::kernels
