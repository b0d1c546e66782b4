// ReasoningParser `think`: <think>…</think> blocks (Qwen3, DeepSeek-R1,
// MiniMax-M2, GLM-4.5). The block may be opened by the template, in which
// case the output starts inside it and only `</think>` appears. Whitespace
// that only lays out the tags (after <think>, before </think>, after
// </think>) is not part of either text.
//
// A Qwen3.5 model may call a tool without closing its thinking: a
// `<tool_call>` followed by `<function=` ends the reasoning, and the call goes
// on as content for the tool parser.
#include <rmlx/sdk/plugin.h>

#include <string>

#include "rmlx/parsers/events.h"
#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {
namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";
constexpr std::string_view kToolCall = "<tool_call>";
constexpr std::string_view kFunction = "<function=";

class ThinkParser final : public sdk::ReasoningParser {
 public:
  std::string name() const override { return "think"; }

  void reset(std::string_view /*tools_json*/, std::string_view prompt_tail) override {
    // Opened when the prompt's last <think> is not closed: the template
    // opened it, or an assistant prefill already began the reasoning.
    std::string_view tail = trim_right(prompt_tail);
    const auto open = tail.rfind(kOpen);
    const auto close = tail.rfind(kClose);
    const bool opened =
        open != std::string_view::npos && (close == std::string_view::npos || close < open);
    const bool lead = opened && open + kOpen.size() == tail.size();
    state_ = lead ? State::reasoning_lead : opened ? State::reasoning : State::start;
    buf_.clear();
    ws_.clear();
    open_tag_seen_ = false;
    out_ = EventList();
  }

  std::vector<sdk::ParseEvent> feed(std::string_view text) override {
    buf_.append(text);
    pump(false);
    return out_.take();
  }

  std::vector<sdk::ParseEvent> finish() override {
    pump(true);
    ws_.clear();  // trailing whitespace of unclosed reasoning
    return out_.take();
  }

 private:
  enum class State { start, reasoning_lead, reasoning, content_lead, content };

  void pump(bool eof) {
    bool progress = true;
    while (progress) {
      switch (state_) {
        case State::start:
          progress = pump_start(eof);
          break;
        case State::reasoning_lead:
          progress = pump_reasoning_lead(eof);
          break;
        case State::reasoning:
          progress = pump_reasoning(eof);
          break;
        case State::content_lead:
          progress = pump_content_lead();
          break;
        case State::content:
          out_.content(buf_);
          buf_.clear();
          progress = false;
          break;
      }
    }
  }

  // Output may open the block itself, after whitespace at most.
  bool pump_start(bool eof) {
    std::size_t i = skip_ws(buf_, 0);
    if (i == buf_.size() && !eof) return false;
    switch (match_literal(std::string_view(buf_).substr(i), kOpen)) {
      case Match::full:
        buf_.erase(0, i + kOpen.size());
        open_tag_seen_ = true;
        state_ = State::reasoning_lead;
        return true;
      case Match::partial:
        if (!eof && i < buf_.size()) return false;
        [[fallthrough]];
      case Match::no:
        state_ = State::content;
        return true;
    }
    return false;
  }

  // Leading whitespace of the reasoning is layout; a template-opened block
  // may still be opened again by the model.
  bool pump_reasoning_lead(bool eof) {
    std::size_t i = skip_ws(buf_, 0);
    buf_.erase(0, i);
    if (buf_.empty()) return false;
    if (!open_tag_seen_) {
      Match m = match_literal(buf_, kOpen);
      if (m == Match::full) {
        buf_.erase(0, kOpen.size());
        open_tag_seen_ = true;
        return true;
      }
      if (m == Match::partial && !eof) return false;
    }
    state_ = State::reasoning;
    return true;
  }

  bool pump_reasoning(bool eof) {
    std::size_t close = buf_.find(kClose);
    std::size_t call = buf_.find(kToolCall);
    while (call != std::string::npos && call < close) {
      std::size_t j = skip_ws(buf_, call + kToolCall.size());
      Match m = match_literal(std::string_view(buf_).substr(j), kFunction);
      if (m == Match::full) {
        reasoning(std::string_view(buf_).substr(0, call));
        buf_.erase(0, call);
        ws_.clear();
        state_ = State::content;
        return true;
      }
      if ((m == Match::partial || j == buf_.size()) && !eof) {
        reasoning(std::string_view(buf_).substr(0, call));
        buf_.erase(0, call);
        return false;
      }
      call = buf_.find(kToolCall, call + 1);
    }
    if (close != std::string::npos) {
      reasoning(std::string_view(buf_).substr(0, close));
      buf_.erase(0, close + kClose.size());
      ws_.clear();
      state_ = State::content_lead;
      return true;
    }
    std::size_t keep = 0;
    if (!eof) keep = std::max(partial_suffix(buf_, kClose), partial_suffix(buf_, kToolCall));
    reasoning(std::string_view(buf_).substr(0, buf_.size() - keep));
    buf_.erase(0, buf_.size() - keep);
    return false;
  }

  bool pump_content_lead() {
    std::size_t i = skip_ws(buf_, 0);
    buf_.erase(0, i);
    if (buf_.empty()) return false;
    state_ = State::content;
    return true;
  }

  // Reasoning text with its trailing whitespace held: it is dropped if the
  // block ends right after it.
  void reasoning(std::string_view text) {
    if (text.empty()) return;
    std::size_t last = text.size();
    while (last > 0 && is_ws(text[last - 1])) --last;
    if (last == 0) {
      ws_.append(text);
      return;
    }
    std::string s = ws_;
    s.append(text.substr(0, last));
    ws_ = std::string(text.substr(last));
    out_.reasoning(s);
  }

  State state_ = State::start;
  std::string buf_;
  std::string ws_;
  bool open_tag_seen_ = false;
  EventList out_;
};

}  // namespace
}  // namespace rmlx::parsers

RMLX_PLUGIN("parser-think", "0.1.0",
            rmlx::sdk::component<rmlx::sdk::ReasoningParser, rmlx::parsers::ThinkParser>("think"))
