// Masks on the real Qwen3 vocabulary against the definition: a token is in the mask exactly when
// the matcher accepts it. States are taken at every cut of valid documents, including cuts inside
// strings (the plain-token shortcut) and inside multi-byte characters.
#include <gtest/gtest.h>

#include "byte_level_vocab.h"
#include "rmlx/grammar/matcher.h"
#include "test_schemas.h"

namespace rmlx::grammar {
namespace {

std::shared_ptr<const Vocabulary> qwen3() {
  static const auto vocab = [] {
    auto v = testing::load_byte_level_vocab(RMLX_GRAMMAR_QWEN3, {"<|im_end|>", "<|endoftext|>"});
    return Vocabulary::build(std::move(v.token_bytes), std::move(v.eos_ids));
  }();
  return vocab;
}

TEST(Mask, Qwen3VocabularyBytes) {
  const auto v = qwen3();
  EXPECT_EQ(v->size(), 151669u);
  EXPECT_EQ(v->bytes(90), "{");
  EXPECT_EQ(v->bytes(220), " ");    // "Ġ"
  EXPECT_EQ(v->bytes(198), "\n");   // "Ċ"
  EXPECT_EQ(v->bytes(151645), "");  // <|im_end|>
  EXPECT_EQ(v->eos_ids(), (std::vector<std::int32_t>{151643, 151645}));
}

void expect_masks_exact(const std::shared_ptr<const Grammar>& g, const std::string& doc,
                        std::size_t stride) {
  const auto vocab = qwen3();
  TokenMask mask;
  std::vector<std::size_t> cuts;
  for (std::size_t cut = 0; cut < doc.size(); cut += stride) cuts.push_back(cut);
  cuts.push_back(doc.size());
  for (const std::size_t cut : cuts) {
    Matcher m(g, vocab);
    ASSERT_TRUE(m.accept_bytes(doc.substr(0, cut))) << doc.substr(0, cut);
    m.fill_mask(mask);
    std::size_t allowed = 0;
    for (std::size_t id = 0; id < vocab->size(); ++id) {
      Matcher probe = m;
      const bool ok = probe.accept(static_cast<std::int32_t>(id));
      ASSERT_EQ(mask.test(id), ok)
          << "token " << id << " '" << vocab->bytes(static_cast<std::int32_t>(id)) << "' after '"
          << doc.substr(0, cut) << "'";
      allowed += ok ? 1 : 0;
    }
    ASSERT_GT(allowed, 0u) << "dead end after '" << doc.substr(0, cut) << "'";
    if (cut == doc.size()) {
      EXPECT_TRUE(mask.test(151645));
    }
  }
}

TEST(Mask, EqualsTokenByTokenAcceptance) {
  const auto g = testing::load_test_schemas(RMLX_GRAMMAR_SCHEMAS);
  expect_masks_exact(
      g.at("person"),
      R"({"name":"J\u00e9 \"x\"","age":-41,"email":"ab@cd.com","tags":["a"],"active":true})", 3);
  expect_masks_exact(
      g.at("choices"),
      R"({"kind":null,"version":"v1","size":1.5e3,"unit":"km","shape":{"r":2,"h":3}})", 4);
  expect_masks_exact(g.at("ticket"),
                     "{\"id\":\"AB-1234\",\"payload\":{\"text\":\"\xe4\xb8\xad\xe6\x96\x87 "
                     "ok\"},\"note\":\"fine\"}",
                     2);
  expect_masks_exact(g.at("json_object"), R"({"k":[1,{"z":"v"}],"n":null})", 5);
}

}  // namespace
}  // namespace rmlx::grammar
