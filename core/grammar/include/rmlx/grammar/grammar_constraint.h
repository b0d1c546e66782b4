// A grammar as the engine's per-request constraint: the mask of each step comes from a Matcher
// over the model's vocabulary, and the output is finished as soon as the document is whole and
// cannot grow (a closed top-level object or array), without waiting for the model's eos.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "rmlx/grammar/grammar.h"
#include "rmlx/grammar/matcher.h"
#include "rmlx/grammar/vocabulary.h"
#include "rmlx/sampling/token_constraint.h"

namespace rmlx::grammar {

class GrammarConstraint final : public sampling::TokenConstraint {
 public:
  GrammarConstraint(std::shared_ptr<const Grammar> grammar,
                    std::shared_ptr<const Vocabulary> vocab);

  bool fill_mask(TokenMask& mask) override;
  // Throws std::runtime_error naming the token when the grammar refuses it.
  void accept(std::int32_t token) override;
  bool is_finished() const override { return finished_; }
  // Advances over raw bytes (all or nothing); false when they do not continue the document.
  bool accept_bytes(std::string_view bytes);

  const Matcher& matcher() const { return matcher_; }

 private:
  void update_finished();

  std::shared_ptr<const Vocabulary> vocab_;
  Matcher matcher_;
  TokenMask next_;  // the next step's mask, when already computed
  bool next_ready_ = false;
  bool finished_ = false;
};

}  // namespace rmlx::grammar
