// `rmlx-host detokenize`: token ids back to text.
#include <spdlog/spdlog.h>

#include <iostream>
#include <iterator>
#include <sstream>

#include "cli_common.h"
#include "engine_cli.h"
#include "rmlx/tokenizer/tokenizer.h"

namespace po = boost::program_options;

namespace rmlx::host {

const char* summary_detokenize() {
  return "turn token ids (--ids or stdin) into text";
}

int cmd_detokenize(CommandContext& ctx) {
  bool help = false, skip_special = false;
  std::string model, ids_text;
  po::options_description desc("detokenize options");
  add_common_options(desc, ctx.plugin_dirs, help);
  desc.add_options()("model,m", po::value(&model),
                     "model folder (tokenizer files suffice; default: the default model)")(
      "ids", po::value(&ids_text), "ids separated by commas or spaces (default: standard input)")(
      "skip-special", po::bool_switch(&skip_special), "leave special tokens out of the text");
  po::variables_map vm;
  if (!parse_command_line(ctx, desc, nullptr, vm)) return 2;
  if (help) {
    print_command_help(ctx, "[--model DIR] [--ids '1 2 3'] [--skip-special]", desc);
    return 0;
  }
  try {
    if (!vm.count("ids")) ids_text.assign(std::istreambuf_iterator<char>(std::cin), {});
    for (char& c : ids_text) {
      if (c == ',' || c == '[' || c == ']') c = ' ';
    }
    auto tok = tokenizer::Tokenizer::from_dir(resolve_model_dir(model, false));
    std::vector<std::int32_t> ids;
    std::istringstream in(ids_text);
    std::string word;
    while (in >> word) {
      std::size_t used = 0;
      long long v = -1;
      try {
        v = std::stoll(word, &used);
      } catch (const std::exception&) {
      }
      if (used != word.size() || v < 0 || v >= static_cast<long long>(tok.vocab_size())) {
        throw std::runtime_error("'" + word + "' is not a token id of this tokenizer (0.." +
                                 std::to_string(tok.vocab_size() - 1) + ")");
      }
      ids.push_back(static_cast<std::int32_t>(v));
    }
    std::cout << tok.decode(ids, skip_special) << "\n";
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace rmlx::host
