#include "api/choice_decoder.h"

#include <algorithm>

namespace rmlx::api {

void append_event(std::vector<sdk::ParseEvent>& out, sdk::ParseEvent ev) {
  const bool text_kind = ev.kind == sdk::EventKind::content || ev.kind == sdk::EventKind::reasoning;
  if (text_kind && ev.text.empty()) return;
  if (text_kind && !out.empty() && out.back().kind == ev.kind) {
    out.back().text += ev.text;
    return;
  }
  out.push_back(std::move(ev));
}

ChoiceDecoder::ChoiceDecoder(DecoderSetup setup)
    : setup_(std::move(setup)),
      detok_(*setup_.tokenizer, setup_.skip_special_tokens),
      stops_(setup_.stop) {}

std::vector<sdk::ParseEvent> ChoiceDecoder::push(std::span<const engine::TokenOut> tokens) {
  if (finished_) return {};
  std::string text;
  for (const auto& t : tokens) {
    if (stopped()) break;
    if (setup_.want_logprobs) {
      TokenLogprob lp;
      std::int32_t id = t.token;
      lp.token = setup_.tokenizer->decode(std::span<const std::int32_t>(&id, 1), false);
      lp.logprob = t.logprob;
      for (const auto& alt : t.top) {
        std::int32_t a = alt.token;
        lp.top.emplace_back(setup_.tokenizer->decode(std::span<const std::int32_t>(&a, 1), false),
                            alt.logprob);
      }
      logprobs_.push_back(std::move(lp));
    }
    if (std::find(setup_.hidden_ids.begin(), setup_.hidden_ids.end(), t.token) !=
        setup_.hidden_ids.end()) {
      continue;
    }
    auto step = stops_.feed(detok_.step(t.token));
    text += scan_forced_call(step.text);
    if (step.stop && !forced_done_) stop_index_ = step.stop;
  }
  if (forced_done_) {
    auto events = route(text + setup_.forced_call_close, true);
    finished_ = true;
    return events;
  }
  return route(text, false);
}

std::string ChoiceDecoder::scan_forced_call(const std::string& text) {
  if (setup_.forced_call_close.empty() || forced_done_) return forced_done_ ? "" : text;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if ((c == '}' || c == ']') && depth_ > 0 && --depth_ == 0) {
      forced_done_ = true;
      return text.substr(0, i + 1);
    }
  }
  return text;
}

std::vector<sdk::ParseEvent> ChoiceDecoder::finish() {
  if (finished_) return {};
  finished_ = true;
  std::string text;
  if (!stopped()) {
    auto step = stops_.feed(detok_.flush());
    text = scan_forced_call(step.text);
    if (step.stop && !forced_done_) {
      stop_index_ = step.stop;
    } else if (!forced_done_) {
      text += scan_forced_call(stops_.flush());
    }
    if (forced_done_) text += setup_.forced_call_close;
  }
  return route(text, true);
}

std::optional<std::string> ChoiceDecoder::stop_sequence() const {
  if (!stop_index_) return std::nullopt;
  return stops_.stops()[*stop_index_];
}

std::vector<TokenLogprob> ChoiceDecoder::take_logprobs() {
  return std::exchange(logprobs_, {});
}

std::vector<sdk::ParseEvent> ChoiceDecoder::route(const std::string& text, bool eof) {
  text_ += text;
  std::string input = text;
  if (!setup_.prefill.empty()) input = std::exchange(setup_.prefill, "") + input;
  std::vector<sdk::ParseEvent> out;
  std::vector<sdk::ParseEvent> first;
  if (setup_.reasoning != nullptr) {
    if (!input.empty()) first = setup_.reasoning->feed(input);
    if (eof) {
      auto tail = setup_.reasoning->finish();
      first.insert(first.end(), tail.begin(), tail.end());
    }
  } else if (!input.empty()) {
    sdk::ParseEvent ev;
    ev.kind = sdk::EventKind::content;
    ev.text = input;
    first.push_back(std::move(ev));
  }
  route_tools(out, std::move(first), eof);
  return out;
}

void ChoiceDecoder::route_tools(std::vector<sdk::ParseEvent>& out, std::vector<sdk::ParseEvent> in,
                                bool eof) {
  for (auto& ev : in) {
    if (ev.kind == sdk::EventKind::content && setup_.tools != nullptr) {
      for (auto& t : setup_.tools->feed(ev.text)) {
        if (t.kind == sdk::EventKind::tool_call_begin) ++tool_calls_;
        append_event(out, std::move(t));
      }
    } else {
      append_event(out, std::move(ev));
    }
  }
  if (eof && setup_.tools != nullptr) {
    for (auto& t : setup_.tools->finish()) {
      if (t.kind == sdk::EventKind::tool_call_begin) ++tool_calls_;
      append_event(out, std::move(t));
    }
  }
}

}  // namespace rmlx::api
