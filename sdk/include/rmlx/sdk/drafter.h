// Drafter: proposes tokens for speculative decoding; the engine verifies them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rmlx::sdk {

struct DraftContext {
  std::span<const std::int32_t> tokens;  // prompt followed by the output so far
  int max_tokens = 0;
};

class Drafter {
 public:
  virtual ~Drafter() = default;
  virtual std::string name() const = 0;
  virtual std::vector<std::int32_t> propose(const DraftContext& ctx) = 0;
  // Tells the drafter how many of its last proposal were accepted.
  virtual void accepted(int n_accepted) { (void)n_accepted; }
};

}  // namespace rmlx::sdk
