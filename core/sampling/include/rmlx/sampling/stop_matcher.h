// Stop strings over streamed text. Text that could still turn out to be the start of a stop string
// is held back; once a stop string completes, the text before it is released and the stop string
// itself is dropped (as OpenAI does). When several stop strings could match, the one that completes
// first in the text wins, and of those ending at the same byte the longest; the result does not
// depend on how the text was split into deltas.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rmlx::sampling {

class StopMatcher {
 public:
  struct Step {
    std::string text;                 // safe to emit now
    std::optional<std::size_t> stop;  // index into the stop list once one matched
  };

  // Empty stop strings never match (indices still refer to the list as given).
  explicit StopMatcher(std::vector<std::string> stops);

  // Feeds a text delta. After a stop has matched, further deltas return nothing.
  Step feed(std::string_view delta);
  // The generation ended without a stop: releases what was held back.
  std::string flush();

  bool stopped() const { return stopped_; }
  const std::vector<std::string>& stops() const { return stops_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace rmlx::sampling
