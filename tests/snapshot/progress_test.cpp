// The progress reporter's summary line and the default model location.
#include <gtest/gtest.h>

#include <cstdlib>

#include "rmlx/snapshot/default_model.h"
#include "rmlx/snapshot/progress.h"

namespace rmlx::snapshot {
namespace {

TEST(Progress, PrintsOneSummaryLineWithoutABarWhenNotLive) {
  ::setenv("RMLX_PROGRESS", "0", 1);
  testing::internal::CaptureStderr();
  {
    Progress p("convert x.gguf", 3'000'000);
    EXPECT_FALSE(p.live());
    p.add(1'000'000);
    p.add(2'500'000);
    p.finish("(done)");
    p.finish("(twice)");  // no second line
  }
  const std::string err = testing::internal::GetCapturedStderr();
  // "convert x.gguf: 3.5 MB in 0.0 s (... MB/s) (done)", one line.
  EXPECT_EQ(err.rfind("convert x.gguf: 3.5 MB in ", 0), 0u) << err;
  EXPECT_TRUE(err.ends_with("/s) (done)\n")) << err;
  EXPECT_EQ(err.find('\n'), err.size() - 1) << err;
  ::unsetenv("RMLX_PROGRESS");
}

TEST(Progress, ForcedLiveDrawsABarAndClearsIt) {
  ::setenv("RMLX_PROGRESS", "1", 1);
  testing::internal::CaptureStderr();
  {
    Progress p("synth", 0, /*bytes=*/false);
    EXPECT_TRUE(p.live());
  }  // destroyed unfinished: summary says so
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("synth: 0 in "), std::string::npos) << err;
  EXPECT_NE(err.find("(interrupted)"), std::string::npos) << err;
  ::unsetenv("RMLX_PROGRESS");
}

TEST(Progress, HumanBytes) {
  EXPECT_EQ(human_bytes(999), "999 B");
  EXPECT_EQ(human_bytes(1'500), "1.5 kB");
  EXPECT_EQ(human_bytes(98'351'368), "98.4 MB");
  EXPECT_EQ(human_bytes(5'020'000'000), "5.02 GB");
}

TEST(DefaultModel, FollowsCacheEnvironment) {
  ::setenv("RMLX_CACHE_DIR", "/srv/rmlx-cache", 1);
  EXPECT_EQ(default_model_dir(), "/srv/rmlx-cache/models/SmolLM2-135M-Instruct");
  ::unsetenv("RMLX_CACHE_DIR");
  ::setenv("XDG_CACHE_HOME", "/home/u/.xdg", 1);
  EXPECT_EQ(default_model_dir(), "/home/u/.xdg/rmlx/models/SmolLM2-135M-Instruct");
  ::unsetenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const std::string saved = home != nullptr ? home : "";
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(default_model_dir(), "/home/u/.cache/rmlx/models/SmolLM2-135M-Instruct");
  if (home != nullptr) ::setenv("HOME", saved.c_str(), 1);
}

}  // namespace
}  // namespace rmlx::snapshot
