#include "rmlx/sampling/stop_matcher.h"

#include <algorithm>

namespace rmlx::sampling {

StopMatcher::StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}

StopMatcher::Step StopMatcher::feed(std::string_view delta) {
  Step step;
  if (stopped_) return step;
  held_.append(delta);

  // Held text never contains a whole stop string, so the first occurrence of each one is the
  // earliest that can end in this delta.
  std::size_t best_end = std::string::npos, best_start = 0;
  for (std::size_t i = 0; i < stops_.size(); ++i) {
    if (stops_[i].empty()) continue;
    const std::size_t at = held_.find(stops_[i]);
    if (at == std::string::npos) continue;
    const std::size_t end = at + stops_[i].size();
    if (end < best_end || (end == best_end && at < best_start)) {
      best_end = end;
      best_start = at;
      step.stop = i;
    }
  }
  if (step.stop) {
    step.text = held_.substr(0, best_start);
    held_.clear();
    stopped_ = true;
    return step;
  }

  // Hold back the longest suffix that is a proper prefix of some stop string.
  std::size_t hold = 0;
  for (const auto& s : stops_) {
    if (s.empty()) continue;
    for (std::size_t n = std::min(s.size() - 1, held_.size()); n > hold; --n) {
      if (std::string_view(held_).substr(held_.size() - n) == std::string_view(s).substr(0, n)) {
        hold = n;
        break;
      }
    }
  }
  step.text = held_.substr(0, held_.size() - hold);
  held_.erase(0, held_.size() - hold);
  return step;
}

std::string StopMatcher::flush() {
  std::string out;
  if (!stopped_) out.swap(held_);
  return out;
}

}  // namespace rmlx::sampling
