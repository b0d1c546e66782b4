// A fixed set of worker threads for data-parallel kernels. The calling thread takes
// part in every job; idle workers spin briefly (a decode step issues jobs back to
// back) and then sleep on a futex-backed atomic wait.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace rmlx::kernels {

// Physical cores this process may run on (logical CPUs of the affinity mask, with SMT
// siblings counted once); at least 1.
int physical_cores();

class ThreadPool {
 public:
  // n_threads counts the caller; 0 means physical_cores().
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Runs fn(thread_index, n_threads) once on every thread, the caller being index 0,
  // and returns when all are done. The first exception thrown is rethrown here.
  template <typename Fn>
  void run(Fn&& fn) {
    run_raw([](void* ctx, int t, int n) { (*static_cast<Fn*>(ctx))(t, n); }, &fn, true);
  }

  // Calls fn(begin, end, thread_index) over [0, n) in chunks of `grain` items, claimed
  // from a shared counter so that a slow (shared) core does not hold the others up.
  template <typename Fn>
  void parallel_for(std::int64_t n, std::int64_t grain, Fn&& fn) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (n_threads_ == 1 || n <= grain) {
      for (std::int64_t b = 0; b < n; b += grain) fn(b, b + grain < n ? b + grain : n, 0);
      return;
    }
    std::atomic<std::int64_t> next{0};
    auto body = [&](int t, int) {
      for (;;) {
        const std::int64_t b = next.fetch_add(grain, std::memory_order_relaxed);
        if (b >= n) break;
        fn(b, b + grain < n ? b + grain : n, t);
      }
    };
    // Workers that have not woken up by the time the caller ran out of chunks are not
    // waited for: on a shared machine a descheduled worker must not stall the step.
    run_raw([](void* ctx, int t, int nt) { (*static_cast<decltype(body)*>(ctx))(t, nt); }, &body,
            false);
  }

 private:
  using RawFn = void (*)(void*, int, int);
  // every_thread: wait until all workers ran fn; else close the job once the caller is
  // done and wait only for the workers that had joined it.
  void run_raw(RawFn fn, void* ctx, bool every_thread);
  void worker(int index);
  void execute(int index);

  int n_threads_;
  std::vector<std::thread> threads_;
  std::mutex run_mutex_;  // one job at a time
  RawFn fn_ = nullptr;
  void* ctx_ = nullptr;
  std::atomic<std::uint32_t> generation_{0};
  // The current job: [generation:32][closed:1][joined:15][active:16]. A worker joins by
  // incrementing joined and active while the generation matches and the job is open.
  std::atomic<std::uint64_t> job_{0};
  std::atomic<bool> stop_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

}  // namespace rmlx::kernels
