// The turboquant rotation is orthogonal, fixed, and undone exactly on read.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "codebook.h"
#include "rotation.h"

namespace rmlx::kv_turboquant {
namespace {

TEST(TurboquantRotation, OrthogonalTo1e5) {
  const Rotation r;
  for (int n : {8, 64, 80, 128, 256}) {
    // Columns of R: the images of the unit vectors.
    std::vector<std::vector<float>> cols(static_cast<std::size_t>(n),
                                         std::vector<float>(static_cast<std::size_t>(n), 0.0f));
    for (int j = 0; j < n; ++j) {
      cols[j][j] = 1.0f;
      r.forward(cols[j].data(), n);
    }
    double worst = 0.0;
    for (int a = 0; a < n; ++a) {
      for (int b = 0; b < n; ++b) {
        double dot = 0.0;
        for (int i = 0; i < n; ++i) dot += static_cast<double>(cols[a][i]) * cols[b][i];
        worst = std::max(worst, std::fabs(dot - (a == b ? 1.0 : 0.0)));
      }
    }
    EXPECT_LT(worst, 1e-5) << "n=" << n;
    // inverse(forward(e_j)) = e_j
    for (int j = 0; j < n; ++j) {
      r.inverse(cols[j].data(), n);
      for (int i = 0; i < n; ++i) ASSERT_NEAR(cols[j][i], i == j ? 1.0f : 0.0f, 1e-6f);
    }
  }
}

TEST(TurboquantRotation, NotTheIdentityOrAPermutation) {
  const Rotation r;
  std::vector<float> e(64, 0.0f);
  e[5] = 1.0f;
  r.forward(e.data(), 64);
  for (float v : e) EXPECT_NEAR(std::fabs(v), 0.125f, 1e-6f);  // spread over all 64 coordinates
}

TEST(TurboquantCodebook, LloydMaxGaussianLevels) {
  // The known 16-level Lloyd-Max quantizer of N(0, 1).
  const Codebook cb = lloyd_max(0);
  const float expected[8] = {0.1284f, 0.3881f, 0.6568f, 0.9424f,
                             1.2562f, 1.6181f, 2.0690f, 2.7326f};
  for (int k = 0; k < 8; ++k) {
    EXPECT_NEAR(cb.levels[8 + k], expected[k], 2e-3f) << k;
    EXPECT_NEAR(cb.levels[7 - k], -expected[k], 2e-3f) << k;
  }
  EXPECT_EQ(cb.index(-100.0f), 0);
  EXPECT_EQ(cb.index(0.01f), 8);
  EXPECT_EQ(cb.index(100.0f), 15);
}

}  // namespace
}  // namespace rmlx::kv_turboquant
