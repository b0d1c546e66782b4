// `rmlx-host chat`: a streaming conversation in the terminal, with the
// model's chat template applied to the whole history each turn (the prefix
// cache makes the repeated history cheap).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/structured_output.h"
#include "cli_common.h"
#include "engine_cli.h"
#include "rmlx/sampling/stop_matcher.h"
#include "rmlx/template/chat_template.hpp"
#include "rmlx/tokenizer/tokenizer.h"

namespace po = boost::program_options;

namespace rmlx::host {

const char* summary_chat() {
  return "talk with a model in the terminal (streaming)";
}

namespace {

const char* kChatHelp =
    "Commands:\n"
    "  /help           this help\n"
    "  /system TEXT    set the system prompt (and start over)\n"
    "  /clear          forget the conversation (keeps the system prompt)\n"
    "  /save FILE      write the conversation as JSON messages\n"
    "  /exit           leave (Ctrl-D too)\n";

struct Reply {
  std::string text;
  std::size_t tokens = 0;
  double seconds = 0;
  double ttft = 0;
};

}  // namespace

int cmd_chat(CommandContext& ctx) {
  bool help = false;
  std::string model, system;
  engine::EngineOptions eopts;
  SamplingFlags sflags;
  po::options_description desc("chat options");
  add_common_options(desc, ctx.plugin_dirs, help);
  int reasoning_budget = -1;
  desc.add_options()("system", po::value(&system), "system prompt")(
      "reasoning-budget", po::value(&reasoning_budget),
      "for <think> models: thinking tokens at most per reply, then \"</think>\" is forced");
  add_engine_options(desc, eopts, model);
  add_sampling_options(desc, sflags);
  po::variables_map vm;
  if (!parse_command_line(ctx, desc, nullptr, vm)) return 2;
  if (help) {
    print_command_help(ctx, "[--model DIR] [--system TEXT] [options]", desc);
    std::cout << kChatHelp;
    return 0;
  }
  finish_sampling_flags(sflags);
  try {
    eopts.model_dir = resolve_model_dir(model);
    if (vm.count("reasoning-budget") && reasoning_budget < 0)
      throw std::runtime_error("--reasoning-budget must be 0 or more");
    auto tokenizer = tokenizer::Tokenizer::from_dir(eopts.model_dir);
    auto templates = tmpl::ChatTemplateConfig::load(eopts.model_dir);
    if (templates.templates.empty()) {
      throw std::runtime_error(eopts.model_dir + ": the model has no chat template; use generate");
    }
    auto reg = open_registry(ctx.plugin_dirs);
    auto engine = engine::Engine::load(eopts, *reg);
    std::cout << "rmlx chat with " << engine->info().id
              << ". /help for commands, /exit to leave.\n";

    nlohmann::ordered_json messages = nlohmann::ordered_json::array();
    auto reset = [&] {
      messages = nlohmann::ordered_json::array();
      if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
    };
    reset();

    auto respond = [&]() -> Reply {
      const std::string prompt = tmpl::render_chat(templates, messages, nullptr, true);
      engine::Request req;
      req.prompt = tokenizer.encode(prompt, false);
      req.sampling = sflags.params;
      req.max_tokens = sflags.max_tokens;
      if (reasoning_budget >= 0)
        req.constraint = api::make_reasoning_gate(tokenizer, prompt, reasoning_budget);
      const auto t0 = std::chrono::steady_clock::now();
      auto stream = engine->submit(req);
      tokenizer::StreamDecoder decoder(tokenizer, true);
      sampling::StopMatcher stops(sflags.stop);
      Reply r;
      engine::Event ev;
      bool done = false;
      while (!done && stream->next(ev)) {
        for (const auto& t : ev.tokens) {
          if (r.tokens++ == 0) {
            r.ttft = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          }
          auto step = stops.feed(decoder.step(t.token));
          std::cout << step.text << std::flush;
          r.text += step.text;
          if (step.stop) {
            stream->cancel();
            done = true;
            break;
          }
        }
        if (!ev.error.empty()) throw std::runtime_error(ev.error);
        if (ev.finish != engine::FinishReason::none) done = true;
      }
      if (!stops.stopped()) {
        std::string tail = stops.feed(decoder.flush()).text + stops.flush();
        std::cout << tail;
        r.text += tail;
      }
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      return r;
    };

    std::string line;
    while (true) {
      std::cout << "\n> " << std::flush;
      if (!std::getline(std::cin, line)) break;
      if (line.empty()) continue;
      if (line[0] == '/') {
        const auto space = line.find(' ');
        const std::string cmd = line.substr(0, space);
        const std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
        if (cmd == "/exit" || cmd == "/quit") break;
        if (cmd == "/help") {
          std::cout << kChatHelp;
        } else if (cmd == "/clear") {
          reset();
          std::cout << "(conversation cleared)\n";
        } else if (cmd == "/system") {
          system = arg;
          reset();
          std::cout << (system.empty() ? "(system prompt removed)\n" : "(system prompt set)\n");
        } else if (cmd == "/save") {
          if (arg.empty()) {
            std::cout << "usage: /save FILE\n";
            continue;
          }
          std::ofstream out(arg);
          out << messages.dump(2) << "\n";
          std::cout << (out ? "(saved to " + arg + ")\n" : "cannot write " + arg + "\n");
        } else {
          std::cout << "unknown command " << cmd << " (/help lists them)\n";
        }
        continue;
      }
      messages.push_back({{"role", "user"}, {"content", line}});
      Reply r = respond();
      messages.push_back({{"role", "assistant"}, {"content", r.text}});
      const double decode_s = r.seconds - r.ttft;
      std::cout << fmt::format("\n[{} tokens, first after {:.2f} s, {:.1f} tok/s]\n", r.tokens,
                               r.ttft,
                               r.tokens > 1 && decode_s > 0 ? (r.tokens - 1) / decode_s : 0.0);
    }
    std::cout << "\n";
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace rmlx::host
