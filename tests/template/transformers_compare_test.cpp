// Renders the conversations of transformers_reference.py with every chat template and compares
// with what Python transformers' apply_chat_template produced (written into the build tree by
// the template_transformers_reference ctest).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rmlx/template/chat_template.hpp"
#include "test_util.hpp"

namespace rmlx::tmpl {
namespace {

const std::string kRefDir = TEMPLATE_REF_DIR;

std::vector<std::string> reference_templates() {
  std::ifstream in(kRefDir + "/templates.txt");
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) names.push_back(line);
  return names;
}

TEST(TemplateTransformers, EveryTemplateMatchesApplyChatTemplate) {
  auto names = reference_templates();
  if (names.empty())
    GTEST_SKIP() << "no references in " << kRefDir << " (Python transformers missing?)";
  for (const char* required : {"qwen3", "llama3_1", "gemma3", "deepseek_v3"})
    EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
  for (const auto& name : names) {
    auto config = ChatTemplateConfig::load(kRefDir + "/tok/" + name);
    auto rows = testing::read_jsonl(kRefDir + "/" + name + ".jsonl");
    int rendered = 0;
    for (const auto& row : rows) {
      SCOPED_TRACE(name + " / " + row["case"].get<std::string>());
      auto render = [&] {
        return render_chat(config, row["messages"], row["tools"],
                           row["add_generation_prompt"].get<bool>(), row["kwargs"]);
      };
      if (row.contains("rendered")) {
        EXPECT_EQ(render(), row["rendered"].get<std::string>());
        ++rendered;
        continue;
      }
      try {
        render();
        ADD_FAILURE() << "transformers raised " << row["error"] << ", we rendered";
      } catch (const TemplateError& e) {
        EXPECT_EQ(e.message(), row["error"].get<std::string>()) << e.what();
        if (row["error_type"] == "TemplateError") {
          EXPECT_EQ(e.kind(), TemplateError::Kind::Raised);
        }
      }
    }
    EXPECT_GE(rendered, 10) << name << ": too few conversations render";
  }
}

}  // namespace
}  // namespace rmlx::tmpl
