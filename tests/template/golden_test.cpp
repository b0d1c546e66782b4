// Every line of ../shared/golden/chat_template_public.jsonl, rendered from the template in the
// matching tokenizer folder, must give the expected text (or the error the template raises).
#include <gtest/gtest.h>

#include <map>

#include "rmlx/template/chat_template.hpp"
#include "test_util.hpp"

namespace rmlx::tmpl {
namespace {

TEST(TemplateGolden, ReproducesEveryPublicLine) {
  const std::string path = testing::shared_dir() + "/golden/chat_template_public.jsonl";
  auto rows = testing::read_jsonl(path);
  ASSERT_GE(rows.size(), 12u) << path;
  int checked = 0;
  std::map<std::string, ChatTemplateConfig> configs;
  for (const auto& row : rows) {
    const std::string name = row["template"].get<std::string>();
    SCOPED_TRACE(name + " / " + row["case"].get<std::string>());
    if (!configs.count(name))
      configs[name] = ChatTemplateConfig::load(testing::shared_dir() + "/tokenizers/" + name);
    const ChatTemplateConfig& config = configs[name];
    const auto& extra = row.contains("extra") && !row["extra"].is_null()
                            ? row["extra"]
                            : nlohmann::ordered_json::object();
    if (row.contains("error")) {
      try {
        render_chat(config, row["messages"], row["tools"], row["add_generation_prompt"].get<bool>(),
                    extra);
        ADD_FAILURE() << "expected the template to raise: " << row["error"];
      } catch (const TemplateError& e) {
        EXPECT_EQ(e.kind(), TemplateError::Kind::Raised) << e.what();
        EXPECT_EQ(e.message(), row["error"].get<std::string>());
      }
    } else {
      EXPECT_EQ(render_chat(config, row["messages"], row["tools"],
                            row["add_generation_prompt"].get<bool>(), extra),
                row["rendered"].get<std::string>());
    }
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(rows.size()));
}

}  // namespace
}  // namespace rmlx::tmpl
