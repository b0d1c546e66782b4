// Drafter: proposes tokens for speculative decoding; the engine verifies them.
//
// Each decode step of a request with a drafter, the engine asks the drafter
// for up to K tokens that likely follow the sequence, then runs the target
// model ONCE over the last token and the K drafts (K+1 logit rows). It walks
// the rows in order, choosing each next token exactly as it would without a
// drafter (argmax, or one draw of the request's sampler), and keeps drafting
// rows while the chosen token equals the draft. So greedy output is identical
// to plain decoding, and sampled output has the target's distribution: for a
// proposed token d, "draw x from the target p, accept d iff x == d" accepts
// with probability p(d) and on rejection emits a token from p restricted to
// x != d, which is speculative rejection sampling for a point-mass proposal.
// K/V rows written for rejected drafts are discarded by the engine.
//
// One Drafter instance serves one request, created from its name with the
// options JSON {"arg": "<text after the colon>"} (e.g. "layerskip:8" gives
// {"arg":"8"}; no colon gives {}), so it may keep per-request state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rmlx::sdk {

// The target model, lent by the engine to drafters that run it themselves
// (self-speculation). Valid only during the call it is passed to.
class DraftTarget {
 public:
  virtual ~DraftTarget() = default;
  virtual int num_layers() const = 0;
  virtual std::int64_t vocab_size() const = 0;
  // Runs the target's first `layers` decoder layers (1..num_layers()), then
  // its final norm and head, over `tokens` placed at positions first_pos,
  // first_pos+1, ... of the sequence being drafted for. Their K/V for those
  // layers are written into the sequence's own cache (the verification pass
  // overwrites them), so first_pos must be at most the context's n_computed
  // plus the tokens run since. Returns the logits of the last row
  // (vocab_size() floats), valid until the next call.
  virtual std::span<const float> forward(std::span<const std::int32_t> tokens, int first_pos,
                                         int layers) = 0;
};

struct DraftContext {
  std::span<const std::int32_t> tokens;  // prompt followed by the output so far
  int max_tokens = 0;                    // propose at most this many
  // Leading tokens whose K/V the target has cached; the rest (usually just
  // the last sampled token) are not yet computed.
  int n_computed = 0;
  DraftTarget* target = nullptr;  // null when the engine lends no target
};

class Drafter {
 public:
  virtual ~Drafter() = default;
  virtual std::string name() const = 0;
  // Called once before the first proposal, when the request is submitted:
  // throws std::invalid_argument (one line naming the value) when the drafter
  // cannot serve this target, e.g. more layers than the model has.
  virtual void bind(const DraftTarget& target) { (void)target; }
  // Up to ctx.max_tokens tokens; fewer (or none) when the drafter has no guess.
  virtual std::vector<std::int32_t> propose(const DraftContext& ctx) = 0;
  // Tells the drafter how many of its last proposal were accepted.
  virtual void accepted(int n_accepted) { (void)n_accepted; }
};

}  // namespace rmlx::sdk
