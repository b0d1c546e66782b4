#include "rmlx/grammar/triggered_constraint.h"

#include <stdexcept>
#include <utility>

namespace rmlx::grammar {

namespace {

bool is_blank(const std::string& bytes) {
  if (bytes.empty()) return false;
  for (char c : bytes) {
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace

TriggeredConstraint::TriggeredConstraint(std::string trigger,
                                         std::shared_ptr<const Grammar> grammar,
                                         std::shared_ptr<const Vocabulary> vocab)
    : trigger_(std::move(trigger)),
      grammar_(std::move(grammar)),
      vocab_(std::move(vocab)),
      blanks_(vocab_->size()) {
  if (trigger_.empty()) throw std::invalid_argument("triggered grammar: empty trigger");
  for (std::size_t id = 0; id < vocab_->size(); ++id) {
    if (is_blank(vocab_->bytes(static_cast<std::int32_t>(id)))) blanks_.set(id);
  }
}

void TriggeredConstraint::prime(std::string_view prompt_text) {
  std::size_t end = prompt_text.size();
  while (end > 0 && is_blank(std::string(1, prompt_text[end - 1]))) --end;
  if (end >= trigger_.size() &&
      prompt_text.substr(end - trigger_.size(), trigger_.size()) == trigger_) {
    tail_.clear();
    start_document("");
  }
}

bool TriggeredConstraint::fill_mask(TokenMask& mask) {
  switch (phase_) {
    case Phase::free:
      return false;
    case Phase::leading: {
      doc_->fill_mask(mask);
      auto words = mask.words();
      const auto blanks = blanks_.words();
      for (std::size_t w = 0; w < words.size() && w < blanks.size(); ++w) words[w] |= blanks[w];
      return true;
    }
    case Phase::document:
      return doc_->fill_mask(mask);
  }
  return false;
}

void TriggeredConstraint::start_document(const std::string& rest) {
  doc_ = std::make_unique<GrammarConstraint>(grammar_, vocab_);
  phase_ = Phase::leading;
  std::size_t i = 0;
  while (i < rest.size() && is_blank(std::string(1, rest[i]))) ++i;
  if (i == rest.size()) return;
  // The trigger's token also began the document: it must fit, else the call is left free.
  if (!doc_->accept_bytes(std::string_view(rest).substr(i))) {
    doc_.reset();
    phase_ = Phase::free;
    return;
  }
  phase_ = Phase::document;
}

void TriggeredConstraint::accept(std::int32_t token) {
  const std::string empty;
  const std::string& bytes =
      token >= 0 && static_cast<std::size_t>(token) < vocab_->size() ? vocab_->bytes(token) : empty;
  switch (phase_) {
    case Phase::free: {
      tail_ += bytes;
      const auto at = tail_.find(trigger_);
      if (at != std::string::npos) {
        const std::string rest = tail_.substr(at + trigger_.size());
        tail_.clear();
        start_document(rest);
      } else if (tail_.size() >= trigger_.size()) {
        tail_.erase(0, tail_.size() - (trigger_.size() - 1));
      }
      return;
    }
    case Phase::leading:
      if (blanks_.test(static_cast<std::size_t>(token))) return;
      phase_ = Phase::document;
      [[fallthrough]];
    case Phase::document:
      doc_->accept(token);
      if (doc_->is_finished()) {
        doc_.reset();
        phase_ = Phase::free;
      }
      return;
  }
}

}  // namespace rmlx::grammar
