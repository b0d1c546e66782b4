#include "rmlx/grammar/grammar_constraint.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace rmlx::grammar {

GrammarConstraint::GrammarConstraint(std::shared_ptr<const Grammar> grammar,
                                     std::shared_ptr<const Vocabulary> vocab)
    : vocab_(vocab), matcher_(std::move(grammar), std::move(vocab)) {}

bool GrammarConstraint::fill_mask(TokenMask& mask) {
  if (next_ready_) {
    mask = next_;
  } else {
    matcher_.fill_mask(mask);
  }
  return true;
}

void GrammarConstraint::accept(std::int32_t token) {
  next_ready_ = false;
  if (!matcher_.accept(token)) {
    throw std::runtime_error("grammar: token " + std::to_string(token) +
                             " does not continue the document");
  }
  update_finished();
}

bool GrammarConstraint::accept_bytes(std::string_view bytes) {
  next_ready_ = false;
  if (!matcher_.accept_bytes(bytes)) return false;
  update_finished();
  return true;
}

void GrammarConstraint::update_finished() {
  if (matcher_.is_terminated()) {
    finished_ = true;
    return;
  }
  if (!matcher_.is_complete()) return;
  // Whole already: finished unless something besides an end may still follow.
  matcher_.fill_mask(next_);
  next_ready_ = true;
  std::size_t ends = 0;
  for (auto id : vocab_->eos_ids()) {
    if (next_.test(static_cast<std::size_t>(id))) ++ends;
  }
  finished_ = next_.count() == ends;
}

}  // namespace rmlx::grammar
