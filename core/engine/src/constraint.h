// The engine's side of TokenConstraint: a step's masks are filled on a helper thread while the
// forward pass runs, so a constrained decode step waits on the grammar only when the mask takes
// longer than the forward pass.
#pragma once

#include <cstdint>
#include <future>
#include <span>

#include "sequence.h"

namespace rmlx::engine {

class MaskStage {
 public:
  // Starts filling the masks of the constrained sequences among `sampled` (nothing when none is).
  explicit MaskStage(std::span<Sequence* const> sampled);
  // Waits for the masks (also when the step failed, so no sequence goes away under the helper).
  ~MaskStage();
  MaskStage(const MaskStage&) = delete;
  MaskStage& operator=(const MaskStage&) = delete;
  void wait();

 private:
  std::future<void> pending_;
};

// The mask to sample this step's token with; nullptr when the step is free.
const sampling::TokenMask* step_mask(const Sequence& s);
// Tells the constraint the token chosen; true when the constraint says the output is finished.
bool constraint_accept(Sequence& s, std::int32_t token);

}  // namespace rmlx::engine
