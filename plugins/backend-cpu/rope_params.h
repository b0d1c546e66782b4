// The SDK's RopeParams as the kernels' RoPE configuration, and as a cache key.
// The CUDA backend computes its frequency schedule with the same kernels, so
// both backends use these.
#pragma once

#include <rmlx/sdk/ops.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "rmlx/kernels/rope.h"

namespace rmlx::backend_cpu {

// Every field that changes the schedule, for finding a cached one.
inline std::vector<float> rope_key(int head_dim, const sdk::RopeParams& p) {
  return {static_cast<float>(head_dim),
          static_cast<float>(p.kind),
          p.theta,
          static_cast<float>(p.rotary_dim),
          p.interleaved ? 1.0f : 0.0f,
          p.factor,
          p.low_freq_factor,
          p.high_freq_factor,
          static_cast<float>(p.original_max_position),
          p.beta_fast,
          p.beta_slow,
          p.attention_factor};
}

// `backend` names the caller in the error for an unset kind.
inline kernels::rope::Config rope_config(int head_dim, const sdk::RopeParams& p,
                                         const std::string& backend) {
  kernels::rope::Config c;
  c.head_dim = head_dim;
  c.rotary_dim = p.rotary_dim;
  c.traditional = p.interleaved;
  c.base = p.theta;
  c.factor = p.factor;
  c.low_freq_factor = p.low_freq_factor;
  c.high_freq_factor = p.high_freq_factor;
  c.original_max_position = p.original_max_position;
  c.beta_fast = p.beta_fast;
  c.beta_slow = p.beta_slow;
  c.mscale = p.attention_factor;
  switch (p.kind) {
    case sdk::RopeKind::default_:
      c.scaling = kernels::rope::Scaling::none;
      break;
    case sdk::RopeKind::linear:
      c.scaling = kernels::rope::Scaling::linear;
      break;
    case sdk::RopeKind::llama3:
      c.scaling = kernels::rope::Scaling::llama3;
      break;
    case sdk::RopeKind::yarn:
      c.scaling = kernels::rope::Scaling::yarn;
      break;
    case sdk::RopeKind::invalid:
      throw std::invalid_argument(backend + ": rope kind not set");
  }
  return c;
}

}  // namespace rmlx::backend_cpu
