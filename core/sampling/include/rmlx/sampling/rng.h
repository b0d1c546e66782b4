// A PRNG whose output is fixed by this code alone (xoshiro256** seeded through
// splitmix64), so a seed gives the same tokens on every platform and standard
// library. std::uniform_real_distribution is implementation-defined and is not used.
#pragma once

#include <cstdint>

namespace rmlx::sampling {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();

 private:
  std::uint64_t s_[4];
};

}  // namespace rmlx::sampling
