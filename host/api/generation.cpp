#include "api/generation.h"

#include <random>

#include "api/api_error.h"

namespace rmlx::api {

struct Generation::Choice {
  std::shared_ptr<engine::Stream> stream;
  std::shared_ptr<sdk::TextParser> tool_parser, reasoning_parser;
  std::unique_ptr<ChoiceDecoder> decoder;
  std::chrono::steady_clock::time_point last_token;
  bool got_token = false;
  int reasoning_tokens = 0;
};

Generation::Generation(GenerationBackend backend, const GenerationRequest& request,
                       std::vector<PreparedPrompt> prompts)
    : backend_(std::move(backend)), request_(request), prompts_(std::move(prompts)) {}

Generation::~Generation() {
  cancel();
}

void Generation::start() {
  const int ctx = backend_.max_model_len;
  for (std::size_t p = 0; p < prompts_.size(); ++p) {
    const int prompt_len = static_cast<int>(prompts_[p].ids.size());
    if (ctx > 0 && prompt_len >= ctx) {
      throw ApiError(ErrorKind::invalid_request,
                     "this model's maximum context length is " + std::to_string(ctx) +
                         " tokens, but the prompt has " + std::to_string(prompt_len) + " tokens",
                     request_.chat ? "messages" : "prompt", "context_length_exceeded");
    }
    if (ctx > 0 && request_.max_tokens && prompt_len + *request_.max_tokens > ctx) {
      throw ApiError(ErrorKind::invalid_request,
                     "this model's maximum context length is " + std::to_string(ctx) +
                         " tokens, but " + std::to_string(prompt_len + *request_.max_tokens) +
                         " were requested (" + std::to_string(prompt_len) + " in the prompt, " +
                         std::to_string(*request_.max_tokens) + " to generate)",
                     "max_tokens", "context_length_exceeded");
    }
  }
  std::uint64_t base_seed =
      request_.sampling.seed ? *request_.sampling.seed : std::random_device{}();
  std::uint64_t id_seed = std::random_device{}();
  id_seed = (id_seed << 32) ^ std::random_device{}();
  started_ = std::chrono::steady_clock::now();
  prompt_tokens_.assign(prompts_.size(), 0);
  cached_tokens_.assign(prompts_.size(), 0);
  for (std::size_t p = 0; p < prompts_.size(); ++p) {
    const int prompt_len = static_cast<int>(prompts_[p].ids.size());
    prompt_tokens_[p] = prompt_len;
    for (int k = 0; k < request_.n; ++k) {
      auto c = std::make_unique<Choice>();
      const int index = static_cast<int>(choices_.size());
      const bool tools_on = request_.chat && request_.tool_choice != ToolChoice::none &&
                            request_.tools.is_array() && !request_.tools.empty();
      if (request_.chat && backend_.make_parser) {
        c->reasoning_parser = backend_.make_parser(false, id_seed + static_cast<unsigned>(index));
        if (tools_on)
          c->tool_parser = backend_.make_parser(true, id_seed + static_cast<unsigned>(index));
      }
      DecoderSetup setup;
      setup.tokenizer = backend_.tokenizer;
      setup.skip_special_tokens =
          request_.skip_special_tokens && !c->tool_parser && !c->reasoning_parser;
      setup.stop = request_.stop;
      setup.hidden_ids = backend_.eos_ids;
      setup.hidden_ids.insert(setup.hidden_ids.end(), request_.stop_token_ids.begin(),
                              request_.stop_token_ids.end());
      setup.reasoning = c->reasoning_parser.get();
      setup.tools = c->tool_parser.get();
      setup.prefill = prompts_[p].prefill;
      setup.forced_call_close = prompts_[p].forced_call_close;
      setup.want_logprobs = request_.sampling.logprobs;
      c->decoder = std::make_unique<ChoiceDecoder>(std::move(setup));

      engine::Request er;
      er.prompt = prompts_[p].ids;
      er.sampling = request_.sampling;
      // Choices of one request differ yet stay reproducible under a seed.
      er.sampling.seed = base_seed + static_cast<std::uint64_t>(index);
      er.max_tokens = request_.max_tokens ? *request_.max_tokens : ctx > 0 ? ctx - prompt_len : 256;
      er.stop_token_ids = request_.stop_token_ids;
      er.ignore_eos = request_.ignore_eos;
      er.drafter = request_.drafter;
      er.draft_tokens = request_.draft_tokens;
      if (backend_.make_constraint) er.constraint = backend_.make_constraint(p);
      try {
        c->stream = backend_.submit(std::move(er));
      } catch (const std::invalid_argument& e) {
        cancel();
        throw ApiError(ErrorKind::invalid_request, e.what());
      } catch (const ApiError&) {
        cancel();
        throw;
      } catch (const std::exception& e) {
        cancel();
        throw ApiError(ErrorKind::internal,
                       std::string("the engine refused the request: ") + e.what());
      }
      ChoiceResult r;
      r.index = index;
      r.prompt_index = static_cast<int>(p);
      results_.push_back(std::move(r));
      choices_.push_back(std::move(c));
    }
  }
}

bool Generation::all_done() const {
  for (const auto& r : results_) {
    if (!r.done) return false;
  }
  return true;
}

void Generation::cancel() {
  for (std::size_t i = 0; i < choices_.size(); ++i) {
    if (!results_[i].done && choices_[i]->stream) choices_[i]->stream->cancel();
  }
}

std::vector<double> Generation::take_inter_token_latencies() {
  return std::exchange(itl_, {});
}

bool Generation::pump(ChoiceSink* sink, std::chrono::milliseconds wait) {
  if (all_done()) return false;
  const std::size_t n = choices_.size();
  bool any = false;
  engine::Event ev;
  // A quick sweep over every running choice, then a wait on the next one.
  for (std::size_t k = 0; k < n && n > 1; ++k) {
    std::size_t i = (cursor_ + k) % n;
    if (results_[i].done) continue;
    while (!results_[i].done && choices_[i]->stream->next(ev, std::chrono::milliseconds(0))) {
      handle(i, ev, sink);
      any = true;
    }
  }
  if (!any) {
    for (std::size_t k = 0; k < n; ++k) {
      std::size_t i = (cursor_ + k) % n;
      if (results_[i].done) continue;
      auto slice = n > 1 ? std::min(wait, std::chrono::milliseconds(2)) : wait;
      if (choices_[i]->stream->next(ev, slice)) handle(i, ev, sink);
      cursor_ = i + 1;
      break;
    }
  }
  return !all_done();
}

void Generation::handle(std::size_t idx, engine::Event& ev, ChoiceSink* sink) {
  Choice& c = *choices_[idx];
  ChoiceResult& r = results_[idx];
  auto now = std::chrono::steady_clock::now();
  if (!ev.tokens.empty()) {
    if (!ttft_) ttft_ = std::chrono::duration<double>(now - started_).count();
    if (c.got_token) {
      double gap = std::chrono::duration<double>(now - c.last_token).count();
      for (std::size_t k = 0; k < ev.tokens.size(); ++k) {
        itl_.push_back(gap / static_cast<double>(ev.tokens.size()));
      }
    }
    c.got_token = true;
    c.last_token = now;
  }
  auto events = c.decoder->push(ev.tokens);
  const bool finished = ev.finish != engine::FinishReason::none;
  if (!finished && c.decoder->stopped()) c.stream->cancel();  // a stop string ended it
  if (finished) {
    auto tail = c.decoder->finish();
    for (auto& t : tail) append_event(events, std::move(t));
  }
  auto logprobs = c.decoder->take_logprobs();
  for (const auto& e : events) {
    switch (e.kind) {
      case sdk::EventKind::content:
        r.content += e.text;
        break;
      case sdk::EventKind::reasoning:
        r.reasoning += e.text;
        break;
      case sdk::EventKind::tool_call_begin:
        r.tool_calls.push_back({e.id, e.name, ""});
        break;
      case sdk::EventKind::tool_call_args:
        if (!r.tool_calls.empty()) r.tool_calls.back().arguments += e.text;
        break;
      default:
        break;
    }
  }
  r.logprobs.insert(r.logprobs.end(), logprobs.begin(), logprobs.end());
  if (!events.empty() || !logprobs.empty()) {
    if (sink != nullptr) sink->on_events(r, events, logprobs);
  }
  if (!finished) return;
  r.done = true;
  r.completion_tokens = ev.completion_tokens;
  prompt_tokens_[static_cast<std::size_t>(r.prompt_index)] =
      ev.prompt_tokens > 0 ? ev.prompt_tokens
                           : prompt_tokens_[static_cast<std::size_t>(r.prompt_index)];
  cached_tokens_[static_cast<std::size_t>(r.prompt_index)] = ev.cached_tokens;
  if (c.decoder->stopped()) {
    r.finish_reason = "stop";
    r.stop_sequence = c.decoder->stop_sequence();
  } else {
    switch (ev.finish) {
      case engine::FinishReason::stop:
        r.finish_reason = "stop";
        break;
      case engine::FinishReason::length:
        r.finish_reason = "length";
        break;
      case engine::FinishReason::cancelled:
        r.finish_reason = "cancelled";
        break;
      default:
        r.finish_reason = "error";
        r.error = ev.error.empty() ? "generation failed" : ev.error;
        break;
    }
  }
  if (!r.tool_calls.empty() && r.finish_reason == "stop") r.finish_reason = "tool_calls";
  if (sink != nullptr) sink->on_finish(r);
}

Usage Generation::usage() const {
  Usage u;
  for (std::size_t p = 0; p < prompt_tokens_.size(); ++p) {
    u.prompt_tokens += prompt_tokens_[p];
    u.cached_tokens += cached_tokens_[p];
  }
  for (const auto& r : results_) {
    u.completion_tokens += r.completion_tokens;
    if (!r.reasoning.empty()) {
      u.reasoning_tokens += static_cast<int>(backend_.tokenizer->encode(r.reasoning, false).size());
    }
  }
  return u;
}

}  // namespace rmlx::api
