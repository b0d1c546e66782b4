// Chooses the next token of one sequence from the model's logits.
//
// Processing order (as Hugging Face's logits processors and vLLM apply them):
//   1. logit_bias            logit[id] += bias
//   2. repetition penalty    HF RepetitionPenaltyLogitsProcessor: for every distinct token in the
//                            penalty window of prompt + generated, a positive logit is divided by
//                            the penalty and a negative one multiplied by it
//   3. presence / frequency  OpenAI formula on generated tokens only (as vLLM):
//                            logit -= presence * [count > 0] + frequency * count
//   4. mask                  tokens the grammar forbids (and ids past the mask's size) get -inf
//   -- logprobs are the log-softmax of the logits at this point (after bias, penalties and mask,
//      before temperature and truncation), summed in double precision
//   5. temperature < 1e-5    greedy: argmax, ties to the lowest id (as numpy / mlx argmax)
//   5. otherwise             logits / T, then top-k, top-p (nucleus over the top-k set, always
//                            keeps the most likely token), min-p (relative to the top token's
//                            probability), then one categorical draw from a seeded xoshiro256**
//                            over the kept tokens in id order (reproducible on every platform).
//
// penalty_window > 0 limits steps 2 and 3 to the last penalty_window tokens of prompt + generated.
// Token ids in the history that fall outside the logits row are ignored (they cannot be sampled).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "rmlx/sampling/params.h"
#include "rmlx/sampling/rng.h"
#include "rmlx/sampling/token_mask.h"

namespace rmlx::sampling {

// What sample() throws for a row it cannot choose from; a device that chooses reports the
// same rows by code and the engine words them so.
inline constexpr const char* kErrorNaN = "sampling: logits contain NaN";
inline constexpr const char* kErrorNoToken =
    "sampling: no token can be chosen (every logit is -inf or masked)";

struct Sampled {
  std::int32_t token = 0;
  // log-softmax of the processed logits at `token`; NaN unless params.logprobs or top_logprobs > 0.
  float logprob = 0.0f;
  // The top_logprobs most likely tokens, by logprob descending, ties by lower id first.
  std::vector<std::pair<std::int32_t, float>> top;
};

// One token's change of a logits row, steps 1-3 above for that token: if (flags & kEditBias)
// x += bias; if (flags & kEditRepeat) x = x < 0 ? x * repetition : x / repetition; if (flags &
// kEditSubtract) x -= subtract. What a device applies to leave the row as the sampler would.
inline constexpr std::uint32_t kEditBias = 1, kEditRepeat = 2, kEditSubtract = 4;
struct LogitEdit {
  std::int32_t token = 0;
  float bias = 0.0f;
  float repetition = 1.0f;
  float subtract = 0.0f;
  std::uint32_t flags = 0;
};
// Applies edits (at most one a token) to a row in place, as a device would.
void apply_logit_edits(std::span<float> logits, std::span<const LogitEdit> edits);

class Sampler {
 public:
  // Throws std::invalid_argument naming the field when a parameter is out of range.
  Sampler(const SamplingParams& params, std::uint64_t seed);

  // logits: the model's row for this position, modified in place (it ends holding the processed
  // logits of step 4). prompt / generated: the token history. allowed: nullptr = every token.
  // Throws std::out_of_range for a logit_bias id outside the row, std::runtime_error when the
  // logits hold NaN or when no token is left to choose.
  Sampled sample(std::span<float> logits, std::span<const std::int32_t> prompt,
                 std::span<const std::int32_t> generated, const TokenMask* allowed = nullptr);

  const SamplingParams& params() const { return params_; }

  // Steps 1-3 for a row of `vocab` logits as per-token edits, one a token, appended to out:
  // apply_logit_edits then leaves the row as sample() would, bit for bit. False, appending
  // nothing, where they cannot be expressed so (a logit_bias id given twice, whose additions
  // round in turn) or where sample() would throw (an id outside the row).
  bool logit_edits(std::int64_t vocab, std::span<const std::int32_t> prompt,
                   std::span<const std::int32_t> generated, std::vector<LogitEdit>& out);

 private:
  struct Candidate {
    std::int32_t id;
    float logit;
    float weight;  // exp((logit - max) / T): probability up to the normaliser
  };

  void apply_bias(std::span<float> logits) const;
  void apply_penalties(std::span<float> logits, std::span<const std::int32_t> prompt,
                       std::span<const std::int32_t> generated);
  std::int32_t draw(std::span<const float> logits, float max_logit);
  std::size_t nucleus(double target);
  void fill_logprobs(std::span<const float> logits, float max_logit, Sampled& out) const;

  SamplingParams params_;
  Rng rng_;
  // Scratch reused across steps so a decode step allocates nothing once warm.
  std::vector<std::int32_t> counts_;
  std::vector<std::int32_t> touched_;
  std::vector<Candidate> candidates_;
  std::vector<float> dense_;
};

}  // namespace rmlx::sampling
