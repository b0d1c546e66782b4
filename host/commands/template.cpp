// `rmlx-host template`: renders a conversation with the model's chat
// template, exactly as transformers' apply_chat_template(tokenize=False) does.
#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "engine_cli.h"
#include "rmlx/template/chat_template.hpp"

namespace po = boost::program_options;

namespace rmlx::host {

const char* summary_template() {
  return "render a conversation with the model's chat template";
}

namespace {

nlohmann::ordered_json read_json_file(const std::string& path, const char* option) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(std::string(option) + " " + path + ": cannot open");
  try {
    return nlohmann::ordered_json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string(option) + " " + path + ": invalid JSON: " + e.what());
  }
}

}  // namespace

int cmd_template(CommandContext& ctx) {
  bool help = false, add_generation_prompt = false;
  std::string model, messages_file, tools_file, kwargs_text = "{}";
  po::options_description desc("template options");
  add_common_options(desc, ctx.plugin_dirs, help);
  desc.add_options()("model,m", po::value(&model),
                     "model folder (tokenizer files suffice; default: the default model)")(
      "messages", po::value(&messages_file)->required(), "a JSON file with the messages array")(
      "tools", po::value(&tools_file), "a JSON file with the tools array")(
      "add-generation-prompt", po::bool_switch(&add_generation_prompt),
      "end with the assistant's turn opening")(
      "kwargs", po::value(&kwargs_text)->default_value("{}"),
      "extra template variables as a JSON object (e.g. '{\"enable_thinking\": false}')");
  po::variables_map vm;
  bool only_help = false;
  for (const auto& a : ctx.args) only_help |= a == "--help" || a == "-h";
  if (only_help) {
    print_command_help(
        ctx, "--messages FILE [--tools FILE] [--add-generation-prompt] [--kwargs JSON]", desc);
    return 0;
  }
  if (!parse_command_line(ctx, desc, nullptr, vm)) return 2;
  try {
    auto messages = read_json_file(messages_file, "--messages");
    if (!messages.is_array()) throw std::runtime_error("--messages: must hold a JSON array");
    nlohmann::ordered_json tools = nullptr;
    if (!tools_file.empty()) tools = read_json_file(tools_file, "--tools");
    nlohmann::ordered_json kwargs;
    try {
      kwargs = nlohmann::ordered_json::parse(kwargs_text);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(std::string("--kwargs: invalid JSON: ") + e.what());
    }
    if (!kwargs.is_object()) throw std::runtime_error("--kwargs: must be a JSON object");
    std::cout << tmpl::render_chat(resolve_model_dir(model, false), messages, tools,
                                   add_generation_prompt, kwargs);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace rmlx::host
