#include "api/parser_choice.h"

#include <utility>
#include <vector>

namespace rmlx::api {

namespace {

bool has(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}

std::string tool_parser_for(const std::string& t, const std::string& arch) {
  if (arch == "GptOssForCausalLM" || has(t, "<|channel|>")) return "harmony";
  if (has(t, "<tool_call>") && has(t, "<function=")) return "qwen3_coder";
  if (has(t, "<tool_call>") && has(t, "<arg_key>")) return "glm4";
  if (has(t, "<minimax:tool_call>") || has(t, "<tool_calls>")) return "minimax";
  if (has(t, "<tool_call>")) return "hermes";
  if (has(t, "[TOOL_CALLS]")) return "mistral";
  if (has(t, "<｜tool▁calls▁begin｜>")) return "deepseek_v3";
  if (has(t, "<|tool_calls_section_begin|>")) return "kimi_k2";
  if (has(t, "<start_function_call>")) return "functiongemma";
  if (has(t, "<|python_start|>")) return "pythonic";
  if (has(t, "<|python_tag|>") || has(t, "Environment: ipython")) return "llama3_json";
  if (has(t, "tool_code")) return "gemma";
  return "";
}

std::string reasoning_parser_for(const std::string& t, const std::string& arch) {
  if (arch == "GptOssForCausalLM" || has(t, "<|channel|>")) return "harmony";
  if (has(t, "<think>") || has(t, "</think>")) return "think";
  return "";
}

std::string apply_override(std::string detected, const std::string& override_name) {
  if (override_name.empty()) return detected;
  if (override_name == "none") return "";
  return override_name;
}

}  // namespace

ParserChoice choose_parsers(const std::string& template_source, const std::string& architecture,
                            const ParserChoice& overrides) {
  ParserChoice c;
  c.tool = apply_override(tool_parser_for(template_source, architecture), overrides.tool);
  c.reasoning =
      apply_override(reasoning_parser_for(template_source, architecture), overrides.reasoning);
  return c;
}

}  // namespace rmlx::api
