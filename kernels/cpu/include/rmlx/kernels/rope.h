// Rotary position embeddings as mlx.core.fast.rope applies them, with the frequency
// schedules of mlx_lm (default, linear, llama3, yarn) and partial rotary dims.
#pragma once

#include <cstdint>
#include <vector>

#include "rmlx/kernels/isa.h"

namespace rmlx::kernels::rope {

enum class Scaling : std::uint8_t { none, linear, llama3, yarn };

struct Config {
  int head_dim = 0;
  int rotary_dim = 0;        // rotated leading dims of each head; 0 means head_dim
  bool traditional = false;  // true: pairs (2i, 2i+1); false: halves (i, i + rotary_dim/2)
  float base = 10000.0f;     // rope_theta
  Scaling scaling = Scaling::none;
  float factor = 1.0f;
  float low_freq_factor = 1.0f;      // llama3
  float high_freq_factor = 4.0f;     // llama3
  int original_max_position = 8192;  // llama3 default; mlx_lm's yarn default is 4096
  float beta_fast = 32.0f;           // yarn
  float beta_slow = 1.0f;            // yarn
  float mscale = 1.0f;               // yarn
  float mscale_all_dim = 0.0f;       // yarn
  // yarn: > 0 replaces the factor derived from mscale / mscale_all_dim (mlx_lm's
  // formula) by this value (the "attention_factor" of other configs).
  float attention_factor = 0.0f;
};

class Rope {
 public:
  // Throws std::invalid_argument for an odd or oversized rotary_dim or bad factors.
  explicit Rope(const Config& config);

  // x: [n, heads, head_dim], rotated in place; token i sits at positions[i].
  void apply(const Exec& exec, float* x, std::int64_t n, int heads,
             const std::int32_t* positions) const;

  int head_dim() const { return head_dim_; }
  int rotary_dim() const { return rotary_dim_; }
  bool traditional() const { return traditional_; }
  // theta(i, pos) = (pos * position_scale) * inv_freq[i], computed in float32.
  const std::vector<float>& inv_freq() const { return inv_freq_; }
  float position_scale() const { return position_scale_; }
  // Multiplies the rotated dims before the rotation (yarn's attention mscale).
  float x_scale() const { return x_scale_; }

 private:
  int head_dim_;
  int rotary_dim_;
  bool traditional_;
  std::vector<float> inv_freq_;
  float position_scale_ = 1.0f;
  float x_scale_ = 1.0f;
};

// The same rotation from the same frequencies, in double precision, one element at a
// time: the reference for Rope::apply.
void apply_reference(const Rope& rope, float* x, std::int64_t n, int heads,
                     const std::int32_t* positions);

}  // namespace rmlx::kernels::rope
