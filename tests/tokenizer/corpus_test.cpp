// Encodes the mixed-script corpus with every shared tokenizer and compares ids (both
// special-token modes) and decodes with Python `tokenizers` (references written by
// corpus_reference.py); also checks round trips and the streaming decoder on every text.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "rmlx/tokenizer/tokenizer.h"
#include "test_paths.h"

namespace rmlx::tokenizer {
namespace {

namespace fs = std::filesystem;

struct RefText {
  std::vector<int32_t> with_special, without;
  std::string decoded, decoded_skip;
};

class Reader {
 public:
  explicit Reader(const std::string& path) : in_(path, std::ios::binary) {}
  bool ok() const { return static_cast<bool>(in_); }
  uint32_t u32() {
    uint32_t v = 0;
    in_.read(reinterpret_cast<char*>(&v), 4);
    if (!in_) throw std::runtime_error("truncated reference file");
    return v;
  }
  std::vector<int32_t> ids() {
    std::vector<int32_t> v(u32());
    in_.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
    return v;
  }
  std::string str() {
    std::string s(u32(), '\0');
    in_.read(s.data(), static_cast<std::streamsize>(s.size()));
    return s;
  }
  std::string magic() {
    std::string m(4, '\0');
    in_.read(m.data(), 4);
    return m;
  }

 private:
  std::ifstream in_;
};

bool valid_utf8(const std::string& s) {
  // Structural check: every lead byte is followed by the right number of continuation bytes.
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

std::vector<std::string> load_corpus(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> texts;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) texts.push_back(nlohmann::json::parse(line).get<std::string>());
  }
  return texts;
}

std::string head(const std::string& s) {
  return nlohmann::json(s.substr(0, 120)).dump();
}

TEST(TokenizerCorpus, MatchesPythonTokenizers) {
  const std::string dir = std::string(RMLX_TOKENIZER_CORPUS_DIR);
  const auto texts = load_corpus(dir + "/corpus.jsonl");
  if (texts.empty()) GTEST_SKIP() << "no corpus (Python reference step skipped)";
  size_t total_bytes = 0;
  for (const auto& t : texts) total_bytes += t.size();
  EXPECT_GE(total_bytes, 1u << 20);
  size_t tokenizers = 0;
  for (const auto& entry : fs::directory_iterator(RMLX_TOKENIZER_DATA_DIR)) {
    const std::string name = entry.path().filename().string();
    Reader ref(dir + "/" + name + ".ref");
    ASSERT_TRUE(ref.ok()) << "missing reference for " << name;
    ASSERT_EQ(ref.magic(), "RTKR");
    ASSERT_EQ(ref.u32(), texts.size());
    const Tokenizer tok = Tokenizer::from_file((entry.path() / "tokenizer.json").string());
    ++tokenizers;
    size_t id_diff = 0, dec_diff = 0, lossless = 0, stream_diff = 0, tokens = 0, bytes_checked = 0,
           bytes_diff = 0;
    // token_bytes(): concatenated, the bytes of the tokens equal what decode adds after an anchor
    // token (so no first-token space rule applies), wherever that decode is whole UTF-8.
    const std::vector<std::string> table = tok.token_bytes();
    const int32_t anchor = tok.token_to_id("a").value_or(-1);
    const std::string anchor_text = tok.decode(std::vector<int32_t>{anchor}, false);
    for (size_t i = 0; i < texts.size(); ++i) {
      RefText r;
      r.with_special = ref.ids();
      r.without = ref.ids();
      r.decoded = ref.str();
      r.decoded_skip = ref.str();
      const auto a = tok.encode(texts[i], true);
      const auto b = tok.encode(texts[i], false);
      tokens += b.size();
      if (a != r.with_special || b != r.without) {
        if (++id_diff <= 3)
          ADD_FAILURE() << name << " text " << i << " ids differ: " << head(texts[i]);
      }
      const std::string dec = tok.decode(r.without, false);
      const std::string dec_skip = tok.decode(r.with_special, true);
      if (dec != r.decoded || dec_skip != r.decoded_skip) {
        if (++dec_diff <= 3) {
          ADD_FAILURE() << name << " text " << i << " decode differs:\n want " << head(r.decoded)
                        << "\n got  " << head(dec);
        }
      }
      if (dec == texts[i]) ++lossless;
      if (anchor >= 0) {
        std::vector<int32_t> anchored{anchor};
        anchored.insert(anchored.end(), r.without.begin(), r.without.end());
        const std::string want = tok.decode(anchored, false);
        bool plain = want.compare(0, anchor_text.size(), anchor_text) == 0 &&
                     want.find("\xEF\xBF\xBD") == std::string::npos;
        std::string concat;
        for (const int32_t id : r.without) {
          plain = plain && !tok.is_special(id);
          concat += table.at(static_cast<size_t>(id));
        }
        if (plain) {
          ++bytes_checked;
          if (concat != want.substr(anchor_text.size()) && ++bytes_diff <= 3) {
            ADD_FAILURE() << name << " text " << i << " token_bytes differ:\n want "
                          << head(want.substr(anchor_text.size())) << "\n got  " << head(concat);
          }
        }
      }
      // Streaming: every piece is whole UTF-8 and the pieces add up to the full decode.
      StreamDecoder stream(tok);
      std::string streamed;
      bool pieces_ok = true;
      for (const int32_t id : r.with_special) {
        const std::string piece = stream.step(id);
        pieces_ok = pieces_ok && valid_utf8(piece);
        streamed += piece;
      }
      streamed += stream.flush();
      if (!pieces_ok || streamed != tok.decode(r.with_special, false)) {
        if (++stream_diff <= 3) ADD_FAILURE() << name << " text " << i << " stream decode differs";
      }
    }
    std::cout << name << ": " << texts.size() << " texts, " << tokens << " tokens, " << id_diff
              << " id diffs, " << dec_diff << " decode diffs, " << stream_diff << " stream diffs, "
              << lossless << " lossless round trips, token_bytes checked on " << bytes_checked
              << " texts (" << bytes_diff << " diffs)\n";
    EXPECT_EQ(bytes_diff, 0u) << name;
    EXPECT_GT(bytes_checked, texts.size() / 3) << name;
    // Byte-level tokenizers without a normalizer reproduce every text exactly.
    if (name == "llama3_1" || name == "gptoss" || name == "deepseek_v3" || name == "smollm2") {
      EXPECT_EQ(lossless, texts.size()) << name;
    }
    EXPECT_EQ(id_diff, 0u) << name;
    EXPECT_EQ(dec_diff, 0u) << name;
    EXPECT_EQ(stream_diff, 0u) << name;
  }
  EXPECT_GE(tokenizers, 6u);
}

}  // namespace
}  // namespace rmlx::tokenizer
