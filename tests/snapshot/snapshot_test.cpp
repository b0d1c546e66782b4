// Writer round trips, sharded snapshots, config/quantization/generation parsing
// and claim tracking.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "rmlx/snapshot/error.h"
#include "rmlx/snapshot/model_info.h"
#include "rmlx/snapshot/safetensors_writer.h"
#include "rmlx/snapshot/snapshot.h"
#include "rmlx/snapshot/snapshot_writer.h"
#include "test_util.h"

namespace rmlx::snapshot {
namespace {

using sdk::DType;

std::vector<std::uint8_t> pattern(std::size_t n, int seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<std::uint8_t>((i * 131 + seed * 17) & 0xff);
  return v;
}

TEST(SafetensorsWriter, RoundTripsEveryDtypeInPieces) {
  test::ScratchDir dir("stw");
  const DType all[] = {DType::f64,     DType::f32, DType::f16, DType::bf16, DType::f8_e4m3,
                       DType::f8_e5m2, DType::i8,  DType::i16, DType::i32,  DType::i64,
                       DType::u8,      DType::u16, DType::u32, DType::u64,  DType::boolean};
  std::vector<TensorSpec> specs;
  int k = 0;
  for (auto t : all)
    specs.push_back({"t" + std::to_string(k++) + "." + std::string(sdk::dtype_name(t)), t, {3, 5}});
  specs.push_back({"empty", DType::f32, {0}});
  const auto path = dir.file("x.safetensors");
  {
    SafetensorsWriter w(path, specs);
    for (std::size_t i = 0; i < specs.size(); ++i) {
      auto bytes = pattern(specs[i].nbytes(), static_cast<int>(i));
      const std::size_t half = bytes.size() / 2;
      w.write(specs[i].name, bytes.data() + half, bytes.size() - half, half);  // second half first
      w.write(specs[i].name, bytes.data(), half, 0);
    }
    w.finish();
  }
  auto f = SafetensorsFile::open(path);
  EXPECT_EQ(f.metadata().at("format"), "mlx");
  ASSERT_EQ(f.tensors().size(), specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const TensorInfo* info = nullptr;
    for (const auto& t : f.tensors()) {
      if (t.name == specs[i].name) info = &t;
    }
    ASSERT_NE(info, nullptr) << specs[i].name;
    EXPECT_EQ(info->dtype, specs[i].dtype);
    EXPECT_EQ(info->shape, specs[i].shape);
    auto bytes = pattern(specs[i].nbytes(), static_cast<int>(i));
    if (!bytes.empty()) {
      EXPECT_EQ(std::memcmp(f.data(*info), bytes.data(), bytes.size()), 0) << specs[i].name;
    }
    // Natural alignment by construction.
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(f.data(*info)) % sdk::dtype_size(info->dtype), 0u);
  }
}

TEST(SafetensorsWriter, UnfinishedTensorIsAnErrorAndLeavesNoFile) {
  test::ScratchDir dir("stw");
  const auto path = dir.file("x.safetensors");
  {
    SafetensorsWriter w(path, {{"a", DType::f32, {4}}});
    float v[2] = {1, 2};
    w.write("a", v, sizeof v);
    try {
      w.finish();
      FAIL();
    } catch (const SnapshotError& e) {
      EXPECT_EQ(std::string(e.what()), path + ": tensor 'a': 8 of 16 bytes written");
    }
    EXPECT_THROW(w.write("a", v, sizeof v, 12), SnapshotError);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
}

void write_config(const test::ScratchDir& dir, const std::string& text) {
  write_text_file(dir.file("config.json"), text);
}

TEST(Snapshot, ShardedWeightsQuantizationOverridesAndClaims) {
  test::ScratchDir dir("snap");
  write_config(dir, R"({"architectures":["LlamaForCausalLM"],"model_type":"llama","eos_token_id":2,
    "quantization":{"group_size":64,"bits":4,"mode":"affine",
      "model.layers.0.mlp.down_proj":{"group_size":32,"bits":8},
      "model.layers.0.mlp.up_proj":false}})");
  write_text_file(dir.file("generation_config.json"),
                  R"({"eos_token_id":[2,7],"temperature":0.6,"top_p":0.9,"top_k":20})");
  write_text_file(dir.file("chat_template.jinja"), "{{ messages }}");
  write_text_file(dir.file("tokenizer.json"), "{}");
  std::vector<TensorSpec> specs = {
      {"model.layers.0.mlp.gate_proj.weight", DType::u32, {8, 8}},
      {"model.layers.0.mlp.gate_proj.scales", DType::bf16, {8, 1}},
      {"model.layers.0.mlp.gate_proj.biases", DType::bf16, {8, 1}},
      {"model.layers.0.mlp.down_proj.weight", DType::u32, {8, 16}},
      {"model.layers.0.mlp.down_proj.scales", DType::bf16, {8, 2}},
      {"model.layers.0.mlp.up_proj.weight", DType::bf16, {8, 64}},
      {"model.norm.weight", DType::bf16, {64}},
  };
  {
    ShardedWriter w(dir.path().string(), specs, /*max_shard_bytes=*/600);
    EXPECT_GT(w.shard_count(), 1u);
    for (const auto& s : specs) {
      auto b = pattern(s.nbytes(), 3);
      w.write(s.name, b.data(), b.size());
    }
    w.finish(1234);
  }
  auto snap = Snapshot::open(dir.path().string());
  EXPECT_EQ(snap->architecture(), "LlamaForCausalLM");
  EXPECT_GT(snap->files().size(), 1u);
  EXPECT_EQ(snap->names().size(), specs.size());
  auto gate = snap->quant_for("model.layers.0.mlp.gate_proj");
  ASSERT_TRUE(gate);
  EXPECT_EQ(describe(*gate), "affine 4-bit g64");
  auto down = snap->quant_for("model.layers.0.mlp.down_proj");
  ASSERT_TRUE(down);
  EXPECT_EQ(describe(*down), "affine 8-bit g32");
  EXPECT_FALSE(snap->quant_for("model.layers.0.mlp.up_proj"));
  EXPECT_FALSE(snap->quant_for("model.norm"));
  EXPECT_EQ(snap->generation().eos_token_ids, (std::vector<std::int64_t>{2, 7}));
  EXPECT_EQ(*snap->generation().temperature, 0.6);
  EXPECT_EQ(*snap->generation().top_k, 20);
  ASSERT_TRUE(snap->chat_template());
  EXPECT_EQ(*snap->chat_template(), "{{ messages }}");

  const auto& w = snap->claim("model.layers.0.mlp.down_proj.weight");
  EXPECT_EQ(w.dtype, DType::u32);
  EXPECT_EQ(w.shape, (std::vector<std::int64_t>{8, 16}));
  auto b = pattern(w.nbytes(), 3);
  EXPECT_EQ(std::memcmp(w.data, b.data(), b.size()), 0);
  snap->claim("model.norm.weight");
  EXPECT_EQ(snap->unclaimed().size(), specs.size() - 2);
  EXPECT_EQ(snap->unclaimed().front(), "model.layers.0.mlp.down_proj.scales");
  const auto info = describe_model(*snap);
  EXPECT_EQ(info.parameters, 512u + 512u + 512u + 64u);  // packed weights at logical size
  ASSERT_EQ(info.quantization.size(), 1u);
  EXPECT_EQ(info.quantization[0].modules, "layer 0");
  EXPECT_EQ(info.quantization[0].description,
            "mlp.gate_proj: affine 4-bit g64; mlp.down_proj: affine 8-bit g32");
  EXPECT_EQ(info.quant_modes, (std::set<std::string>{"affine"}));
  EXPECT_TRUE(info.chat_template);
  EXPECT_EQ(info.eos_ids, (std::vector<std::int64_t>{2, 7}));
  try {
    snap->claim("lm_head.weight");
    FAIL();
  } catch (const SnapshotError& e) {
    EXPECT_EQ(std::string(e.what()), dir.path().string() + ": missing tensor 'lm_head.weight'");
  }
}

TEST(Snapshot, MisalignedTensorsAreCopiedAligned) {
  test::ScratchDir dir("snap");
  write_config(dir, R"({"model_type":"llama"})");
  // Header of 5 bytes + a 2-byte tensor first: the U32 lands at file offset 15.
  std::string header =
      R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U32","shape":[2],"data_offsets":[2,10]}})";
  header += " ";
  std::string data = "xy";
  const std::uint32_t words[2] = {0xdeadbeef, 0x01234567};
  data.append(reinterpret_cast<const char*>(words), 8);
  test::write_bytes(dir.file("model.safetensors"), test::safetensors_bytes(header, data));
  auto snap = Snapshot::open(dir.path().string());
  const auto* b = snap->find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b->data) % 4, 0u);
  EXPECT_EQ(b->as<std::uint32_t>()[0], 0xdeadbeefu);
  EXPECT_EQ(b->as<std::uint32_t>()[1], 0x01234567u);
  EXPECT_EQ(snap->copied_tensors(), 1u);
  EXPECT_FALSE(snap->chat_template());
  EXPECT_TRUE(snap->generation().eos_token_ids.empty());
}

struct BadSnapshot {
  const char* name;
  std::string config;
  std::string extra_file, extra_text;
  std::string expected;  // after "<dir>/"
};

TEST(Snapshot, BadDirectoriesGetOneLine) {
  const BadSnapshot cases[] = {
      {"no_weights", R"({"model_type":"llama"})", "", "", ": no model*.safetensors files"},
      {"bad_config", R"({"model_type":)", "", "", "/config.json: not valid JSON (at byte 15)"},
      {"bad_quant", R"({"quantization":{"bits":"four"}})", "", "",
       "/config.json: quantization.bits: expected a positive integer, got \"four\""},
      {"bad_mode", R"({"quantization":{"bits":4,"mode":"int3"}})", "", "",
       "/config.json: quantization.mode: unknown quantization mode 'int3'"},
      {"bad_override", R"({"quantization":{"bits":4,"model.layers.0.mlp":{"bits":12}}})", "", "",
       "/config.json: quantization[\"model.layers.0.mlp\"].bits: 12 is above 8"},
      {"bad_eos", R"({"eos_token_id":"</s>"})", "", "",
       "/config.json: eos_token_id: expected an integer or a list, got \"</s>\""},
      {"bad_index", R"({})", "model.safetensors.index.json",
       R"({"weight_map":{"a":"model.safetensors"}})",
       "/model.safetensors.index.json: names missing file 'model.safetensors'"},
      {"awq", R"({"quantization_config":{"quant_method":"awq"}})", "", "",
       "/config.json: quantization_config.quant_method: 'awq' checkpoints must be converted to MLX "
       "first (mlx_lm.convert)"},
  };
  for (const auto& c : cases) {
    test::ScratchDir dir(c.name);
    write_config(dir, c.config);
    if (!c.extra_file.empty()) write_text_file(dir.file(c.extra_file), c.extra_text);
    try {
      Snapshot::open(dir.path().string());
      ADD_FAILURE() << c.name << ": no error";
    } catch (const SnapshotError& e) {
      EXPECT_EQ(std::string(e.what()), dir.path().string() + c.expected) << c.name;
    }
  }
}

}  // namespace
}  // namespace rmlx::snapshot
