// StreamDecoder: piece-by-piece output equals Python tokenizers' DecodeStream (null = nothing
// emitted yet) and the concatenation equals the full decode.
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "rmlx/tokenizer/tokenizer.h"
#include "test_paths.h"

namespace rmlx::tokenizer {
namespace {

struct StreamCase {
  const char* tokenizer;
  std::vector<int32_t> ids;
  std::vector<std::string> pieces;
  std::string full;
};

// Expected pieces from tokenizers.decoders.DecodeStream(skip_special_tokens=False).
const StreamCase kCases[] = {
    {"llama2",
     {1, 22557, 28705, 30575, 275, 2024, 417, 259, 29142, 29119},
     {"<s>", " Hello", " ", "😀", " w", "ör", "ld", "  ", "日", "本"},
     "<s> Hello 😀 wörld  日本"},
    {"llama2",
     {264, 28705, 243, 162, 174, 163, 28705, 243, 160, 151, 155, 28726},
     {"a", " ", "", "", "", "🫠", " ", "", "", "", "𝔘", "b"},
     "a 🫠 𝔘b"},
    {"gemma3",
     {2, 2080, 236743, 243874, 237243, 243767, 237243, 244814, 1123},
     {"<bos>", " lead", " ", "👨", "\u200d", "👩", "\u200d", "👧", " x"},
     "<bos> lead 👨‍👩‍👧 x"},
    {"gemma3", {478, 385, 366, 366, 7546}, {"", "", "", "𓀀", " ok"}, "𓀀 ok"},
    {"qwen3",
     {3376, 37572, 586, 90316, 220, 151645, 72858, 16744},
     {"na", "ï", "ve", " 😀", " ", "<|im_end|>", " 中", "文"},
     "naïve 😀 <|im_end|> 中文"},
    {"qwen3",
     {87, 172, 63219, 222, 100130, 248, 98, 379},
     {"x", "", "", "𠀀", "", "", "𪚥", " y"},
     "x𠀀𪚥 y"},
    {"llama3_1",
     {82350, 242, 246, 57352, 242, 246, 1167},
     {"", "", " 𝔘", "", "", "𝔘", " z"},
     " 𝔘𝔘 z"},
};

const Tokenizer& load(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto& slot = cache[name];
  if (!slot) {
    slot = std::make_unique<Tokenizer>(Tokenizer::from_file(std::string(RMLX_TOKENIZER_DATA_DIR) +
                                                            "/" + name + "/tokenizer.json"));
  }
  return *slot;
}

TEST(TokenizerStream, MatchesPythonDecodeStream) {
  for (const auto& c : kCases) {
    const Tokenizer& tok = load(c.tokenizer);
    ASSERT_EQ(tok.decode(c.ids, false), c.full) << c.tokenizer;
    StreamDecoder stream(tok);
    std::string all;
    for (size_t i = 0; i < c.ids.size(); ++i) {
      const std::string piece = stream.step(c.ids[i]);
      EXPECT_EQ(piece, c.pieces[i]) << c.tokenizer << " step " << i;
      all += piece;
    }
    all += stream.flush();
    EXPECT_EQ(all, c.full) << c.tokenizer;
  }
}

TEST(TokenizerStream, FlushEmitsIncompleteTail) {
  const Tokenizer& tok = load("llama2");
  // "a" then the first two bytes of a four-byte character: the tail is held back until flush,
  // which emits what a full decode gives (one U+FFFD per byte, as ByteFallback).
  const std::vector<int32_t> ids = {264, 243, 162};
  StreamDecoder stream(tok);
  EXPECT_EQ(stream.step(ids[0]), "a");
  EXPECT_EQ(stream.step(ids[1]), "");
  EXPECT_EQ(stream.step(ids[2]), "");
  const std::string tail = stream.flush();
  EXPECT_EQ("a" + tail, tok.decode(ids, false));
  EXPECT_EQ(tail, "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(TokenizerStream, SkipSpecialTokens) {
  const Tokenizer& tok = load("qwen3");
  const std::vector<int32_t> ids = {3376, 151645, 37572};
  StreamDecoder stream(tok, /*skip_special_tokens=*/true);
  std::string all;
  for (const int32_t id : ids) all += stream.step(id);
  all += stream.flush();
  EXPECT_EQ(all, tok.decode(ids, true));
  EXPECT_EQ(all, "naï");
}

}  // namespace
}  // namespace rmlx::tokenizer
