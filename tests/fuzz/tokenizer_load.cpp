// libFuzzer target: arbitrary bytes as tokenizer.json. Loading must either succeed or throw
// rmlx::tokenizer::Error; a loaded tokenizer must encode, decode and stream-decode without
// crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rmlx/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using rmlx::tokenizer::Error;
  using rmlx::tokenizer::Tokenizer;
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  try {
    const Tokenizer tok = Tokenizer::from_json(json);
    for (const bool special : {true, false}) {
      const auto ids = tok.encode("Hello, wörld! 123  \n\t<s> 😀 ▁x", special);
      (void)tok.decode(ids, false);
      (void)tok.decode(ids, true);
      rmlx::tokenizer::StreamDecoder stream(tok);
      for (const int32_t id : ids) (void)stream.step(id);
      (void)stream.flush();
    }
    const int32_t probe[] = {0, 1, 2, -1, 1 << 30};
    (void)tok.decode(probe, false);
  } catch (const Error&) {
  }
  return 0;
}
