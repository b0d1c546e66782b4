// tokenize / detokenize / template as a user runs them, on Qwen3's real
// tokenizer files (a folder with no weights).
#include <gtest/gtest.h>

#include <fstream>

#include "process.h"
#include "temp_dir.h"

namespace {

const std::string kQwen3 = RMLX_TOKENIZER_DATA_DIR "/qwen3";

TEST(TokenizeCli, TextToIdsAndBack) {
  Process tok(
      {RMLX_HOST_BIN, "tokenize", "--model", kQwen3, "--text", "Hello, world! How are you today?"});
  ASSERT_EQ(tok.wait(), 0) << tok.err();
  EXPECT_EQ(tok.out(), "9707 11 1879 0 2585 525 498 3351 30\n");

  Process detok({RMLX_HOST_BIN, "detokenize", "--model", kQwen3, "--ids",
                 "9707,11,1879,0,2585,525,498,3351,30"});
  ASSERT_EQ(detok.wait(), 0) << detok.err();
  EXPECT_EQ(detok.out(), "Hello, world! How are you today?\n");

  Process bad({RMLX_HOST_BIN, "detokenize", "--model", kQwen3, "--ids", "1 x"});
  EXPECT_EQ(bad.wait(), 1);
  EXPECT_NE(bad.err().find("error: 'x' is not a token id of this tokenizer (0..151668)"),
            std::string::npos)
      << bad.err();
}

TEST(TemplateCli, RendersLikeTransformers) {
  TempDir dir("template-cli");
  dir.write("messages.json", R"([{"role": "user", "content": "What is the capital of France?"}])");
  Process p({RMLX_HOST_BIN, "template", "--model", kQwen3, "--messages",
             dir.path() + "/messages.json", "--add-generation-prompt"});
  ASSERT_EQ(p.wait(), 0) << p.err();
  // As ../shared/golden/chat_template_public.jsonl renders it.
  EXPECT_EQ(p.out(),
            "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n");

  dir.write("broken.json", "[{\"role\": ");
  Process bad(
      {RMLX_HOST_BIN, "template", "--model", kQwen3, "--messages", dir.path() + "/broken.json"});
  EXPECT_EQ(bad.wait(), 1);
  EXPECT_NE(bad.err().find("error: --messages " + dir.path() + "/broken.json: invalid JSON"),
            std::string::npos)
      << bad.err();
}

}  // namespace
