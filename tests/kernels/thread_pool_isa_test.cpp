// Thread pool behaviour and run-time instruction-set selection.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "rmlx/kernels/isa.h"
#include "rmlx/kernels/thread_pool.h"

namespace rmlx::kernels {
namespace {

TEST(ThreadPool, ParallelForVisitsEveryIndexOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (std::int64_t n : {0, 1, 7, 1000}) {
      for (int rep = 0; rep < 20; ++rep) {
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
        pool.parallel_for(n, 3, [&](std::int64_t b, std::int64_t e, int t) {
          ASSERT_GE(t, 0);
          ASSERT_LT(t, threads);
          for (std::int64_t i = b; i < e; ++i) hits[static_cast<std::size_t>(i)].fetch_add(1);
        });
        for (const auto& h : hits) ASSERT_EQ(h.load(), 1);
      }
    }
  }
}

TEST(ThreadPool, RunGivesEachThreadItsIndexAndRethrows) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> seen(3);
  pool.run([&](int t, int n) {
    EXPECT_EQ(n, 3);
    seen[static_cast<std::size_t>(t)].fetch_add(1);
  });
  for (const auto& s : seen) EXPECT_EQ(s.load(), 1);
  EXPECT_THROW(pool.run([](int t, int) {
    if (t == 2) throw std::runtime_error("worker failed");
  }),
               std::runtime_error);
  // Still usable after an exception.
  std::atomic<int> count{0};
  pool.run([&](int, int) { count.fetch_add(1); });
  EXPECT_EQ(count.load(), 3);
  EXPECT_GE(physical_cores(), 1);
}

TEST(Isa, EnvironmentSelectsOrRejectsAPath) {
  const char* old = std::getenv("RMLX_CPU_ISA");
  const std::string saved = old ? old : "";
  ::setenv("RMLX_CPU_ISA", "portable", 1);
  EXPECT_EQ(select_isa(), Isa::portable);
  ::setenv("RMLX_CPU_ISA", "sse9", 1);
  try {
    select_isa();
    ADD_FAILURE() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "RMLX_CPU_ISA=sse9: unknown value (expected portable, avx2 or avx512)");
  }
  for (Isa isa : {Isa::avx2, Isa::avx512}) {
    ::setenv("RMLX_CPU_ISA", std::string(isa_name(isa)).c_str(), 1);
    if (isa_supported(isa)) {
      EXPECT_EQ(select_isa(), isa);
    } else {
      EXPECT_THROW(select_isa(), std::runtime_error);
    }
  }
  ::unsetenv("RMLX_CPU_ISA");
  EXPECT_EQ(select_isa(), supported_isas().back());
  if (old) ::setenv("RMLX_CPU_ISA", saved.c_str(), 1);
}

}  // namespace
}  // namespace rmlx::kernels
