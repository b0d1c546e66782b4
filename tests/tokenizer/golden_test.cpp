// Reproduces every line of golden/tokenizer_public.jsonl: ids in both special-token modes and
// the decode with special tokens kept.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "rmlx/tokenizer/tokenizer.h"
#include "test_paths.h"

namespace rmlx::tokenizer {
namespace {

const Tokenizer& load(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto& slot = cache[name];
  if (!slot) {
    const std::string dir = std::string(RMLX_TOKENIZER_DATA_DIR) + "/" + name;
    slot = std::make_unique<Tokenizer>(Tokenizer::from_file(dir + "/tokenizer.json"));
  }
  return *slot;
}

// Structural UTF-8 check (every lead byte has its continuation bytes).
bool unicode_ok(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

std::string ids_str(const std::vector<int32_t>& v) {
  return nlohmann::json(v).dump();
}

// Golden lines that disagree with Python `tokenizers` (the reference), as listed by
// golden_python_check.py: {line, tokenizer, text bytes, ids differ, decoded differs}.
struct Divergence {
  size_t line;
  const char* tokenizer;
  size_t text_bytes;
  bool ids_differ;
  bool decoded_differs;
};
const Divergence kDivergences[] = {
#include "golden_divergences.inc"
};

const Divergence* divergence(size_t line) {
  for (const auto& d : kDivergences) {
    if (d.line == line) return &d;
  }
  return nullptr;
}

TEST(TokenizerGolden, EveryPublicLine) {
  std::ifstream in(RMLX_GOLDEN_TOKENIZER);
  ASSERT_TRUE(in) << "missing " << RMLX_GOLDEN_TOKENIZER;
  std::string line;
  size_t n = 0, id_fail = 0, dec_fail = 0, line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    const std::string name = j.at("tokenizer").get<std::string>();
    const std::string text = j.at("text").get<std::string>();
    const bool special = j.at("add_special_tokens").get<bool>();
    const auto want = j.at("ids").get<std::vector<int32_t>>();
    const Tokenizer& tok = load(name);
    const auto got = tok.encode(text, special);
    ++n;
    if (got != want) {
      // Long texts make unreadable messages; show the first 200 bytes.
      ++id_fail;
      ADD_FAILURE() << name << " special=" << special << " line " << line_no
                    << " text=" << nlohmann::json(text.substr(0, 200)).dump() << "\n want "
                    << ids_str(want) << "\n got  " << ids_str(got);
    }
    const std::string decoded = tok.decode(want, false);
    const std::string want_dec = j.at("decoded").get<std::string>();
    // Streaming the same ids gives the same text in whole UTF-8 pieces.
    StreamDecoder stream(tok);
    std::string streamed;
    for (const int32_t id : want) {
      const std::string piece = stream.step(id);
      EXPECT_EQ(unicode_ok(piece), true) << name << " line " << line_no;
      streamed += piece;
    }
    streamed += stream.flush();
    EXPECT_EQ(streamed, decoded) << name << " line " << line_no;
    if (const Divergence* d = divergence(line_no); d && d->decoded_differs) {
      // These lines come from a decoder that applied transformers' clean_up_tokenization
      // (llama3_1 sets clean_up_tokenization_spaces); Python `tokenizers` does not.
      EXPECT_EQ(d->tokenizer, name);
      EXPECT_EQ(d->text_bytes, text.size());
      EXPECT_NE(decoded, want_dec) << "line " << line_no << " no longer diverges";
      EXPECT_EQ(clean_up_tokenization(decoded), want_dec) << "line " << line_no;
      continue;
    }
    if (decoded != want_dec) {
      ++dec_fail;
      ADD_FAILURE() << name << " decode line " << line_no << "\n want "
                    << nlohmann::json(want_dec.substr(0, 300)).dump() << "\n got  "
                    << nlohmann::json(decoded.substr(0, 300)).dump();
    }
  }
  EXPECT_GT(n, 400u);
  std::cout << n << " golden lines, " << id_fail << " id mismatches, " << dec_fail
            << " decode mismatches\n";
}

}  // namespace
}  // namespace rmlx::tokenizer
