#include "rmlx/sampling/reasoning_gate.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace rmlx::sampling {

namespace {

void only(TokenMask& mask, std::int32_t token) {
  const auto id = static_cast<std::size_t>(token);
  if (mask.size() <= id) mask = TokenMask(id + 1);
  mask.clear_all();
  mask.set(id);
}

}  // namespace

ReasoningGate::ReasoningGate(ReasoningGateOptions options, std::shared_ptr<TokenConstraint> answer)
    : opt_(std::move(options)), answer_(std::move(answer)) {
  if (opt_.close.empty()) throw std::invalid_argument("reasoning gate: empty closing marker");
  if (opt_.forced_close.empty()) throw std::invalid_argument("reasoning gate: empty forced close");
  if (opt_.budget && *opt_.budget < 0)
    throw std::invalid_argument("reasoning budget: must not be negative");
  for (auto t : opt_.forced_close) {
    if (t < 0) throw std::invalid_argument("reasoning gate: negative token id");
  }
  if (opt_.starts_inside) phase_ = Phase::thinking;
}

bool ReasoningGate::fill_mask(TokenMask& mask) {
  if (!pending_.empty()) {
    only(mask, pending_.front());
    return true;
  }
  switch (phase_) {
    case Phase::before:
      if (!answer_) return false;
      if (!answer_->fill_mask(mask)) return false;
      if (opt_.open.size() == 1 && opt_.open[0] >= 0) {
        const auto id = static_cast<std::size_t>(opt_.open[0]);
        if (id < mask.size()) mask.set(id);
      }
      return true;
    case Phase::thinking:
      if (opt_.budget && thinking_ >= *opt_.budget) {
        pending_.assign(opt_.forced_close.begin(), opt_.forced_close.end());
        phase_ = Phase::forcing;
        only(mask, pending_.front());
        return true;
      }
      return false;
    case Phase::forcing:
      return false;  // not reached: forcing always has pending tokens
    case Phase::answer:
      return answer_ ? answer_->fill_mask(mask) : false;
  }
  return false;
}

void ReasoningGate::accept(std::int32_t token) {
  if (!pending_.empty()) {
    pending_.pop_front();
    if (pending_.empty()) {
      phase_ = Phase::answer;
      tail_.clear();
    }
    return;
  }
  switch (phase_) {
    case Phase::before:
      if (answer_) {
        if (opt_.open.size() == 1 && token == opt_.open[0]) {
          phase_ = Phase::thinking;
        } else {
          phase_ = Phase::answer;
          answer_->accept(token);
        }
        return;
      }
      push_tail(token);
      if (!opt_.open.empty() && tail_ends_with(opt_.open)) {
        phase_ = Phase::thinking;
        tail_.clear();
      }
      return;
    case Phase::thinking:
      ++thinking_;
      push_tail(token);
      if (tail_ends_with(opt_.close)) {
        phase_ = Phase::answer;
        tail_.clear();
      }
      return;
    case Phase::forcing:
      return;
    case Phase::answer:
      if (answer_) answer_->accept(token);
      return;
  }
}

bool ReasoningGate::is_finished() const {
  return phase_ == Phase::answer && answer_ && answer_->is_finished();
}

void ReasoningGate::push_tail(std::int32_t token) {
  const std::size_t keep = std::max(opt_.open.size(), opt_.close.size());
  tail_.push_back(token);
  if (tail_.size() > keep) tail_.erase(tail_.begin());
}

bool ReasoningGate::tail_ends_with(const std::vector<std::int32_t>& marker) const {
  return tail_.size() >= marker.size() &&
         std::equal(marker.rbegin(), marker.rend(), tail_.rbegin());
}

}  // namespace rmlx::sampling
