// Replays unit_cases.json (outputs of Python `tokenizers`, written by make_unit_cases.py) against
// each normalizer, pre-tokenizer and decoder, and against small whole tokenizers covering every
// model type, post-processor and added-token option.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "components.h"
#include "rmlx/tokenizer/tokenizer.h"
#include "test_paths.h"

namespace rmlx::tokenizer {
namespace {

const nlohmann::json& cases() {
  static const nlohmann::json j = [] {
    std::ifstream in(std::string(RMLX_TOKENIZER_TEST_SRC) + "/unit_cases.json");
    return nlohmann::json::parse(in);
  }();
  return j;
}

std::string show(const nlohmann::json& j) {
  return j.dump().substr(0, 300);
}

TEST(TokenizerComponents, Normalizers) {
  size_t n = 0;
  for (const auto& item : cases().at("normalizers")) {
    const auto norm = make_normalizer(JsonRef(item.at("json"), "unit_cases.json", "normalizer"));
    for (const auto& c : item.at("cases")) {
      std::string s = c[0].get<std::string>();
      norm->normalize(s);
      EXPECT_EQ(s, c[1].get<std::string>()) << show(item.at("json")) << " input " << show(c[0]);
      ++n;
    }
  }
  EXPECT_GT(n, 200u);
}

TEST(TokenizerComponents, PreTokenizers) {
  size_t n = 0;
  for (const auto& item : cases().at("pre_tokenizers")) {
    const auto pre =
        make_pre_tokenizer(JsonRef(item.at("json"), "unit_cases.json", "pre_tokenizer"));
    for (const auto& c : item.at("cases")) {
      std::vector<Piece> pieces;
      const std::string input = c[0].get<std::string>();
      if (!input.empty()) pieces.push_back(Piece{input, true});
      pre->pre_tokenize(pieces);
      std::vector<std::string> got;
      for (const auto& p : pieces) got.push_back(p.text);
      EXPECT_EQ(nlohmann::json(got), c[1]) << show(item.at("json")) << " input " << show(c[0]);
      ++n;
    }
  }
  EXPECT_GT(n, 300u);
}

TEST(TokenizerComponents, Decoders) {
  size_t n = 0;
  for (const auto& item : cases().at("decoders")) {
    const auto dec = make_decoder(JsonRef(item.at("json"), "unit_cases.json", "decoder"));
    for (const auto& c : item.at("cases")) {
      auto tokens = c[0].get<std::vector<std::string>>();
      dec->decode_chain(tokens);
      std::string got;
      for (const auto& t : tokens) got += t;
      EXPECT_EQ(got, c[1].get<std::string>()) << show(item.at("json")) << " tokens " << show(c[0]);
      ++n;
    }
  }
  EXPECT_GT(n, 80u);
}

TEST(TokenizerComponents, WholeTokenizers) {
  size_t n = 0;
  for (const auto& item : cases().at("tokenizers")) {
    const auto& tj = item.at("tokenizer");
    const std::string what =
        tj.at("model").at("type").get<std::string>() + " / " +
        (tj.at("pre_tokenizer").is_null() ? std::string("-")
                                          : tj.at("pre_tokenizer").dump().substr(0, 80));
    const Tokenizer tok = Tokenizer::from_json(tj.dump());
    for (const auto& c : item.at("cases")) {
      const std::string text = c.at("text").get<std::string>();
      const auto ids = c.at("ids").get<std::vector<int32_t>>();
      EXPECT_EQ(tok.encode(text, true), ids) << what << " text " << show(c.at("text"));
      EXPECT_EQ(tok.encode(text, false), c.at("ids_no_special").get<std::vector<int32_t>>())
          << what << " text " << show(c.at("text"));
      EXPECT_EQ(tok.decode(ids, false), c.at("decoded").get<std::string>())
          << what << " text " << show(c.at("text"));
      EXPECT_EQ(tok.decode(ids, true), c.at("decoded_skip").get<std::string>())
          << what << " text " << show(c.at("text"));
      ++n;
    }
  }
  EXPECT_GT(n, 150u);
}

}  // namespace
}  // namespace rmlx::tokenizer
