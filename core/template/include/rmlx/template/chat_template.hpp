#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "rmlx/template/error.hpp"
#include "rmlx/template/value.hpp"

namespace rmlx::tmpl {

namespace detail {
struct Program;
}

// Bounds that stop runaway templates with a TemplateError of kind Limit.
struct RenderLimits {
  size_t max_output_bytes = size_t{64} << 20;  // any single rendered buffer or built string
  int max_call_depth = 200;                    // nested macro / caller() calls
  uint64_t max_loop_iterations = 2'000'000;    // all loop iterations of one render
};

// A parsed Jinja2 template, rendered with the semantics transformers uses for chat templates:
// jinja2's ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks, the loop-controls
// extension, and the globals raise_exception, strftime_now, namespace, dict, range.
class ChatTemplate {
 public:
  // Throws TemplateError (kind Syntax) naming the line and column of the problem.
  static ChatTemplate parse(std::string source, RenderLimits limits = {});

  // `context` must be an object; its keys become template variables (key order is kept, which
  // matters for `tojson` and dict iteration, hence ordered_json).
  std::string render(const nlohmann::ordered_json& context) const;
  // For callers holding nlohmann::json: its objects are key-sorted, so dicts render in sorted
  // order (use ordered_json to keep the order transformers would see).
  std::string render(const nlohmann::json& context) const;
  // The same from already converted variables (name -> value, in order).
  std::string render(const std::vector<std::pair<std::string, Value>>& variables) const;

  const std::string& source() const;

 private:
  std::shared_ptr<const detail::Program> program_;
};

// The chat template(s) and special tokens of a model folder, found the way transformers finds them.
struct ChatTemplateConfig {
  // Named templates; "default" is the plain one. From chat_template.jinja and
  // additional_chat_templates/*.jinja when present, else from tokenizer_config.json's
  // "chat_template" (a string, or a list of {"name", "template"}).
  std::vector<std::pair<std::string, std::string>> templates;
  // bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token and the
  // model-specific extra_special_tokens, in that order, as strings (AddedToken dicts give
  // their "content").
  std::vector<std::pair<std::string, std::string>> special_tokens;

  static ChatTemplateConfig load(const std::filesystem::path& model_dir);
  static ChatTemplateConfig from_tokenizer_config(const nlohmann::ordered_json& config);

  // nullptr when absent.
  const std::string* find(const std::string& name) const;
  // What transformers picks: "tool_use" when tools are given and it exists, else "default".
  // Throws std::runtime_error when the model has no chat template.
  const std::string& select(bool has_tools) const;
};

// Builds the variables transformers' apply_chat_template passes: special tokens, then kwargs
// (which override them), messages (keys whose value is null dropped, reasoning fields aliased),
// tools (null when absent), documents (null unless kwargs has it), add_generation_prompt.
std::vector<std::pair<std::string, Value>> chat_variables(const ChatTemplateConfig& config,
                                                          const nlohmann::ordered_json& messages,
                                                          const nlohmann::ordered_json& tools,
                                                          bool add_generation_prompt,
                                                          const nlohmann::ordered_json& kwargs);

// Renders a conversation like `tokenizer.apply_chat_template(messages, tools=tools,
// add_generation_prompt=..., tokenize=False, **kwargs)`. `tools` null means no tools.
std::string render_chat(const ChatTemplateConfig& config, const nlohmann::ordered_json& messages,
                        const nlohmann::ordered_json& tools, bool add_generation_prompt,
                        const nlohmann::ordered_json& kwargs = nlohmann::ordered_json::object());
std::string render_chat(const std::filesystem::path& model_dir,
                        const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools,
                        bool add_generation_prompt,
                        const nlohmann::ordered_json& kwargs = nlohmann::ordered_json::object());

}  // namespace rmlx::tmpl
