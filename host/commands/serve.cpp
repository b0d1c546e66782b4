// `rmlx-host serve`: the HTTP server.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "cli_common.h"
#include "server/server.h"

namespace po = boost::program_options;

namespace rmlx::host {

const char* summary_serve() {
  return "serve models over OpenAI- and Anthropic-compatible HTTP APIs";
}

int cmd_serve(CommandContext& ctx) {
  bool help = false;
  ServerOptions options;
  std::vector<std::string> models;
  po::options_description desc("serve options");
  add_common_options(desc, ctx.plugin_dirs, help);
  desc.add_options()("host", po::value(&options.host)->default_value("127.0.0.1"),
                     "address to listen on (loopback by default; 0.0.0.0 exposes the server)")(
      "port", po::value(&options.port)->default_value(8080), "TCP port (0: any free port)")(
      "model", po::value(&models)->composing(), "a model snapshot folder (repeatable)");
  po::variables_map vm;
  if (!parse_command_line(ctx, desc, nullptr, vm)) return 2;
  if (help) {
    print_command_help(ctx, "[--model DIR]... [--host ADDR] [--port N] [--plugins DIR]...", desc);
    return 0;
  }
  if (options.port < 0 || options.port > 65535) {
    std::cerr << "rmlx-host serve: --port must be between 0 and 65535, got " << options.port
              << "\n";
    return 2;
  }
  for (const auto& m : models) {
    std::filesystem::path p(m);
    if (!std::filesystem::is_directory(p)) {
      std::cerr << "rmlx-host serve: --model " << m << ": not a directory\n";
      return 2;
    }
    auto id = std::filesystem::absolute(p).lexically_normal().filename().string();
    if (id.empty())
      id = std::filesystem::absolute(p).lexically_normal().parent_path().filename().string();
    options.models.push_back({id, m});
  }
  auto reg = open_registry(ctx.plugin_dirs);

  // Signals are taken by a waiting thread, so the server stops cleanly.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Server server(options);
  std::string error;
  if (!server.bind(error)) {
    spdlog::error("{}", error);
    return 1;
  }
  spdlog::info("listening on http://{}:{} ({} model{})", options.host, server.port(),
               options.models.size(), options.models.size() == 1 ? "" : "s");
  std::thread waiter([&server, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: shutting down", sig);
    server.stop();
  });
  server.run();
  // Wake the waiter if the server ended by itself.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return 0;
}

}  // namespace rmlx::host
