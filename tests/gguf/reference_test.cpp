// Comparisons against Python references, driven by environment variables set by
// ctest (each test skips when its inputs are absent):
//   RMLX_TEST_GGUF       a GGUF file
//   RMLX_TEST_REFERENCE  gguf_reference.py's JSON for it
//   RMLX_TEST_OUT        where the import writes its snapshots
//   RMLX_TEST_TOKENS     tokenizer_reference.py's JSON
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "rmlx/gguf/gguf_file.h"
#include "rmlx/gguf/import.h"
#include "rmlx/kernels/affine.h"
#include "rmlx/kernels/half.h"
#include "rmlx/snapshot/snapshot.h"
#include "rmlx/tokenizer/tokenizer.h"
#include "sha256.h"

namespace rmlx::gguf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

#define REQUIRE_FILE(var, path)   \
  const std::string var = (path); \
  if (var.empty() || !fs::exists(var)) GTEST_SKIP() << "missing " << #path;

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::vector<float> dequantize_all(const GgufTensor& t) {
  std::vector<float> out(t.numel());
  const std::int64_t cols = static_cast<std::int64_t>(t.ne[0]);
  const auto traits = *type_traits(t.type);
  const std::int64_t rows = static_cast<std::int64_t>(t.numel()) / cols;
  const std::int64_t row_bytes = cols / traits.block * traits.bytes;
  for (std::int64_t r = 0; r < rows; ++r) {
    dequantize_row(t.ggml_type(), t.data + r * row_bytes, out.data() + r * cols, cols);
  }
  return out;
}

TEST(GgufReference, EveryTensorDequantizesLikeGgufPy) {
  REQUIRE_FILE(path, env("RMLX_TEST_GGUF"));
  REQUIRE_FILE(ref_path, env("RMLX_TEST_REFERENCE"));
  const json ref = read_json(ref_path);
  auto f = GgufFile::open(path);
  ASSERT_EQ(ref.size(), f.tensors().size());
  std::size_t affine_checked = 0;
  for (const auto& t : f.tensors()) {
    const auto& r = ref.at(t.name);
    EXPECT_EQ(type_name(t.type), r.at("type").get<std::string>()) << t.name;
    EXPECT_EQ(t.shape(), r.at("shape").get<std::vector<std::int64_t>>()) << t.name;
    auto values = dequantize_all(t);
    EXPECT_EQ(snapshot::test::sha256_hex(values.data(), values.size() * 4),
              r.at("sha256").get<std::string>())
        << t.name << " (" << type_name(t.type) << ")";
    if (!has_affine_form(t.ggml_type())) continue;
    // The affine form (packed as MLX packs, float16 scales) dequantizes to the same floats.
    const std::int64_t cols = static_cast<std::int64_t>(t.ne[0]);
    const std::int64_t rows = static_cast<std::int64_t>(t.numel()) / cols;
    const int bits = affine_bits(t.ggml_type());
    const auto traits = *type_traits(t.type);
    std::vector<std::uint8_t> q(static_cast<std::size_t>(cols));
    std::vector<std::uint32_t> packed(static_cast<std::size_t>(rows * cols * bits / 32));
    std::vector<std::uint16_t> s16(static_cast<std::size_t>(rows * cols / 32)), b16(s16.size());
    std::vector<float> s32(s16.size()), b32(s16.size());
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::size_t g = static_cast<std::size_t>(r * cols / 32);
      ASSERT_TRUE(affine_row(t.ggml_type(), t.data + r * (cols / 32) * traits.bytes, cols, q.data(),
                             s16.data() + g, b16.data() + g, s32.data() + g, b32.data() + g));
      kernels::affine::pack_row(q.data(), cols, bits, packed.data() + r * cols * bits / 32);
    }
    std::vector<float> affine(values.size());
    kernels::affine::dequantize_to_f32(kernels::FloatType::f16, packed.data(), s16.data(),
                                       b16.data(), rows, cols, bits, 32, affine.data());
    // Equal as numbers; only the sign of a zero may differ (d * 0 keeps d's sign in GGUF,
    // s * q + b gives +0 in MLX), which no arithmetic on the weight can observe.
    std::size_t differ = 0, signed_zeros = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (std::memcmp(&affine[i], &values[i], 4) == 0) continue;
      if (affine[i] == 0.0f && values[i] == 0.0f) {
        ++signed_zeros;
      } else {
        ++differ;
      }
    }
    EXPECT_EQ(differ, 0u) << t.name;
    if (signed_zeros > 0)
      std::cout << t.name << ": " << signed_zeros << " zeros differ in sign only\n";
    ++affine_checked;
  }
  std::cout << f.tensors().size() << " tensors match gguf-py; " << affine_checked
            << " affine forms match\n";
}

// Reads tensor `name` of the snapshot as float32 rows (dequantizing affine modules).
std::vector<float> snapshot_values(snapshot::Snapshot& s, const std::string& hf, std::int64_t rows,
                                   std::int64_t cols) {
  std::vector<float> out(static_cast<std::size_t>(rows * cols));
  const std::string module = hf.substr(0, hf.size() - 7);
  if (auto spec = s.quant_for(module); spec && hf.size() > 7 && hf.ends_with(".weight")) {
    const auto& w = s.claim(module + ".weight");
    const auto& sc = s.claim(module + ".scales");
    const auto& bi = s.claim(module + ".biases");
    const auto type = sc.dtype == sdk::DType::f16    ? kernels::FloatType::f16
                      : sc.dtype == sdk::DType::bf16 ? kernels::FloatType::bf16
                                                     : kernels::FloatType::f32;
    kernels::affine::dequantize_to_f32(type, w.as<std::uint32_t>(), sc.data, bi.data, rows, cols,
                                       spec->bits, spec->group_size, out.data());
    return out;
  }
  const auto& t = s.claim(hf);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = t.dtype == sdk::DType::f32 ? t.as<float>()[i]
                                        : kernels::bf16_to_f32(t.as<std::uint16_t>()[i]);
  }
  return out;
}

// Imports the file and checks every written value against the GGUF's own
// dequantization, rows un-permuted for llama Q/K; `dequantize` stores all in bf16.
void check_import(bool dequantize, const std::string& out_name) {
  const std::string path = env("RMLX_TEST_GGUF"), out_root = env("RMLX_TEST_OUT");
  if (path.empty() || !fs::exists(path) || out_root.empty()) GTEST_SKIP() << "no GGUF";
  auto f = GgufFile::open(path);
  ImportOptions o;
  o.out_dir = (fs::path(out_root) / out_name).string();
  o.dequantize_all = dequantize;
  fs::remove_all(o.out_dir);
  const auto summary = import_gguf(f, o);
  const bool rope_freqs = f.find("rope_freqs.weight") != nullptr;
  EXPECT_EQ(summary.tensors_in, f.tensors().size() - (rope_freqs ? 1 : 0));
  auto snap = snapshot::Snapshot::open(o.out_dir);
  const auto hp = read_hparams(f);
  if (rope_freqs) {
    EXPECT_EQ(snap->config()["rope_scaling"]["rope_type"], "llama3");
    EXPECT_EQ(snap->config()["rope_scaling"]["factor"], 32.0);
  }
  for (const auto& t : f.tensors()) {
    if (t.name == "rope_freqs.weight") continue;
    const std::string hf = *hf_tensor_name(t.name);
    const std::int64_t cols = static_cast<std::int64_t>(t.ne[0]);
    const std::int64_t rows = static_cast<std::int64_t>(t.numel()) / cols;
    const auto src = dequantize_all(t);
    const auto got = snapshot_values(*snap, hf, rows, cols);
    const std::int64_t heads = permuted_heads(hp, hf);
    const bool exact = !dequantize && has_affine_form(t.ggml_type());
    std::size_t bad = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t sr = heads > 0 ? gguf_row_of(r, rows, heads) : r;
      for (std::int64_t c = 0; c < cols; ++c) {
        float want = src[static_cast<std::size_t>(sr * cols + c)];
        if (!exact) want = kernels::bf16_to_f32(kernels::f32_to_bf16(want));
        const float have = got[static_cast<std::size_t>(r * cols + c)];
        // Affine zeros are +0 where GGUF may give -0 (see above).
        bad += std::memcmp(&want, &have, 4) != 0 && !(exact && want == 0.0f && have == 0.0f);
      }
    }
    EXPECT_EQ(bad, 0u) << t.name << " -> " << hf;
  }
  EXPECT_TRUE(snap->unclaimed().empty());
  EXPECT_EQ(snap->architecture(), hp.hf_arch);
}

TEST(GgufImport, LosslessSnapshotEqualsGguf) {
  check_import(false, "imported");
}
TEST(GgufImport, DequantizedSnapshotEqualsGgufInBf16) {
  check_import(true, "imported-bf16");
}

TEST(GgufImport, TokenizerEncodesLikePythonTokenizers) {
  REQUIRE_FILE(tokens_path, env("RMLX_TEST_TOKENS"));
  const auto dir = (fs::path(env("RMLX_TEST_OUT")) / "imported").string();
  auto tok = tokenizer::Tokenizer::from_dir(dir);
  const json cases = read_json(tokens_path);
  ASSERT_GT(cases.size(), 0u);
  std::size_t mismatches = 0;
  for (const auto& c : cases) {
    const auto text = c.at("text").get<std::string>();
    const bool special = c.at("add_special_tokens").get<bool>();
    const auto ids = tok.encode(text, special);
    const auto want = c.at("ids").get<std::vector<std::int32_t>>();
    if (ids != want) {
      ++mismatches;
      ADD_FAILURE() << "text " << json(text).dump();
    }
  }
  std::cout << cases.size() - mismatches << "/" << cases.size() << " encodings identical\n";
}

}  // namespace
}  // namespace rmlx::gguf
