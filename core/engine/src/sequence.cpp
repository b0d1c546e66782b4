#include "sequence.h"

namespace rmlx::engine {

bool StreamImpl::next(Event& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [this] { return !events_.empty(); })) return false;
  out = std::move(events_.front());
  events_.pop_front();
  return true;
}

void StreamImpl::push(Event ev) {
  {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(ev));
  }
  cv_.notify_one();
}

Sequence::Sequence(std::uint64_t id_, Request request_, std::uint64_t seed_,
                   std::shared_ptr<StreamImpl> stream_)
    : id(id_),
      request(std::move(request_)),
      sampler(request.sampling, seed_),
      seed(seed_),
      stream(std::move(stream_)),
      tokens(request.prompt),
      prompt_len(static_cast<int>(request.prompt.size())) {}

}  // namespace rmlx::engine
