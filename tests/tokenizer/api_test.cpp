// Public API details: from_dir with tokenizer_config.json, special-token ids, vocabulary size and
// token lookups (expected values from Python tokenizers / the config files).
#include <gtest/gtest.h>

#include "rmlx/tokenizer/tokenizer.h"
#include "test_paths.h"

namespace rmlx::tokenizer {
namespace {

std::string dir(const char* name) {
  return std::string(RMLX_TOKENIZER_DATA_DIR) + "/" + name;
}

TEST(TokenizerApi, Qwen3FromDir) {
  const Tokenizer tok = Tokenizer::from_dir(dir("qwen3"));
  EXPECT_FALSE(tok.bos_token().has_value());
  ASSERT_TRUE(tok.eos_token().has_value());
  EXPECT_EQ(*tok.eos_token(), "<|im_end|>");
  EXPECT_EQ(tok.eos_token_id(), 151645);
  EXPECT_FALSE(tok.add_bos_token());
  EXPECT_FALSE(tok.clean_up_tokenization_spaces());
  EXPECT_EQ(tok.vocab_size(), 151669u);
  EXPECT_TRUE(tok.is_special(151645));
  EXPECT_FALSE(tok.is_special(14990));
  EXPECT_EQ(tok.token_to_id("hello"), 14990);
  EXPECT_EQ(tok.token_to_id("<s>"), 128245);
  EXPECT_EQ(tok.id_to_token(100), "§");
  EXPECT_EQ(tok.id_to_token(-5), "");
  EXPECT_EQ(tok.id_to_token(99999999), "");
  EXPECT_FALSE(tok.token_to_id("no-such-token-xyz").has_value());
}

TEST(TokenizerApi, Llama2AndGemma3Config) {
  const Tokenizer llama = Tokenizer::from_dir(dir("llama2"));
  EXPECT_EQ(llama.bos_token_id(), 1);
  EXPECT_EQ(llama.eos_token_id(), 2);
  EXPECT_TRUE(llama.add_bos_token());
  EXPECT_FALSE(llama.add_eos_token());
  EXPECT_EQ(llama.vocab_size(), 32000u);
  EXPECT_EQ(llama.id_to_token(100), "<0x61>");
  const Tokenizer gemma = Tokenizer::from_dir(dir("gemma3"));
  EXPECT_EQ(gemma.bos_token_id(), 2);
  EXPECT_EQ(gemma.eos_token_id(), 106);
  EXPECT_EQ(gemma.vocab_size(), 262145u);
  EXPECT_EQ(gemma.id_to_token(100), "<unused94>");
  const Tokenizer llama3 = Tokenizer::from_dir(dir("llama3_1"));
  EXPECT_TRUE(llama3.clean_up_tokenization_spaces());
  EXPECT_EQ(llama3.vocab_size(), 128256u);
  EXPECT_EQ(clean_up_tokenization("a , b . I 'm here !"), "a, b. I'm here!");
}

TEST(TokenizerApi, TokenBytes) {
  const Tokenizer qwen = Tokenizer::from_dir(dir("qwen3"));
  const auto qb = qwen.token_bytes();
  EXPECT_EQ(qb.size(), 151669u);
  EXPECT_EQ(qb.at(static_cast<size_t>(*qwen.token_to_id("\xC4\xA0world"))), " world");  // "Ġworld"
  EXPECT_EQ(qb.at(151645), "");                                                  // <|im_end|>
  EXPECT_EQ(qb.at(static_cast<size_t>(*qwen.token_to_id("\xC3\xA4"))), "\xE4");  // byte 0xE4 alone
  const Tokenizer llama = Tokenizer::from_dir(dir("llama2"));
  const auto lb = llama.token_bytes();
  EXPECT_EQ(lb.at(100), "a");  // <0x61>
  EXPECT_EQ(lb.at(static_cast<size_t>(*llama.token_to_id("<0xF0>"))), "\xF0");
  EXPECT_EQ(lb.at(static_cast<size_t>(*llama.token_to_id("\xE2\x96\x81Hello"))),
            " Hello");      // "▁Hello"
  EXPECT_EQ(lb.at(1), "");  // <s>
}

TEST(TokenizerApi, InvalidUtf8InputIsRepaired) {
  const Tokenizer tok = Tokenizer::from_dir(dir("qwen3"));
  // A lone continuation byte and a truncated sequence become U+FFFD, as Python would see them.
  EXPECT_EQ(tok.encode("a\x80z\xE4\xB8", false), tok.encode("a\xEF\xBF\xBDz\xEF\xBF\xBD", false));
}

}  // namespace
}  // namespace rmlx::tokenizer
