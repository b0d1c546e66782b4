// Hand-made broken GGUF files and unsupported models: each gets its exact error line.
#include <gtest/gtest.h>

#include "gguf_builder.h"
#include "rmlx/gguf/gguf_file.h"
#include "rmlx/gguf/import.h"
#include "rmlx/gguf/tokenizer_files.h"
#include "test_util.h"

namespace rmlx::gguf {
namespace {

using test::GgufBuilder;

struct BadCase {
  const char* name;
  std::string bytes;
  const char* expected;  // after "<path>: "
};

std::vector<BadCase> bad_files() {
  const std::string f32x8(32, '\0');
  return {
      {"empty", "", "not a GGUF file (magic is not 'GGUF')"},
      {"magic", GgufBuilder(3, "GGML").bytes(), "not a GGUF file (magic is not 'GGUF')"},
      {"version1", GgufBuilder(1).bytes(), "GGUF version 1 is not supported (2 or 3)"},
      {"truncated_counts", GgufBuilder().bytes().substr(0, 12),
       "truncated tensor count (at byte 8)"},
      {"huge_kv_count", GgufBuilder().set_counts(0, 1ull << 40).bytes(),
       "metadata count 1099511627776 is implausible (at byte 24)"},
      {"key_too_long",
       GgufBuilder().set_counts(0, 1).u64(1ull << 40).raw("0123456789abcdef", 16).bytes(),
       "metadata key length 1099511627776 is implausible (at byte 32)"},
      {"bad_value_type", GgufBuilder().str("a.b").u32(99).bump_kv().bytes(),
       "'a.b': unknown value type 99 (at byte 39)"},
      {"bad_bool", GgufBuilder().str("flag").u32(7).u8(5).bump_kv().bytes(),
       "'flag': bool value 5 is not 0 or 1 (at byte 41)"},
      {"array_too_long", GgufBuilder().str("arr").u32(9).u32(4).u64(1000).u32(1).bump_kv().bytes(),
       "'arr': array of 1000 elements runs past the end (at byte 51)"},
      {"duplicate_key", GgufBuilder().kv_u32("k", 1).kv_u32("k", 2).bytes(),
       "duplicate metadata key 'k' (at byte 54)"},
      {"alignment", GgufBuilder().kv_u32("general.alignment", 12).bytes(),
       "general.alignment 12 is not a power of two"},
      {"zero_dims", GgufBuilder().tensor("w", {}, 0, 0).data("").bytes(),
       "tensor 'w': 0 dimensions (expected 1 to 4) (at byte 37)"},
      {"zero_extent", GgufBuilder().tensor("w", {8, 0}, 0, 0).data("").bytes(),
       "tensor 'w': dimension 0 is out of range (at byte 53)"},
      {"unknown_type", GgufBuilder().tensor("w", {8}, 77, 0).data(f32x8).bytes(),
       "tensor 'w': unknown ggml type 77 (at byte 57)"},
      {"partial_block", GgufBuilder().tensor("w", {48}, 2, 0).data(std::string(64, '\0')).bytes(),
       "tensor 'w': row of 48 elements is not a whole number of Q4_0 blocks of 32 (at byte 57)"},
      {"misaligned", GgufBuilder().tensor("w", {8}, 0, 4).data(f32x8).bytes(),
       "tensor 'w': offset 4 is not a multiple of the alignment 32 (at byte 57)"},
      {"past_end", GgufBuilder().tensor("w", {16}, 0, 0).data(f32x8).bytes(),
       "tensor 'w': data [0, 64) runs past the data section (32 bytes)"},
      {"overlap",
       GgufBuilder()
           .tensor("a", {16}, 0, 0)
           .tensor("b", {8}, 0, 32)
           .data(std::string(96, '\0'))
           .bytes(),
       "tensor 'b': data overlaps tensor 'a'"},
      {"duplicate_tensor",
       GgufBuilder()
           .tensor("a", {8}, 0, 0)
           .tensor("a", {8}, 0, 32)
           .data(std::string(64, '\0'))
           .bytes(),
       "tensor 'a': duplicate name (at byte 66)"},
  };
}

TEST(BadGguf, EachFileGetsItsExactErrorLine) {
  snapshot::test::ScratchDir dir("bad-gguf");
  for (const auto& c : bad_files()) {
    const auto path = dir.file(std::string(c.name) + ".gguf");
    snapshot::test::write_bytes(path, c.bytes);
    try {
      GgufFile::open(path);
      ADD_FAILURE() << c.name << ": no error";
    } catch (const GgufError& e) {
      EXPECT_EQ(std::string(e.what()), path + ": " + c.expected) << c.name;
    }
  }
}

// A tiny valid file with the given metadata and one F32 tensor.
std::string model_file(const std::string& arch, const std::string& tensor, std::uint32_t type,
                       const std::string& tok_model = "gpt2", const std::string& pre = "smollm") {
  GgufBuilder b;
  b.kv_str("general.architecture", arch)
      .kv_u32(arch + ".block_count", 1)
      .kv_u32(arch + ".embedding_length", 32)
      .kv_u32(arch + ".feed_forward_length", 64)
      .kv_u32(arch + ".attention.head_count", 2)
      .kv_str("tokenizer.ggml.model", tok_model)
      .kv_str("tokenizer.ggml.pre", pre)
      .kv_strings("tokenizer.ggml.tokens", {"a", "b", "ab"})
      .kv_strings("tokenizer.ggml.merges", {"a b"});
  b.tensor(tensor, {32}, type, 0).data(std::string(256, '\0'));
  return b.bytes();
}

TEST(BadGguf, UnsupportedModelsAreClearErrors) {
  snapshot::test::ScratchDir dir("bad-model");
  struct Case {
    const char* name;
    std::string bytes;
    std::string expected;
  };
  const Case cases[] = {
      {"arch", model_file("gemma3", "token_embd.weight", 0),
       "general.architecture: 'gemma3' is not supported (llama, qwen2, qwen3)"},
      {"tensor_name", model_file("llama", "blk.0.ssm_conv.weight", 0),
       "tensor 'blk.0.ssm_conv.weight': no Hugging Face name for it in a llama model"},
      {"tensor_type", model_file("llama", "output_norm.weight", 9),
       "tensor 'output_norm.weight': ggml type Q8_1 is not supported (F32, F16, BF16, Q4_0, Q4_1, "
       "Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K)"},
      {"spm_scores", model_file("llama", "output_norm.weight", 0, "llama"),
       "tokenizer.ggml.scores: expected 3 numbers (one per token)"},
      {"tok_model", model_file("llama", "output_norm.weight", 0, "bert"),
       "tokenizer.ggml.model: 'bert' tokenizers are not supported (byte-level BPE 'gpt2' and "
       "SentencePiece BPE 'llama')"},
      {"pre", model_file("llama", "output_norm.weight", 0, "gpt2", "deepseek-coder"),
       "tokenizer.ggml.pre: pre-tokenizer 'deepseek-coder' is not supported (smollm, gpt2, "
       "llama-bpe, qwen2)"},
  };
  for (const auto& c : cases) {
    const auto path = dir.file(std::string(c.name) + ".gguf");
    snapshot::test::write_bytes(path, c.bytes);
    ImportOptions o;
    o.out_dir = dir.file(std::string(c.name) + "-out");
    try {
      auto f = GgufFile::open(path);
      import_gguf(f, o);
      ADD_FAILURE() << c.name << ": no error";
    } catch (const GgufError& e) {
      EXPECT_EQ(std::string(e.what()), path + ": " + c.expected) << c.name;
    }
  }
}

TEST(GgufNames, HuggingFaceNamesAndRowPermutation) {
  EXPECT_EQ(*hf_tensor_name("blk.12.ffn_down.weight"), "model.layers.12.mlp.down_proj.weight");
  EXPECT_EQ(*hf_tensor_name("blk.0.attn_k_norm.weight"), "model.layers.0.self_attn.k_norm.weight");
  EXPECT_EQ(*hf_tensor_name("blk.3.attn_q.bias"), "model.layers.3.self_attn.q_proj.bias");
  EXPECT_EQ(*hf_tensor_name("token_embd.weight"), "model.embed_tokens.weight");
  EXPECT_EQ(*hf_tensor_name("output.weight"), "lm_head.weight");
  EXPECT_FALSE(hf_tensor_name("blk.0.attn_qkv.weight"));
  // One head of 4 rows: GGUF stores HF rows 0, 2, 1, 3.
  EXPECT_EQ(gguf_row_of(0, 4, 1), 0);
  EXPECT_EQ(gguf_row_of(1, 4, 1), 2);
  EXPECT_EQ(gguf_row_of(2, 4, 1), 1);
  EXPECT_EQ(gguf_row_of(3, 4, 1), 3);
  // Two heads of 8: HF row 8 + 4 + 1 (head 1, second half, i = 1) is GGUF row 8 + 2*1 + 1.
  EXPECT_EQ(gguf_row_of(13, 16, 2), 11);
  ModelHparams hp;
  hp.gguf_arch = "llama";
  hp.heads = 9;
  hp.kv_heads = 3;
  EXPECT_EQ(permuted_heads(hp, "model.layers.0.self_attn.q_proj.weight"), 9);
  EXPECT_EQ(permuted_heads(hp, "model.layers.0.self_attn.k_proj.weight"), 3);
  EXPECT_EQ(permuted_heads(hp, "model.layers.0.self_attn.v_proj.weight"), 0);
  hp.gguf_arch = "qwen3";
  EXPECT_EQ(permuted_heads(hp, "model.layers.0.self_attn.q_proj.weight"), 0);
}

}  // namespace
}  // namespace rmlx::gguf

namespace rmlx::gguf {
namespace {

// A SentencePiece vocabulary: merges come from every split of a piece into two pieces, by the
// piece's score (ties in vocabulary order); "▁" normalization, byte fallback, <s> added.
TEST(GgufSpm, MergesFromScoresAndTokenizerShape) {
  snapshot::test::ScratchDir dir("spm");
  const std::string m = "\u2581";  // the metaspace
  const std::vector<std::string> tokens = {"<unk>", "<s>", "</s>",  "<0x41>", m,   "a",
                                           "b",     "ab",  m + "a", m + "ab", "ba"};
  GgufBuilder b;
  b.kv_str("general.architecture", "llama")
      .kv_str("tokenizer.ggml.model", "llama")
      .kv_strings("tokenizer.ggml.tokens", tokens)
      .kv_f32s("tokenizer.ggml.scores", {0, 0, 0, 0, -1, -2, -3, -4, -5, -4, -6})
      .kv_i32s("tokenizer.ggml.token_type", {2, 3, 3, 6, 1, 1, 1, 1, 1, 1, 4})
      .kv_u32("tokenizer.ggml.bos_token_id", 1)
      .kv_u32("tokenizer.ggml.eos_token_id", 2)
      .kv_bool("tokenizer.ggml.add_space_prefix", true);
  b.data("");
  const auto path = dir.file("spm.gguf");
  snapshot::test::write_bytes(path, b.bytes());
  const auto files = build_tokenizer_files(GgufFile::open(path), 4096);
  const auto& t = files.tokenizer;
  // "ab" (-4) and "▁ab" (-4) tie and keep vocabulary order; "▁ab" splits two ways, the
  // split with the lower left id first; "ba" is user-defined but still merged.
  EXPECT_EQ(t["model"]["merges"],
            nlohmann::ordered_json::parse(
                R"([["a","b"],["\u2581","ab"],["\u2581a","b"],["\u2581","a"],["b","a"]])"));
  EXPECT_EQ(t["model"]["byte_fallback"], true);
  EXPECT_EQ(t["model"]["fuse_unk"], true);
  EXPECT_EQ(t["model"]["unk_token"], "<unk>");
  EXPECT_EQ(t["normalizer"], nlohmann::ordered_json::parse(
                                 R"({"type":"Sequence","normalizers":[{"type":"Prepend","prepend":)"
                                 R"("\u2581"},{"type":"Replace","pattern":{"String":" "},)"
                                 R"("content":"\u2581"}]})"));
  EXPECT_TRUE(t["pre_tokenizer"].is_null());
  EXPECT_EQ(t["post_processor"]["type"], "TemplateProcessing");
  EXPECT_EQ(t["post_processor"]["single"][0]["SpecialToken"]["id"], "<s>");
  EXPECT_EQ(t["decoder"]["decoders"].size(), 4u);
  ASSERT_EQ(t["added_tokens"].size(), 4u);  // <unk>, <s>, </s> special; "ba" not
  EXPECT_EQ(t["added_tokens"][3]["content"], "ba");
  EXPECT_EQ(t["added_tokens"][3]["special"], false);
  EXPECT_EQ(files.tokenizer_config["add_bos_token"], true);
  EXPECT_EQ(files.tokenizer_config["bos_token"], "<s>");
}

}  // namespace
}  // namespace rmlx::gguf
