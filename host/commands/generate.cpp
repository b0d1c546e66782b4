// `rmlx-host generate`: one prompt in, streamed text out, then the speed.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/structured_output.h"
#include "cli_common.h"
#include "engine_cli.h"
#include "rmlx/sampling/stop_matcher.h"
#include "rmlx/template/chat_template.hpp"
#include "rmlx/tokenizer/tokenizer.h"

namespace po = boost::program_options;

namespace rmlx::host {

const char* summary_generate() {
  return "generate text from one prompt and report the speed";
}

namespace {

std::vector<std::int32_t> parse_ids(const std::string& text) {
  std::vector<std::int32_t> ids;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    try {
      std::size_t used = 0;
      long v = std::stol(part, &used);
      if (used != part.size() || v < 0 || v > INT32_MAX) throw std::invalid_argument(part);
      ids.push_back(static_cast<std::int32_t>(v));
    } catch (const std::exception&) {
      throw std::runtime_error("--prompt-ids: '" + part + "' is not a token id");
    }
  }
  return ids;
}

}  // namespace

int cmd_generate(CommandContext& ctx) {
  bool help = false, raw = false, json = false, ignore_eos = false;
  int reasoning_budget = -1;
  std::string model, prompt, prompt_ids;
  engine::EngineOptions eopts;
  SamplingFlags sflags;
  po::options_description desc("generate options");
  add_common_options(desc, ctx.plugin_dirs, help);
  desc.add_options()("prompt,p", po::value(&prompt), "the prompt ('-' reads standard input)")(
      "prompt-ids", po::value(&prompt_ids), "the prompt as comma-separated token ids")(
      "raw", po::bool_switch(&raw), "do not apply the chat template")(
      "ignore-eos", po::bool_switch(&ignore_eos), "keep generating past end-of-sequence tokens")(
      "reasoning-budget", po::value(&reasoning_budget),
      "for <think> models: thinking tokens at most, then \"</think>\" is forced")(
      "json", po::bool_switch(&json),
      "print one JSON object (prompt_ids, ids, text, finish_reason) instead of streaming");
  add_engine_options(desc, eopts, model);
  add_sampling_options(desc, sflags);
  po::variables_map vm;
  if (!parse_command_line(ctx, desc, nullptr, vm)) return 2;
  if (help) {
    print_command_help(ctx, "[--model DIR] --prompt TEXT [options]", desc);
    return 0;
  }
  finish_sampling_flags(sflags);
  try {
    eopts.model_dir = resolve_model_dir(model);
    if (prompt == "-") prompt.assign(std::istreambuf_iterator<char>(std::cin), {});
    if (prompt.empty() && prompt_ids.empty())
      throw std::runtime_error("give --prompt or --prompt-ids");

    auto tokenizer = tokenizer::Tokenizer::from_dir(eopts.model_dir);
    engine::Request req;
    if (!prompt_ids.empty()) {
      req.prompt = parse_ids(prompt_ids);
    } else if (!raw) {
      auto cfg = tmpl::ChatTemplateConfig::load(eopts.model_dir);
      if (cfg.templates.empty()) {
        req.prompt = tokenizer.encode(prompt, true);
      } else {
        nlohmann::ordered_json messages = nlohmann::ordered_json::array();
        messages.push_back({{"role", "user"}, {"content", prompt}});
        const std::string text = tmpl::render_chat(cfg, messages, nullptr, true);
        req.prompt = tokenizer.encode(text, false);
      }
    } else {
      req.prompt = tokenizer.encode(prompt, true);
    }
    req.sampling = sflags.params;
    req.max_tokens = sflags.max_tokens;
    req.ignore_eos = ignore_eos;
    if (vm.count("reasoning-budget")) {
      if (reasoning_budget < 0) throw std::runtime_error("--reasoning-budget must be 0 or more");
      req.constraint = api::make_reasoning_gate(tokenizer, tokenizer.decode(req.prompt, false),
                                                reasoning_budget);
    }

    auto reg = open_registry(ctx.plugin_dirs);
    auto engine = engine::Engine::load(eopts, *reg);
    const auto t0 = std::chrono::steady_clock::now();
    auto stream = engine->submit(req);
    tokenizer::StreamDecoder decoder(tokenizer, true);
    sampling::StopMatcher stops(sflags.stop);
    std::vector<std::int32_t> ids;
    std::string text;
    std::chrono::steady_clock::time_point t_first;
    std::clock_t cpu_first = 0;
    engine::Event ev;
    engine::FinishReason finish = engine::FinishReason::none;
    bool stopped = false;
    int drafted = 0, drafts_accepted = 0;
    auto emit = [&](const std::string& piece) {
      text += piece;
      if (!json) {
        std::cout << piece << std::flush;
      }
    };
    while (finish == engine::FinishReason::none && stream->next(ev)) {
      for (const auto& t : ev.tokens) {
        if (ids.empty()) {
          t_first = std::chrono::steady_clock::now();
          cpu_first = std::clock();
        }
        ids.push_back(t.token);
        if (stopped) continue;
        auto r = stops.feed(decoder.step(t.token));
        emit(r.text);
        if (r.stop) {
          stopped = true;
          stream->cancel();
        }
      }
      finish = ev.finish;
      if (!ev.error.empty()) throw std::runtime_error(ev.error);
      if (finish != engine::FinishReason::none) {
        drafted = ev.draft_tokens;
        drafts_accepted = ev.draft_tokens_accepted;
      }
    }
    if (!stopped) {
      emit(stops.feed(decoder.flush()).text);
      emit(stops.flush());
    }
    const auto t_end = std::chrono::steady_clock::now();
    // CPU seconds of the whole process while decoding: a speed measure that
    // holds on a busy machine too (with --threads 1, wall time when idle).
    const double decode_cpu_s = static_cast<double>(std::clock() - cpu_first) / CLOCKS_PER_SEC;
    const double prompt_s = std::chrono::duration<double>(t_first - t0).count();
    const double decode_s = std::chrono::duration<double>(t_end - t_first).count();
    const char* reason = stopped ? "stop" : engine::finish_reason_name(finish);
    if (json) {
      nlohmann::json out = {
          {"prompt_ids", req.prompt}, {"ids", ids}, {"text", text}, {"finish_reason", reason}};
      out["decode_cpu_s"] = decode_cpu_s;
      out["prompt_tokens_per_s"] = prompt_s > 0 ? req.prompt.size() / prompt_s : 0.0;
      out["decode_tokens_per_s"] =
          decode_s > 0 && ids.size() > 1 ? (ids.size() - 1) / decode_s : 0.0;
      if (!eopts.drafter.empty() && eopts.drafter != "none") {
        out["draft_tokens"] = drafted;
        out["draft_tokens_accepted"] = drafts_accepted;
        // Each decode step emits its accepted drafts plus one token.
        out["decode_steps"] = static_cast<int>(ids.size()) - 1 - drafts_accepted;
      }
      std::cout << out.dump() << "\n";
    } else {
      std::cout << "\n";
    }
    std::cerr << fmt::format(
        "prompt: {} tokens, {:.1f} tok/s | generation: {} tokens, {:.1f} tok/s | finish: {}\n",
        req.prompt.size(), prompt_s > 0 ? req.prompt.size() / prompt_s : 0.0, ids.size(),
        decode_s > 0 && ids.size() > 1 ? (ids.size() - 1) / decode_s : 0.0, reason);
    if (drafted > 0) {
      std::cerr << fmt::format("drafter {}: {} of {} drafted tokens accepted ({:.0f}%)\n",
                               eopts.drafter, drafts_accepted, drafted,
                               100.0 * drafts_accepted / drafted);
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace rmlx::host
