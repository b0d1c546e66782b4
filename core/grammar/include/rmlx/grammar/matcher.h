// Follows one sequence's output through a grammar and says, before each step, which tokens keep
// the output a prefix of a document the grammar allows.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "rmlx/grammar/grammar.h"
#include "rmlx/grammar/vocabulary.h"

namespace rmlx::grammar {

namespace detail {
struct State;
class Automaton;
}  // namespace detail

class Matcher {
 public:
  Matcher(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const Vocabulary> vocab);
  ~Matcher();
  // A copy follows the same output from here on independently (for trying tokens ahead).
  Matcher(const Matcher& other);
  Matcher& operator=(const Matcher& other);
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;

  // Sets exactly the tokens allowed next (resized to the vocabulary): tokens whose bytes extend
  // the output validly, and the eos ids once the document is whole. Empty after eos was accepted.
  void fill_mask(TokenMask& mask);
  // Advances over a token; false (state unchanged) when the token is not allowed.
  bool accept(std::int32_t token);
  // Advances over raw bytes, all or nothing.
  bool accept_bytes(std::string_view bytes);
  // The output so far is a whole document (eos may come).
  bool is_complete() const;
  // eos was accepted.
  bool is_terminated() const { return terminated_; }

 private:
  void walk(const Vocabulary::Trie& trie, TokenMask& mask);

  std::shared_ptr<const Grammar> grammar_;
  std::shared_ptr<const Vocabulary> vocab_;
  std::unique_ptr<detail::Automaton> automaton_;
  std::unique_ptr<detail::State> state_;
  std::vector<detail::State> scratch_;  // one state per trie depth, reused across steps
  bool terminated_ = false;
};

}  // namespace rmlx::grammar
