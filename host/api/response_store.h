// Finished Responses API conversations kept for previous_response_id, at
// most `capacity`, oldest dropped first.
#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "api/json_fields.h"

namespace rmlx::api {

class ResponseStore {
 public:
  explicit ResponseStore(std::size_t capacity = 1000) : capacity_(capacity) {}

  // `messages`: the whole conversation in template form, reply included.
  void put(const std::string& id, Json messages) {
    std::lock_guard lock(mu_);
    if (map_.emplace(id, std::move(messages)).second) order_.push_back(id);
    while (order_.size() > capacity_) {
      map_.erase(order_.front());
      order_.pop_front();
    }
  }
  std::optional<Json> get(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = map_.find(id);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Json> map_;
  std::deque<std::string> order_;
};

}  // namespace rmlx::api
