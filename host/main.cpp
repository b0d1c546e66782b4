// rmlx-host: loads plugins from the registry and runs one sub-command.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli_common.h"
#include "rmlx/sdk/abi.h"

namespace rmlx::host {

#define RMLX_COMMAND(fn, name)       \
  int cmd_##fn(CommandContext& ctx); \
  const char* summary_##fn();
#include "commands_table.inc"
#undef RMLX_COMMAND

namespace {

struct CommandInfo {
  const char* name;
  int (*run)(CommandContext&);
  const char* (*summary)();
};

const CommandInfo kCommands[] = {
#define RMLX_COMMAND(fn, name) {name, &cmd_##fn, &summary_##fn},
#include "commands_table.inc"
#undef RMLX_COMMAND
};

void print_help() {
  std::cout << "rmlx-host " << RMLX_VERSION
            << " - run MLX-format language models behind OpenAI- and Anthropic-compatible APIs\n\n"
               "Usage: rmlx-host [--plugins DIR]... [--log-level LEVEL] COMMAND [options]\n\n"
               "Global options:\n"
               "  --plugins DIR      a directory with a plugins.yaml manifest (repeatable)\n"
               "  --log-level LEVEL  trace, debug, info, warn, error or off (default: info)\n"
               "  -h, --help         show this help\n"
               "  --version          show the version and the plugin ABI\n\n"
               "Commands:\n";
  for (const auto& c : kCommands) {
    std::string name = c.name;
    std::cout << "  " << name << std::string(name.size() < 16 ? 16 - name.size() : 1, ' ')
              << c.summary() << "\n";
  }
  std::cout << "\nRun 'rmlx-host COMMAND --help' for a command's options.\n";
}

// Splits "--opt=value" / "--opt value"; returns false when `arg` is not `opt`.
bool take_value(const std::vector<std::string>& argv, std::size_t& i, const std::string& opt,
                std::string& value) {
  const std::string& a = argv[i];
  if (a == opt) {
    if (i + 1 >= argv.size()) throw std::runtime_error(opt + " needs a value");
    value = argv[++i];
    return true;
  }
  if (a.rfind(opt + "=", 0) == 0) {
    value = a.substr(opt.size() + 1);
    return true;
  }
  return false;
}

}  // namespace

int main_impl(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("rmlx");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::info);

  std::vector<std::string> words(argv + 1, argv + argc);
  CommandContext ctx;
  std::size_t i = 0;
  try {
    for (; i < words.size(); ++i) {
      const std::string& w = words[i];
      std::string value;
      if (w == "-h" || w == "--help") {
        print_help();
        return 0;
      }
      if (w == "--version") {
        std::cout << "rmlx-host " << RMLX_VERSION << " (plugin ABI " << sdk::kAbiVersion << ")\n";
        return 0;
      }
      if (take_value(words, i, "--plugins", value)) {
        ctx.plugin_dirs.push_back(value);
      } else if (take_value(words, i, "--log-level", value)) {
        auto level = spdlog::level::from_str(value);
        if (level == spdlog::level::off && value != "off") {
          throw std::runtime_error("--log-level: unknown level '" + value + "'");
        }
        spdlog::set_level(level);
      } else if (!w.empty() && w[0] == '-') {
        throw std::runtime_error("unknown global option '" + w + "'");
      } else {
        break;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "rmlx-host: " << e.what() << "\nTry 'rmlx-host --help'.\n";
    return 2;
  }
  if (i >= words.size()) {
    print_help();
    return 2;
  }
  ctx.command = words[i];
  ctx.args.assign(words.begin() + static_cast<std::ptrdiff_t>(i) + 1, words.end());
  for (const auto& c : kCommands) {
    if (ctx.command == c.name) return c.run(ctx);
  }
  std::cerr << "rmlx-host: unknown command '" << ctx.command << "'\nTry 'rmlx-host --help'.\n";
  return 2;
}

}  // namespace rmlx::host

int main(int argc, char** argv) {
  try {
    return rmlx::host::main_impl(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "rmlx-host: " << e.what() << "\n";
    return 1;
  }
}
