// Documents written and labelled by make_documents.py (python jsonschema's verdict): the grammar
// must accept exactly the valid ones.
#include <gtest/gtest.h>

#include <fstream>

#include "rmlx/grammar/matcher.h"
#include "test_schemas.h"

namespace rmlx::grammar {
namespace {

TEST(Documents, AcceptExactlyWhatJsonschemaAccepts) {
  const auto grammars = testing::load_test_schemas(RMLX_GRAMMAR_SCHEMAS);
  std::vector<std::string> bytes;
  for (int c = 0; c < 256; ++c) bytes.emplace_back(1, static_cast<char>(c));
  const auto vocab = Vocabulary::build(bytes, {});
  std::ifstream in(RMLX_GRAMMAR_DOCUMENTS);
  ASSERT_TRUE(in) << "missing " << RMLX_GRAMMAR_DOCUMENTS;
  std::string line;
  int total = 0, valid = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    const auto& g = grammars.at(j["schema"].get<std::string>());
    const std::string doc = j["doc"].get<std::string>();
    Matcher m(g, vocab);
    const bool accepted = m.accept_bytes(doc) && m.is_complete();
    EXPECT_EQ(accepted, j["valid"].get<bool>()) << j["schema"] << ": " << doc;
    ++total;
    valid += j["valid"].get<bool>() ? 1 : 0;
  }
  EXPECT_EQ(total, 850);
  EXPECT_GT(valid, 300);
}

}  // namespace
}  // namespace rmlx::grammar
