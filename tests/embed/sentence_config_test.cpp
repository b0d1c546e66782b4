#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "rmlx/embed/sentence_config.h"

namespace {

namespace fs = std::filesystem;
using rmlx::embed::Pooling;
using rmlx::embed::read_sentence_config;

class SentenceConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rmlx-embed-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "1_Pooling");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  void st_layout(const std::string& pooling_json, bool normalize) {
    std::string modules =
        R"([{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
            {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"})";
    if (normalize) {
      modules +=
          R"(,{"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"})";
    }
    write("modules.json", modules + "]");
    write("1_Pooling/config.json", pooling_json);
  }
  nlohmann::json bert_ = {{"architectures", {"BertModel"}}};
  fs::path dir_;
};

TEST_F(SentenceConfigTest, ReadsPoolingNormalizeAndMaxSeqLength) {
  st_layout(R"({"word_embedding_dimension":384,"pooling_mode_cls_token":true,
               "pooling_mode_mean_tokens":false})",
            true);
  write("sentence_bert_config.json", R"({"max_seq_length": 128, "do_lower_case": false})");
  auto c = read_sentence_config(dir_.string(), bert_);
  EXPECT_EQ(c.pooling, Pooling::cls);
  EXPECT_TRUE(c.normalize);
  EXPECT_EQ(c.max_seq_length, 128);
  EXPECT_TRUE(c.sentence_transformers);
  EXPECT_TRUE(rmlx::embed::is_embedding_snapshot(dir_.string()));
}

TEST_F(SentenceConfigTest, EveryPoolingMode) {
  const std::pair<const char*, Pooling> modes[] = {
      {"pooling_mode_mean_tokens", Pooling::mean},
      {"pooling_mode_max_tokens", Pooling::max},
      {"pooling_mode_mean_sqrt_len_tokens", Pooling::mean_sqrt_len},
      {"pooling_mode_lasttoken", Pooling::last_token}};
  for (const auto& [key, pooling] : modes) {
    st_layout(std::string("{\"") + key + "\": true}", false);
    auto c = read_sentence_config(dir_.string(), bert_);
    EXPECT_EQ(c.pooling, pooling) << key;
    EXPECT_FALSE(c.normalize);
    EXPECT_EQ(c.max_seq_length, 0);
  }
}

TEST_F(SentenceConfigTest, TwoPoolingModesAreRefusedByName) {
  st_layout(R"({"pooling_mode_mean_tokens":true,"pooling_mode_max_tokens":true})", true);
  try {
    read_sentence_config(dir_.string(), bert_);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("1_Pooling/config.json: several pooling modes"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(SentenceConfigTest, UnknownModuleAndBadMaxSeqLengthAreNamed) {
  write("modules.json", R"([{"type":"sentence_transformers.models.Dense","path":"2_Dense"}])");
  EXPECT_THROW(
      {
        try {
          read_sentence_config(dir_.string(), bert_);
        } catch (const std::runtime_error& e) {
          EXPECT_NE(std::string(e.what()).find("module type 'sentence_transformers.models.Dense'"),
                    std::string::npos);
          throw;
        }
      },
      std::runtime_error);
  st_layout(R"({"pooling_mode_mean_tokens":true})", true);
  write("sentence_bert_config.json", R"({"max_seq_length": "long"})");
  EXPECT_THROW(read_sentence_config(dir_.string(), bert_), std::runtime_error);
}

TEST_F(SentenceConfigTest, WithoutModulesJsonEncodersMeanAndDecodersLastToken) {
  auto enc = read_sentence_config(dir_.string(), bert_);
  EXPECT_EQ(enc.pooling, Pooling::mean);
  EXPECT_TRUE(enc.normalize);
  EXPECT_FALSE(enc.sentence_transformers);
  auto dec = read_sentence_config(dir_.string(), {{"architectures", {"Qwen3ForCausalLM"}}});
  EXPECT_EQ(dec.pooling, Pooling::last_token);
  write("config.json", R"({"architectures":["LlamaForCausalLM"]})");
  EXPECT_FALSE(rmlx::embed::is_embedding_snapshot(dir_.string()));
  write("config.json", R"({"architectures":["BertModel"]})");
  EXPECT_TRUE(rmlx::embed::is_embedding_snapshot(dir_.string()));
}

}  // namespace
