// A scripted engine stream: hands out the events it was given, in order,
// and records cancellation; for testing the pipeline without a model.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "rmlx/engine/engine.h"
#include "rmlx/tokenizer/tokenizer.h"

namespace rmlx::api::test {

class FakeStream : public engine::Stream {
 public:
  explicit FakeStream(std::deque<engine::Event> events) : events_(std::move(events)) {}
  bool next(engine::Event& out, std::chrono::milliseconds) override {
    if (cancelled_ && !final_sent_) {
      final_sent_ = true;
      out = engine::Event{};
      out.finish = engine::FinishReason::cancelled;
      out.prompt_tokens = prompt_tokens_;
      out.completion_tokens = sent_tokens_;
      return true;
    }
    if (events_.empty() || final_sent_) return false;
    out = events_.front();
    events_.pop_front();
    sent_tokens_ += static_cast<int>(out.tokens.size());
    if (out.finish != engine::FinishReason::none) final_sent_ = true;
    return true;
  }
  void cancel() override { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }
  int prompt_tokens_ = 0;

 private:
  std::deque<engine::Event> events_;
  bool cancelled_ = false;
  bool final_sent_ = false;
  int sent_tokens_ = 0;
};

// Events carrying `ids` `per_event` at a time, the last one finishing with
// `finish` and usage (prompt_tokens, completion = ids.size()).
inline std::deque<engine::Event> script(const std::vector<std::int32_t>& ids, std::size_t per_event,
                                        engine::FinishReason finish, int prompt_tokens) {
  std::deque<engine::Event> out;
  for (std::size_t i = 0; i < ids.size(); i += per_event) {
    engine::Event ev;
    for (std::size_t k = i; k < std::min(ids.size(), i + per_event); ++k) {
      engine::TokenOut t;
      t.token = ids[k];
      t.logprob = -0.5f;
      ev.tokens.push_back(t);
    }
    out.push_back(std::move(ev));
  }
  if (out.empty()) out.emplace_back();
  out.back().finish = finish;
  out.back().prompt_tokens = prompt_tokens;
  out.back().completion_tokens = static_cast<int>(ids.size());
  return out;
}

}  // namespace rmlx::api::test
