// Snapshots written by mlx_lm.convert, read by rmlx: every tensor's name, shape, dtype
// and bytes must equal what mlx.core.load reads (manifest from mlx_manifest.py).
// RMLX_TEST_MLX_DIR names the folder with manifest.json and the converted snapshots.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "rmlx/snapshot/model_info.h"
#include "rmlx/snapshot/snapshot.h"
#include "sha256.h"

namespace rmlx::snapshot {
namespace {

namespace fs = std::filesystem;

TEST(MlxConvert, EveryTensorMatchesMlxLoad) {
  const char* root = std::getenv("RMLX_TEST_MLX_DIR");
  if (root == nullptr || !fs::exists(fs::path(root) / "manifest.json")) {
    GTEST_SKIP() << "no mlx_lm.convert output";
  }
  std::ifstream in(fs::path(root) / "manifest.json");
  const auto manifest = nlohmann::json::parse(in);
  ASSERT_EQ(manifest.size(), 3u);
  for (const auto& [variant, tensors] : manifest.items()) {
    auto snap = Snapshot::open((fs::path(root) / variant).string());
    EXPECT_EQ(snap->names().size(), tensors.size()) << variant;
    std::size_t copied = 0;
    for (const auto& [name, want] : tensors.items()) {
      const auto* t = snap->find(name);
      ASSERT_NE(t, nullptr) << variant << ": " << name;
      EXPECT_EQ(t->shape, want.at("shape").get<std::vector<std::int64_t>>())
          << variant << ": " << name;
      EXPECT_EQ(std::string(sdk::dtype_name(t->dtype)), want.at("dtype").get<std::string>())
          << variant << ": " << name;
      EXPECT_EQ(test::sha256_hex(t->data, t->nbytes()), want.at("sha256").get<std::string>())
          << variant << ": " << name;
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t->data) % sdk::dtype_size(t->dtype), 0u);
      copied += snap->location(name) != nullptr &&
                static_cast<const void*>(snap->files()[snap->location(name)->file].data(
                    *snap->location(name)->info)) != t->data;
    }
    EXPECT_EQ(copied, snap->copied_tensors()) << variant;
    const auto info = describe_model(*snap);
    EXPECT_EQ(info.parameters, 134515008u) << variant;  // logical size, quantized or not
    if (variant == "bf16") {
      EXPECT_TRUE(info.quantization.empty());
    } else {
      ASSERT_EQ(info.quantization.size(), 2u) << variant;
      const std::string spec = variant == "q4" ? "affine 4-bit g64" : "affine 8-bit g64";
      EXPECT_EQ(info.quantization[0].modules, "layers 0-29");
      EXPECT_EQ(info.quantization[0].description, spec);
      EXPECT_EQ(info.quantization[1].modules, "model.embed_tokens");
      EXPECT_EQ(info.quantization[1].description, spec);
    }
    std::cout << variant << ": " << tensors.size() << " tensors identical to mlx.core.load ("
              << snap->copied_tensors() << " misaligned, copied)\n";
  }
}

}  // namespace
}  // namespace rmlx::snapshot
