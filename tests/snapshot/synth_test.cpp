// Synthetic snapshots: loadable, shaped like the real model, deterministic per seed.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "rmlx/snapshot/model_info.h"
#include "rmlx/snapshot/snapshot.h"
#include "rmlx/synth/synth.h"
#include "test_util.h"

namespace rmlx::synth {
namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Synth, QuantizedQwen3ShapeLoadsAndIsDeterministic) {
  snapshot::test::ScratchDir dir("synth");
  SynthOptions o;
  o.like = "qwen3-0.6b";
  o.quant = "affine:4:64";
  o.layers = 1;
  o.seed = 7;
  o.out_dir = dir.file("a");
  const auto s = synthesize(o);
  o.out_dir = dir.file("b");
  synthesize(o);
  EXPECT_EQ(file_bytes(dir.file("a/model.safetensors")),
            file_bytes(dir.file("b/model.safetensors")));
  auto snap = snapshot::Snapshot::open(dir.file("a"));
  EXPECT_EQ(snap->architecture(), "Qwen3ForCausalLM");
  EXPECT_EQ(snap->config()["num_hidden_layers"], 1);
  const auto& q = snap->claim("model.layers.0.self_attn.q_proj.weight");
  EXPECT_EQ(q.dtype, sdk::DType::u32);
  EXPECT_EQ(q.shape, (std::vector<std::int64_t>{16 * 128, 1024 * 4 / 32}));
  const auto& k_norm = snap->claim("model.layers.0.self_attn.k_norm.weight");
  EXPECT_EQ(k_norm.shape, (std::vector<std::int64_t>{128}));
  EXPECT_EQ(k_norm.as<std::uint16_t>()[0], 0x3f80);  // bf16 1.0
  EXPECT_EQ(snapshot::describe(*snap->quant_for("model.embed_tokens")), "affine 4-bit g64");
  EXPECT_EQ(snap->find("lm_head.weight"), nullptr);  // tied, as the real model
  const auto info = snapshot::describe_model(*snap);
  EXPECT_EQ(info.parameters, s.parameters);
  // embed + 1 layer (q,k,v,o, gate/up/down, 2 norms, q/k norms) + final norm
  EXPECT_EQ(s.parameters, 151936ull * 1024 + (2048 * 1024 + 2 * 1024 * 1024 + 1024 * 2048) +
                              3ull * 3072 * 1024 + 2 * 1024 + 2 * 128 + 1024);
}

TEST(Synth, Bf16ShardedSnapshotAndRealConfigs) {
  snapshot::test::ScratchDir dir("synth");
  SynthOptions o;
  o.like = "smollm2-135m";
  o.layers = 2;
  o.out_dir = dir.file("m");
  o.max_shard_bytes = 20'000'000;
  const auto s = synthesize(o);
  EXPECT_EQ(s.shards, 2u);  // 56.6 MB of embeddings alone, then 18.9 MB of layers
  auto snap = snapshot::Snapshot::open(o.out_dir);
  EXPECT_EQ(snap->files().size(), 2u);
  const auto& emb = snap->claim("model.embed_tokens.weight");
  EXPECT_EQ(emb.shape, (std::vector<std::int64_t>{49152, 576}));
  EXPECT_EQ(emb.dtype, sdk::DType::bf16);
  EXPECT_FALSE(snap->quantization().present());
  // The 8B configurations as published: untied, llama3 rope scaling.
  const auto& llama8b = shape_named("llama-3.1-8b").config;
  EXPECT_EQ(llama8b["tie_word_embeddings"], false);
  EXPECT_EQ(llama8b["intermediate_size"], 14336);
  EXPECT_EQ(llama8b["rope_scaling"]["factor"], 8.0);
  EXPECT_EQ(shape_named("qwen3-8b").config["num_hidden_layers"], 36);
}

TEST(Synth, BadOptionsAreClearErrors) {
  snapshot::test::ScratchDir dir("synth");
  SynthOptions o;
  o.out_dir = dir.file("x");
  o.like = "gpt-5";
  try {
    synthesize(o);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown model shape 'gpt-5' (known: llama-3.2-1b, llama-3.1-8b, qwen3-0.6b, "
              "qwen3-8b, smollm2-135m)");
  }
  o.like = "smollm2-135m";
  o.quant = "affine:4";
  try {
    synthesize(o);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "--quant must be bf16 or affine:BITS:GROUP, not 'affine:4'");
  }
}

}  // namespace
}  // namespace rmlx::synth
