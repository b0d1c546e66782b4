// `rmlx-host tokenize`: text to token ids, exactly as the model's tokenizer.json says.
#include <spdlog/spdlog.h>

#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "engine_cli.h"
#include "rmlx/tokenizer/tokenizer.h"

namespace po = boost::program_options;

namespace rmlx::host {

const char* summary_tokenize() {
  return "turn text into token ids (text from --text or stdin)";
}

int cmd_tokenize(CommandContext& ctx) {
  bool help = false, no_special = false, json = false;
  std::string model, text;
  po::options_description desc("tokenize options");
  add_common_options(desc, ctx.plugin_dirs, help);
  desc.add_options()("model,m", po::value(&model),
                     "model folder (tokenizer files suffice; default: the default model)")(
      "text", po::value(&text), "the text (default: all of standard input)")(
      "no-special", po::bool_switch(&no_special), "do not add special tokens (BOS ...)")(
      "json", po::bool_switch(&json), "print {\"ids\": [...], \"tokens\": [...]}");
  po::variables_map vm;
  if (!parse_command_line(ctx, desc, nullptr, vm)) return 2;
  if (help) {
    print_command_help(ctx, "[--model DIR] [--text TEXT] [--no-special] [--json]", desc);
    return 0;
  }
  try {
    if (!vm.count("text")) text.assign(std::istreambuf_iterator<char>(std::cin), {});
    auto tok = tokenizer::Tokenizer::from_dir(resolve_model_dir(model, false));
    auto ids = tok.encode(text, !no_special);
    if (json) {
      nlohmann::json tokens = nlohmann::json::array();
      for (auto id : ids) tokens.push_back(tok.id_to_token(id));
      std::cout << nlohmann::json({{"ids", ids}, {"tokens", tokens}}).dump() << "\n";
    } else {
      for (std::size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
      std::cout << "\n";
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace rmlx::host
