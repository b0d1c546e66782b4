// One request inside the engine, and the channel its events travel on.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "draft_payoff.h"
#include "rmlx/engine/engine.h"
#include "rmlx/registry/registry.h"
#include "rmlx/sampling/sampler.h"
#include "rmlx/sdk/drafter.h"

namespace rmlx::engine {

class StreamImpl final : public Stream {
 public:
  bool next(Event& out, std::chrono::milliseconds timeout) override;
  void cancel() override { cancelled_.store(true); }

  bool cancelled() const { return cancelled_.load(); }
  void push(Event ev);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  std::atomic<bool> cancelled_{false};
};

struct Sequence {
  Sequence(std::uint64_t id, Request request, std::uint64_t seed,
           std::shared_ptr<StreamImpl> stream);

  std::uint64_t id;
  Request request;
  sampling::Sampler sampler;
  std::uint64_t seed = 0;  // the sampler's; also keys draws made on the device
  std::shared_ptr<StreamImpl> stream;

  std::vector<std::int32_t> tokens;  // prompt, then generated tokens
  int prompt_len = 0;
  int n_computed = 0;  // tokens whose K/V are in the cache
  std::vector<std::int32_t> blocks;
  std::vector<std::uint64_t> block_hashes;  // of the published full blocks, in order
  int cached_prompt_tokens = 0;             // prompt tokens served by the prefix cache
  bool admitted_once = false;
  bool done = false;  // finished; removed from the running list after the step
  // The constraint's mask for the step being computed (see constraint.h).
  sampling::TokenMask mask;
  bool masked = false;
  std::string constraint_error;
  // Speculative decoding (speculation.h): null when the request drafts nothing.
  registry::Component<sdk::Drafter> drafter;
  int draft_k = 0;
  std::vector<std::int32_t> drafts;  // proposed for the step being computed
  int draft_proposed = 0, draft_accepted = 0;
  DraftPayoff payoff;

  int generated() const { return static_cast<int>(tokens.size()) - prompt_len; }
  // The client dropped its stream or asked to stop.
  bool abandoned() const { return stream->cancelled() || stream.use_count() == 1; }
};

}  // namespace rmlx::engine
