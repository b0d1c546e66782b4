// A per-request rule on which tokens may come next: structured output (a grammar), a forced
// tool-call shape, a reasoning budget that closes the think block. The engine asks for the mask
// of a step while the forward pass that produces its logits runs (so fill_mask runs on another
// thread than accept, never at the same time), applies it to the logits row before the sampler,
// and reports the chosen token back.
#pragma once

#include <cstdint>

#include "rmlx/sampling/token_mask.h"

namespace rmlx::sampling {

class TokenConstraint {
 public:
  virtual ~TokenConstraint() = default;

  // Sets exactly the tokens allowed at the next step (the mask may be resized; ids past its size
  // are refused) and returns true; or returns false when this step is free (every token allowed,
  // the mask is then ignored). A mask with a single token forces that token.
  virtual bool fill_mask(TokenMask& mask) = 0;
  // The token chosen at the step whose mask was filled last.
  virtual void accept(std::int32_t token) = 0;
  // The output is whole and nothing but an end may follow: the engine finishes the sequence
  // (reason stop) without another step.
  virtual bool is_finished() const = 0;
};

}  // namespace rmlx::sampling
