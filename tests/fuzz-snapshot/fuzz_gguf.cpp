// libFuzzer target: GGUF parsing, then dequantization and the affine mapping of
// (a bounded prefix of) every tensor the parser accepted.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rmlx/gguf/gguf_file.h"
#include "rmlx/gguf/import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rmlx::gguf;
  try {
    auto g = parse_gguf(data, size, "fuzz");
    for (const auto& t : g.tensors) {
      (void)hf_tensor_name(t.name);
      auto traits = type_traits(t.type);
      if (!traits || !traits->dequantizable) continue;
      // At most 4 blocks per tensor keeps each input fast.
      const std::uint64_t blocks = std::min<std::uint64_t>(t.nbytes / traits->bytes, 4);
      const std::int64_t n = static_cast<std::int64_t>(blocks * traits->block);
      std::vector<float> out(static_cast<std::size_t>(n));
      dequantize_row(t.ggml_type(), t.data, out.data(), n);
      if (has_affine_form(t.ggml_type()) && n > 0) {
        std::vector<std::uint8_t> q(static_cast<std::size_t>(n));
        std::vector<std::uint16_t> s16(static_cast<std::size_t>(n / 32)), b16(s16.size());
        std::vector<float> s32(s16.size()), b32(s16.size());
        affine_row(t.ggml_type(), t.data, n, q.data(), s16.data(), b16.data(), s32.data(),
                   b32.data());
      }
    }
  } catch (const GgufError&) {
  }
  return 0;
}
