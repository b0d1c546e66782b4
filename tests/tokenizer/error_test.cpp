// Malformed tokenizer.json files: each gets one exact error line naming the file, the field and
// what was expected.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rmlx/tokenizer/tokenizer.h"
#include "test_paths.h"

namespace rmlx::tokenizer {
namespace {

std::string write(const std::string& name, const std::string& body) {
  const auto dir = std::filesystem::path(RMLX_TOKENIZER_BUILD_DIR) / "bad_files";
  std::filesystem::create_directories(dir);
  const auto path = (dir / name).string();
  std::ofstream(path) << body;
  return path;
}

std::string error_of(const std::string& path, const std::string& config = "") {
  try {
    Tokenizer::from_file(path, config);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kVocab = R"("vocab": {"a": 0, "b": 1, "ab": 2})";

struct BadFile {
  const char* name;
  std::string body;
  std::string expected;  // message after "<path>: "
};

TEST(TokenizerErrors, ExactMessages) {
  const BadFile cases[] = {
      {"truncated.json", "{\"model\": ",
       "expected valid JSON (parse error at line 1, column 11: syntax error while parsing value - "
       "unexpected end "
       "of input; expected '[', '{', or a literal)"},
      {"array.json", "[1, 2]", "expected a JSON object at the top level"},
      {"overflow.json", R"({"model": {"type": "Unigram", "vocab": [["a", -1E400]]}})",
       "expected valid JSON (number overflow parsing '-1E400')"},
      {"no_model.json", R"({"added_tokens": []})",
       "field 'model': expected a value (field is missing)"},
      {"model_type.json", R"({"model": {"type": "WordSoup", "vocab": {}}})",
       "field 'model.type': expected a supported model type (BPE, WordPiece, WordLevel, Unigram), "
       "got "
       "\"WordSoup\""},
      {"vocab_id.json", R"({"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}})",
       "field 'model.vocab[\"a\"]': expected an integer"},
      {"merge_oov.json",
       R"({"model": {"type": "BPE", )" + kVocab + R"(, "merges": ["a b", "a c"]}})",
       "field 'model.merges[1]': expected merge tokens present in model.vocab (\"c\" is not)"},
      {"merge_shape.json",
       R"({"model": {"type": "BPE", )" + kVocab + R"(, "merges": [["a", "b", "c"]]}})",
       "field 'model.merges[0]': expected a merge as \"left right\" or [\"left\", \"right\"]"},
      {"merges_missing.json", R"({"model": {"type": "BPE", )" + kVocab + R"(}})",
       "field 'model.merges': expected a value (field is missing)"},
      {"bad_regex.json",
       R"({"model": {"type": "BPE", )" + kVocab +
           R"(, "merges": []}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated"}})",
       "field 'pre_tokenizer.pattern.Regex': expected a valid regular expression (missing closing "
       "parenthesis at "
       "offset 2)"},
      {"behavior.json",
       R"({"model": {"type": "BPE", )" + kVocab +
           R"(, "merges": []}, "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Merge"}})",
       "field 'pre_tokenizer.behavior': expected one of Removed, Isolated, MergedWithPrevious, "
       "MergedWithNext, "
       "Contiguous"},
      {"normalizer.json",
       R"({"model": {"type": "BPE", )" + kVocab +
           R"(, "merges": []}, "normalizer": {"type": "Precompiled"}})",
       "field 'normalizer.type': expected a supported normalizer type (NFC, NFD, NFKC, NFKD, "
       "Lowercase, Strip, "
       "StripAccents, Replace, Prepend, BertNormalizer, Sequence), got \"Precompiled\""},
      {"added.json",
       R"({"model": {"type": "BPE", )" + kVocab +
           R"(, "merges": []}, "added_tokens": [{"id": 3}]})",
       "field 'added_tokens[0].content': expected a value (field is missing)"},
      {"added_id.json",
       R"({"model": {"type": "BPE", )" + kVocab +
           R"(, "merges": []}, "added_tokens": [{"id": -1, "content": "x"}]})",
       "field 'added_tokens[0].id': expected a token id between 0 and 2147483647"},
      {"template.json",
       R"({"model": {"type": "BPE", )" + kVocab +
           R"(, "merges": []}, "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {}}})",
       "field 'post_processor.single[0].SpecialToken.id': expected a special token listed in "
       "special_tokens "
       "(\"<s>\" is not)"},
      {"decoder.json",
       R"({"model": {"type": "BPE", )" + kVocab +
           R"(, "merges": []}, "decoder": {"type": "Strip", "content": "ab"}})",
       "field 'decoder.content': expected a single character"},
      {"unigram.json",
       R"({"model": {"type": "Unigram", "vocab": [["a", -1.0], ["b"]], "unk_id": 0}})",
       "field 'model.vocab[1]': expected a [piece, score] pair"},
  };
  for (const auto& c : cases) {
    const std::string path = write(c.name, c.body);
    EXPECT_EQ(error_of(path), path + ": " + c.expected) << c.name;
  }
}

TEST(TokenizerErrors, MissingFileAndBadConfig) {
  const std::string missing =
      std::string(RMLX_TOKENIZER_BUILD_DIR) + "/bad_files/does_not_exist.json";
  EXPECT_EQ(error_of(missing), missing + ": cannot open file");
  const std::string good =
      write("good.json", R"({"model": {"type": "BPE", )" + kVocab + R"(, "merges": ["a b"]}})");
  const std::string cfg = write("bad_config.json", R"({"bos_token": 5})");
  EXPECT_EQ(error_of(good, cfg),
            cfg + ": field 'bos_token': expected a string or an object with \"content\"");
  const std::string cfg2 =
      write("bad_decoder_map.json", R"({"added_tokens_decoder": {"x1": {"content": "<x>"}}})");
  EXPECT_EQ(error_of(good, cfg2),
            cfg2 + ": field 'added_tokens_decoder[\"x1\"]': expected a key that is a token id");
}

TEST(TokenizerErrors, GoodMinimalFileWorks) {
  const std::string good =
      write("good.json", R"({"model": {"type": "BPE", )" + kVocab + R"(, "merges": ["a b"]}})");
  const Tokenizer tok = Tokenizer::from_file(good);
  EXPECT_EQ(tok.encode("abba", false), (std::vector<int32_t>{2, 1, 0}));
  EXPECT_EQ(tok.vocab_size(), 3u);
  EXPECT_EQ(tok.decode(std::vector<int32_t>{2, 1}, false), "ab b");
}

}  // namespace
}  // namespace rmlx::tokenizer
