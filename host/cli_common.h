// What every sub-command shares: its arguments, the plugin directories and
// the registry built from them.
#pragma once

#include <boost/program_options.hpp>
#include <memory>
#include <string>
#include <vector>

#include "rmlx/registry/registry.h"

namespace rmlx::host {

struct CommandContext {
  std::string command;                   // "serve"
  std::vector<std::string> args;         // the words after the command
  std::vector<std::string> plugin_dirs;  // --plugins given before the command
};

// Adds --plugins and --help to a command's options.
void add_common_options(boost::program_options::options_description& desc,
                        std::vector<std::string>& plugin_dirs, bool& help);

// Parses a command's words; prints the error and returns false on bad input.
bool parse_command_line(const CommandContext& ctx,
                        const boost::program_options::options_description& desc,
                        const boost::program_options::positional_options_description* positional,
                        boost::program_options::variables_map& vm);

// A registry scanned from --plugins dirs, $RMLX_PLUGIN_PATH and the install.
std::unique_ptr<registry::Registry> open_registry(const std::vector<std::string>& plugin_dirs);

void print_command_help(const CommandContext& ctx, const std::string& usage,
                        const boost::program_options::options_description& desc);

}  // namespace rmlx::host
