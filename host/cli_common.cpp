#include "cli_common.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "rmlx/registry/search_path.h"

namespace po = boost::program_options;

namespace rmlx::host {

void add_common_options(po::options_description& desc, std::vector<std::string>& plugin_dirs,
                        bool& help) {
  desc.add_options()("help,h", po::bool_switch(&help), "show this help")(
      "plugins", po::value<std::vector<std::string>>(&plugin_dirs)->composing(),
      "a directory with a plugins.yaml manifest (repeatable; searched in order, before "
      "$RMLX_PLUGIN_PATH and the installed plugins)");
}

bool parse_command_line(const CommandContext& ctx, const po::options_description& desc,
                        const po::positional_options_description* positional,
                        po::variables_map& vm) {
  try {
    po::command_line_parser parser(ctx.args);
    parser.options(desc);
    if (positional != nullptr) parser.positional(*positional);
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "rmlx-host " << ctx.command << ": " << e.what() << "\n"
              << "Try 'rmlx-host " << ctx.command << " --help'.\n";
    return false;
  }
  return true;
}

std::unique_ptr<registry::Registry> open_registry(const std::vector<std::string>& plugin_dirs) {
  auto reg = std::make_unique<registry::Registry>();
  reg->scan(registry::plugin_search_dirs(plugin_dirs));
  return reg;
}

void print_command_help(const CommandContext& ctx, const std::string& usage,
                        const po::options_description& desc) {
  std::cout << "Usage: rmlx-host " << ctx.command << " " << usage << "\n\n" << desc << "\n";
}

}  // namespace rmlx::host
