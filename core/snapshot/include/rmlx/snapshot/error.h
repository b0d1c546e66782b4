// The one exception type of snapshot loading and writing: its message is a single
// line naming the file, the tensor or field, and the problem.
#pragma once

#include <stdexcept>

namespace rmlx::snapshot {

class SnapshotError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rmlx::snapshot
