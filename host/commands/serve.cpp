// `rmlx-host serve`: the HTTP server.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli_common.h"
#include "engine_cli.h"
#include "rmlx/snapshot/default_model.h"
#include "server/server.h"

namespace po = boost::program_options;

namespace rmlx::host {

namespace {

// Every snapshot folder (one holding config.json) directly inside `dir`,
// sorted by name.
std::vector<std::string> snapshot_folders(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_directory() && std::filesystem::is_regular_file(entry.path() / "config.json")) {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

const char* summary_serve() {
  return "serve models over OpenAI- and Anthropic-compatible HTTP APIs";
}

int cmd_serve(CommandContext& ctx) {
  bool help = false;
  ServerOptions options;
  std::vector<std::string> models;
  std::string max_body = "8M", models_dir;
  int reasoning_budget = -1;
  po::options_description desc("serve options");
  add_common_options(desc, ctx.plugin_dirs, help);
  auto& eo = options.engine;
  desc.add_options()("host", po::value(&options.host)->default_value("127.0.0.1"),
                     "address to listen on (loopback by default; 0.0.0.0 exposes the server)")(
      "port", po::value(&options.port)->default_value(8080), "TCP port (0: any free port)")(
      "model", po::value(&models)->composing(),
      "a model snapshot folder (repeatable; default: the prepared default model)")(
      "api-key", po::value(&options.api_key),
      "require this key (Authorization: Bearer KEY or x-api-key: KEY); default: $RMLX_API_KEY")(
      "max-body-bytes", po::value(&max_body)->default_value("8M"),
      "largest request body accepted (e.g. 8M); larger ones get 413")(
      "rate-limit", po::value(&options.rate_limit_per_minute)->default_value(0),
      "requests per minute per client address (0: unlimited); over it: 429")(
      "request-timeout", po::value(&options.request_timeout_s)->default_value(600.0),
      "seconds a request may run, streaming included (0: no limit)")(
      "cors-origin", po::value(&options.cors_origins)->composing(),
      "an origin browsers may call from (repeatable; '*' for any)")(
      "http-threads", po::value(&options.http_threads)->default_value(64),
      "connections served at once")(
      "tool-call-parser", po::value(&options.parser_overrides.tool),
      "tool-call format (hermes, qwen3_coder, llama3_json, mistral, ...; 'none' to disable); "
      "default: read from the chat template")(
      "reasoning-parser", po::value(&options.parser_overrides.reasoning),
      "reasoning format (think, harmony; 'none' to disable); default: read from the chat template")(
      "reasoning-budget", po::value(&reasoning_budget),
      "think-block tokens at most before \"</think>\" is forced (requests may set their own)")(
      "models-dir", po::value(&models_dir),
      "serve every snapshot folder inside DIR (the folder name is the model id)")(
      "idle-unload", po::value(&options.idle_unload_s)->default_value(0),
      "free a model's engine and KV cache after this many seconds without requests; it "
      "reloads on the next one (0: never)");
  add_engine_options(desc, eo);
  po::variables_map vm;
  if (!parse_command_line(ctx, desc, nullptr, vm)) return 2;
  if (help) {
    print_command_help(
        ctx, "[--model DIR]... [--models-dir DIR] [--host ADDR] [--port N] [--plugins DIR]...",
        desc);
    return 0;
  }
  auto fail = [](const std::string& msg) {
    std::cerr << "rmlx-host serve: " << msg << "\n";
    return 2;
  };
  if (options.port < 0 || options.port > 65535) {
    return fail("--port must be between 0 and 65535, got " + std::to_string(options.port));
  }
  const std::int64_t body_bytes = parse_size(max_body);
  if (body_bytes <= 0)
    return fail("--max-body-bytes: expected a size like 8M, got '" + max_body + "'");
  options.max_body_bytes = static_cast<std::size_t>(body_bytes);
  if (options.rate_limit_per_minute < 0) return fail("--rate-limit must be 0 or more");
  if (options.request_timeout_s < 0) return fail("--request-timeout must be 0 or more");
  if (options.http_threads < 1) return fail("--http-threads must be at least 1");
  if (options.idle_unload_s < 0) return fail("--idle-unload must be 0 or more");
  if (vm.count("reasoning-budget")) {
    if (reasoning_budget < 0) return fail("--reasoning-budget must be 0 or more");
    options.reasoning_budget = reasoning_budget;
  }
  if (!models_dir.empty()) {
    if (!std::filesystem::is_directory(models_dir))
      return fail("--models-dir " + models_dir + ": not a directory");
    const auto found = snapshot_folders(models_dir);
    if (found.empty())
      return fail("--models-dir " + models_dir + ": no snapshot folder (with config.json) inside");
    models.insert(models.end(), found.begin(), found.end());
  }
  if (options.api_key.empty()) {
    if (const char* env = std::getenv("RMLX_API_KEY")) options.api_key = env;
  }
  if (models.empty()) {
    const std::string dflt = snapshot::default_model_dir();
    if (std::filesystem::is_directory(dflt)) {
      models.push_back(dflt);
    } else {
      spdlog::warn(
          "no --model given and the default model is not at {} "
          "(run scripts/prepare-default-model.sh or pass --model DIR)",
          dflt);
    }
  }
  for (const auto& m : models) {
    std::filesystem::path p(m);
    if (!std::filesystem::is_directory(p)) return fail("--model " + m + ": not a directory");
    auto id = std::filesystem::absolute(p).lexically_normal().filename().string();
    if (id.empty())
      id = std::filesystem::absolute(p).lexically_normal().parent_path().filename().string();
    for (const auto& existing : options.models) {
      if (existing.id == id)
        return fail("--model " + m + ": a model named '" + id + "' is already served");
    }
    options.models.push_back({id, m});
  }
  if (options.host != "127.0.0.1" && options.host != "localhost" && options.host != "::1" &&
      options.api_key.empty()) {
    spdlog::warn("listening on {} without --api-key: anyone who can reach it may use it",
                 options.host);
  }
  auto reg = open_registry(ctx.plugin_dirs);

  // Signals are taken by a waiting thread, so the server stops cleanly.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Server server(options, *reg);
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
