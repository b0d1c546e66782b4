// Speculative decoding inside the engine: the drafter chosen for a request,
// the target model lent to self-speculative drafters, and the verification
// of a step's drafts (see rmlx/sdk/drafter.h for the acceptance rule).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "kv_pool.h"
#include "model.h"
#include "rmlx/registry/registry.h"
#include "rmlx/sdk/drafter.h"
#include "sequence.h"

namespace rmlx::engine {

// Draft lengths a request may ask for.
inline constexpr int kMaxDraftTokens = 64;

// The target model as a drafter sees it, bound to one sequence at a time.
class DraftTargetImpl final : public sdk::DraftTarget {
 public:
  DraftTargetImpl(Model& model, KvPool& pool);
  // The sequence the next forward() calls draft for; null to unbind.
  void bind_sequence(const Sequence* s) { seq_ = s; }
  int num_layers() const override { return n_layers_; }
  std::int64_t vocab_size() const override { return vocab_; }
  std::span<const float> forward(std::span<const std::int32_t> tokens, int first_pos,
                                 int layers) override;

 private:
  Model& model_;
  KvPool& pool_;
  const Sequence* seq_ = nullptr;
  int n_layers_;
  std::int64_t vocab_;
  std::vector<std::int32_t> positions_, rows_;
  std::vector<float> logits_;
};

class Speculation {
 public:
  Speculation(registry::Registry& registry, Model& model, KvPool& pool,
              const EngineOptions& options);

  // The drafter a request asked for (or the engine's default), created and
  // bound to the model, with its draft length; throws std::invalid_argument
  // naming the value when the choice is malformed. Any thread.
  void attach(Sequence& s);

  // How many tokens `s` may draft this step given `rows_left` free rows in
  // the batch (0: plain decoding, also while drafting does not pay off for
  // it: draft_payoff.h). Called once per step for every planned sequence.
  int draft_budget(Sequence& s, int rows_left, int max_model_len);
  // Fills s.drafts with at most k proposals. The sequence's blocks must
  // already cover k more positions than its tokens. Engine thread.
  void propose(Sequence& s, int k);

  // Walks the 1 + s.drafts.size() logit rows of a verified step, emitting
  // each token through `emit` (which samples, appends and may finish the
  // sequence) while the drafts are confirmed. Returns the tokens emitted.
  int verify(Sequence& s, std::span<float> logits, std::int64_t vocab,
             const std::function<void(std::span<float>)>& emit);

 private:
  registry::Registry& registry_;
  std::mutex registry_mu_;  // the registry is not thread-safe
  DraftTargetImpl target_;
  std::string default_drafter_;
  int default_k_;
};

}  // namespace rmlx::engine
