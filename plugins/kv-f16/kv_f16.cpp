// The 16-bit float KV codecs: each element stored as IEEE half or bfloat16,
// rounded to nearest even. The default cache encoding.
#include <rmlx/sdk/plugin.h>

#include <cstring>

#include "rmlx/kernels/half.h"

namespace {

template <bool Brain>
class Float16Codec final : public rmlx::sdk::KvCodec {
 public:
  std::string name() const override { return Brain ? "bf16" : "f16"; }
  std::size_t bytes_per_head_token(int head_dim) const override {
    return static_cast<std::size_t>(head_dim) * 2;
  }
  void encode(const float* src, int n_tokens, int head_dim, void* dst) const override {
    auto* out = static_cast<std::uint16_t*>(dst);
    const std::size_t n = static_cast<std::size_t>(n_tokens) * head_dim;
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = Brain ? rmlx::kernels::f32_to_bf16(src[i]) : rmlx::kernels::f32_to_f16(src[i]);
    }
  }
  void decode(const void* src, int n_tokens, int head_dim, float* dst) const override {
    const auto* in = static_cast<const std::uint16_t*>(src);
    const std::size_t n = static_cast<std::size_t>(n_tokens) * head_dim;
    for (std::size_t i = 0; i < n; ++i) {
      dst[i] = Brain ? rmlx::kernels::bf16_to_f32(in[i]) : rmlx::kernels::f16_to_f32(in[i]);
    }
  }
};

}  // namespace

RMLX_PLUGIN("kv-f16", "0.1.0", rmlx::sdk::component<rmlx::sdk::KvCodec, Float16Codec<false>>("f16"),
            rmlx::sdk::component<rmlx::sdk::KvCodec, Float16Codec<true>>("bf16"))
