#include "rmlx/grammar/matcher.h"

#include <algorithm>

#include "automaton.h"

namespace rmlx::grammar {

Matcher::Matcher(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const Vocabulary> vocab)
    : grammar_(std::move(grammar)), vocab_(std::move(vocab)) {
  automaton_ = std::make_unique<detail::Automaton>(grammar_->program());
  state_ = std::make_unique<detail::State>(automaton_->initial());
}

Matcher::~Matcher() = default;

Matcher::Matcher(const Matcher& other)
    : grammar_(other.grammar_),
      vocab_(other.vocab_),
      automaton_(std::make_unique<detail::Automaton>(grammar_->program())),
      state_(std::make_unique<detail::State>(*other.state_)),
      terminated_(other.terminated_) {}

Matcher& Matcher::operator=(const Matcher& other) {
  if (this != &other) *this = Matcher(other);
  return *this;
}

Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;

bool Matcher::is_complete() const {
  return !terminated_ && automaton_->complete(*state_);
}

bool Matcher::accept_bytes(std::string_view bytes) {
  if (terminated_) return false;
  detail::State cur = *state_, next;
  for (const char ch : bytes) {
    automaton_->step(cur, static_cast<std::uint8_t>(ch), next);
    if (next.dead()) return false;
    std::swap(cur, next);
  }
  *state_ = std::move(cur);
  return true;
}

bool Matcher::accept(std::int32_t token) {
  if (terminated_ || token < 0 || static_cast<std::size_t>(token) >= vocab_->size()) return false;
  if (vocab_->is_eos(token)) {
    if (!automaton_->complete(*state_)) return false;
    terminated_ = true;
    return true;
  }
  const std::string& bytes = vocab_->bytes(token);
  return !bytes.empty() && accept_bytes(bytes);
}

void Matcher::walk(const Vocabulary::Trie& trie, TokenMask& mask) {
  if (scratch_.size() < trie.max_depth + 1) scratch_.resize(trie.max_depth + 1);
  scratch_[0] = *state_;
  const auto& nodes = trie.nodes;
  std::size_t i = 0;
  while (i < nodes.size()) {
    const auto& n = nodes[i];
    detail::State& next = scratch_[n.depth];
    automaton_->step(scratch_[n.depth - 1u], n.byte, next);
    if (next.dead()) {
      i = n.skip;
      continue;
    }
    for (std::uint32_t t = n.token_begin; t < n.token_end; ++t)
      mask.set(static_cast<std::size_t>(trie.tokens[t]));
    ++i;
  }
}

void Matcher::fill_mask(TokenMask& mask) {
  if (mask.size() != vocab_->size()) {
    mask = TokenMask(vocab_->size());
  } else {
    mask.clear_all();
  }
  if (terminated_) return;
  if (const auto room = automaton_->free_string_room(*state_)) {
    // Plain tokens fit anywhere in such a string; only the rest needs the walk.
    const auto plain = vocab_->plain_up_to(*room).words();
    std::copy(plain.begin(), plain.end(), mask.words().begin());
    walk(vocab_->special(), mask);
  } else {
    walk(vocab_->all(), mask);
  }
  if (automaton_->complete(*state_))
    for (auto id : vocab_->eos_ids()) mask.set(static_cast<std::size_t>(id));
}

}  // namespace rmlx::grammar
