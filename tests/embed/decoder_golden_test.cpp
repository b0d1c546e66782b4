// Decoder embedding models (Qwen3-Embedding style) through arch-llama: a
// synthetic Qwen3-shaped snapshot declared as a sentence-transformers model
// with last-token pooling (tensor names without "model.", as Qwen3-Embedding
// stores them) and with mean pooling, against transformers' Qwen3Model
// (decoder_golden.json from make_decoder_golden.py): cosine >= 0.99999 in
// float32, and an input's vector is the same bits alone and batched.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cosine.h"
#include "rmlx/embed/embedder.h"
#include "rmlx/registry/registry.h"

namespace {

using rmlx::embed::testing::cosine;

class DecoderGoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* root = std::getenv("RMLX_DECODER_EMBED_DIR");
    const char* golden = std::getenv("RMLX_DECODER_EMBED_GOLDEN");
    if (root == nullptr || golden == nullptr ||
        !std::filesystem::exists(std::string(root) + "/lasttoken/tokenizer.json")) {
      GTEST_SKIP() << "no synthetic decoder snapshot with a tokenizer (the default model's "
                      "tokenizer is copied in: scripts/prepare-default-model.sh)";
    }
    root_ = root;
    registry_.scan({RMLX_PLUGIN_BUILD_DIR});
    std::ifstream in(golden);
    doc_ = nlohmann::json::parse(in);
    inputs_ = doc_["inputs"].get<std::vector<std::vector<std::int32_t>>>();
    ASSERT_GE(inputs_.size(), 10u);
  }

  std::unique_ptr<rmlx::embed::Embedder> load(const std::string& name) {
    rmlx::embed::EmbedderOptions o;
    o.model_dir = root_ + "/" + name;
    return rmlx::embed::Embedder::load(o, registry_);
  }

  // Worst cosine of every input, embedded as one request, against `key`.
  double worst(rmlx::embed::Embedder& e, const std::string& key) {
    std::vector<std::vector<std::int32_t>> in;
    for (const auto& ids : inputs_) in.push_back(e.wrap_ids(ids));
    const auto vectors = e.embed(in);
    const auto ref = doc_[key].get<std::vector<std::vector<double>>>();
    double w = 1.0;
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      EXPECT_EQ(vectors[i].size(), ref[i].size());
      const double c = cosine(vectors[i], ref[i]);
      EXPECT_GE(c, 0.99999) << key << " input " << i << " (" << inputs_[i].size() << " tokens)";
      w = std::min(w, c);
    }
    return w;
  }

  std::string root_;
  rmlx::registry::Registry registry_;
  nlohmann::json doc_;
  std::vector<std::vector<std::int32_t>> inputs_;
};

TEST_F(DecoderGoldenTest, LastTokenPoolingEqualsTransformers) {
  auto e = load("lasttoken");
  EXPECT_EQ(e->info().architecture, "Qwen3ForCausalLM");
  EXPECT_EQ(e->info().dimensions, 1024);
  EXPECT_EQ(e->info().max_tokens, 512);  // sentence_bert_config.json
  EXPECT_EQ(e->info().sentence.pooling, rmlx::embed::Pooling::last_token);
  EXPECT_TRUE(e->info().sentence.normalize);
  const double w = worst(*e, "last_token");
  std::printf("last-token pooling: %zu inputs, worst cosine %.9f\n", inputs_.size(), w);
}

TEST_F(DecoderGoldenTest, MeanPoolingEqualsTransformers) {
  auto e = load("mean");
  EXPECT_EQ(e->info().sentence.pooling, rmlx::embed::Pooling::mean);
  const double w = worst(*e, "mean");
  std::printf("mean pooling: %zu inputs, worst cosine %.9f\n", inputs_.size(), w);
}

TEST_F(DecoderGoldenTest, AnInputIsTheSameAloneAndBatched) {
  auto e = load("lasttoken");
  std::vector<std::vector<std::int32_t>> in;
  for (const auto& ids : inputs_) in.push_back(e->wrap_ids(ids));
  const auto batched = e->embed(in);
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const auto alone = e->embed({in[i]});
    ASSERT_EQ(alone[0], batched[i]) << "input " << i;
  }
}

TEST_F(DecoderGoldenTest, LimitsAreTheDeclaredOnes) {
  auto e = load("lasttoken");
  std::vector<std::int32_t> long_input(513, 5);
  EXPECT_THROW(e->wrap_ids(long_input, false), std::length_error);
  EXPECT_EQ(e->wrap_ids(long_input, true).size(), 512u);
  EXPECT_THROW(e->wrap_ids({1, 1024}), std::out_of_range);
}

}  // namespace
