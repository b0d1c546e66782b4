// Finding a model's chat template and special tokens, and building the variables exactly as
// transformers' apply_chat_template does (expectations taken from transformers 5).
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "rmlx/template/chat_template.hpp"
#include "test_util.hpp"

namespace rmlx::tmpl {
namespace {

using json = nlohmann::ordered_json;

void write(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("rmlx_template_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(TemplateConfig, SpecialTokensFromStringsAndAddedTokenDicts) {
  auto deepseek = ChatTemplateConfig::load(testing::shared_dir() + "/tokenizers/deepseek_v3");
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(deepseek.special_tokens, (P{{"bos_token", "<｜begin▁of▁sentence｜>"},
                                        {"eos_token", "<｜end▁of▁sentence｜>"},
                                        {"pad_token", "<｜end▁of▁sentence｜>"}}));
  auto gemma = ChatTemplateConfig::load(testing::shared_dir() + "/tokenizers/gemma3");
  EXPECT_EQ(gemma.special_tokens, (P{{"bos_token", "<bos>"},
                                     {"eos_token", "<end_of_turn>"},
                                     {"unk_token", "<unk>"},
                                     {"pad_token", "<pad>"},
                                     {"boi_token", "<start_of_image>"},
                                     {"eoi_token", "<end_of_image>"},
                                     {"image_token", "<image_soft_token>"}}));
  ASSERT_EQ(gemma.templates.size(), 1u);
  EXPECT_EQ(gemma.templates[0].first, "default");
  auto no_template = ChatTemplateConfig::load(testing::shared_dir() + "/tokenizers/llama2");
  EXPECT_TRUE(no_template.templates.empty());
  EXPECT_THROW(no_template.select(false), std::runtime_error);
}

TEST(TemplateConfig, NamedTemplatesPickToolUseWhenToolsAreGiven) {
  auto cfg = ChatTemplateConfig::from_tokenizer_config(json::parse(R"({
    "bos_token": "<s>",
    "chat_template": [{"name": "default", "template": "D{{ tools is none }}"},
                      {"name": "tool_use", "template": "T{{ tools | length }}"},
                      {"name": "rag", "template": "R"}]})"));
  EXPECT_EQ(*cfg.find("rag"), "R");
  EXPECT_EQ(cfg.find("missing"), nullptr);
  json msgs = json::parse(R"([{"role": "user", "content": "hi"}])");
  EXPECT_EQ(render_chat(cfg, msgs, nullptr, false), "DTrue");
  EXPECT_EQ(render_chat(cfg, msgs, json::array(), false), "T0");
  auto no_default = ChatTemplateConfig::from_tokenizer_config(
      json::parse(R"({"chat_template": [{"name": "rag", "template": "R"}]})"));
  try {
    no_default.select(false);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "the model has several chat templates and none is named default: rag");
  }
  EXPECT_THROW(ChatTemplateConfig::from_tokenizer_config(json::parse(R"({"chat_template": 5})")),
               std::invalid_argument);
}

TEST(TemplateConfig, JinjaFilesTakePrecedenceOverTokenizerConfig) {
  auto dir = fresh_dir("jinja");
  write(dir / "tokenizer_config.json",
        R"({"eos_token": {"content": "</s>", "lstrip": false}, "chat_template": "from config"})");
  write(dir / "chat_template.jinja", "from file {{ eos_token }}\n");
  write(dir / "additional_chat_templates" / "tool_use.jinja", "tools {{ tools | length }}");
  auto cfg = ChatTemplateConfig::load(dir);
  ASSERT_EQ(cfg.templates.size(), 2u);
  json msgs = json::array();
  EXPECT_EQ(render_chat(dir, msgs, nullptr, false), "from file </s>");
  EXPECT_EQ(render_chat(dir, msgs, json::parse(R"([{"type": "function"}])"), false), "tools 1");
  std::filesystem::remove_all(dir);
}

TEST(TemplateConfig, VariablesMatchApplyChatTemplate) {
  ChatTemplateConfig cfg = ChatTemplateConfig::load(testing::shared_dir() + "/tokenizers/gemma3");
  cfg.templates = {
      {"default",
       "{{ messages | tojson }}|{{ tools }}|{{ documents }}|{{ bos_token }}{{ boi_token "
       "}}{{ unk_token }}|{{ add_generation_prompt }}|{{ custom }}"}};
  json msgs = json::parse(R"([
    {"role": "assistant", "content": "x", "reasoning": "r", "name": null},
    {"role": "assistant", "thinking": "t0", "content": "y", "reasoning_content": "rc"},
    {"role": "user", "content": null}])");
  EXPECT_EQ(
      render_chat(cfg, msgs, nullptr, false, json::parse(R"({"custom": 1, "bos_token": "<B>"})")),
      R"([{"thinking": "r", "role": "assistant", "content": "x", "reasoning": "r", "reasoning_content": "r"}, {"thinking": "t0", "role": "assistant", "content": "y", "reasoning_content": "rc"}, {"role": "user"}]|None|None|<B><start_of_image><unk>|False|1)");
  EXPECT_EQ(
      render_chat(cfg, json::array({msgs[0]}), nullptr, false,
                  json::parse(R"({"documents": [{"title": "a", "text": "b"}]})")),
      R"([{"thinking": "r", "role": "assistant", "content": "x", "reasoning": "r", "reasoning_content": "r"}]|None|[{'title': 'a', 'text': 'b'}]|<bos><start_of_image><unk>|False|)");
}

TEST(TemplateConfig, BadInputsAreRejectedWithAClearMessage) {
  ChatTemplateConfig cfg;
  cfg.templates = {{"default", "x"}};
  auto message_of = [&](const json& msgs, const json& tools, const json& kwargs) {
    try {
      render_chat(cfg, msgs, tools, false, kwargs);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message_of(json::object(), nullptr, json::object()), "messages must be a JSON array");
  EXPECT_EQ(message_of(json::array({1}), nullptr, json::object()),
            "chat messages must be JSON objects");
  EXPECT_EQ(message_of(json::array(), 3, json::object()), "tools must be a JSON array or null");
  EXPECT_EQ(message_of(json::array(), nullptr, json::array()),
            "template kwargs must be a JSON object");
  EXPECT_EQ(message_of(json::array(), nullptr, json::parse(R"({"messages": []})")),
            "template kwargs may not set 'messages'");
  auto dir = fresh_dir("badjson");
  write(dir / "tokenizer_config.json", "{ not json");
  EXPECT_THROW(ChatTemplateConfig::load(dir), std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST(TemplateConfig, PlainJsonContextRendersWithSortedKeys) {
  auto t = ChatTemplate::parse("{{ d | tojson }} {{ messages[0].content }}");
  nlohmann::json plain = {{"messages", {{{"role", "user"}, {"content", "hi"}}}},
                          {"d", {{"b", 1}, {"a", 2}}}};
  EXPECT_EQ(t.render(plain), R"({"a": 2, "b": 1} hi)");
  EXPECT_EQ(t.render(json::parse(R"({"d": {"b": 1, "a": 2}, "messages": [{"content": "hi"}]})")),
            R"({"b": 1, "a": 2} hi)");
}

}  // namespace
}  // namespace rmlx::tmpl
