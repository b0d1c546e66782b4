// libFuzzer target: arbitrary bytes as text for encode / decode / streaming decode.
// The tokenizer is RMLX_FUZZ_TOKENIZER (a tokenizer.json path) when set, else a small built-in
// byte-level BPE with added tokens. Checks: no crash, decode(encode(x)) == x for the built-in
// (lossless) tokenizer on valid UTF-8, and streamed pieces add up to the full decode.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "rmlx/tokenizer/tokenizer.h"

namespace {

constexpr std::string_view kBuiltin = R"({
  "added_tokens": [
    {"id": 300, "content": "<|end|>", "special": true, "normalized": false},
    {"id": 301, "content": "[L]", "special": false, "normalized": false, "lstrip": true, "rstrip": true},
    {"id": 302, "content": "word", "special": false, "normalized": false, "single_word": true}
  ],
  "normalizer": null,
  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false},
    {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
  "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|end|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "special_tokens": {"<|end|>": {"id": "<|end|>", "ids": [300], "tokens": ["<|end|>"]}}},
  "decoder": {"type": "ByteLevel"},
  "model": {"type": "BPE", "vocab": VOCAB, "merges": [["Ġ", "t"], ["h", "e"], ["Ġt", "he"], ["i", "n"], ["Ġ", "Ġ"]]}
})";

std::string builtin_json() {
  // The 256 byte-level symbols (ids 0..255) plus the merge results.
  std::string vocab = "{";
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
    std::string s;
    if (cp == '"' || cp == '\\') {
      s = std::string("\\") + static_cast<char>(cp);
    } else if (cp < 0x80) {
      s = std::string(1, static_cast<char>(cp));
    } else {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    vocab += "\"" + s + "\": " + std::to_string(b) + ", ";
  }
  vocab += "\"Ġt\": 256, \"he\": 257, \"Ġthe\": 258, \"in\": 259, \"ĠĠ\": 260}";
  std::string json(kBuiltin);
  json.replace(json.find("VOCAB"), 5, vocab);
  return json;
}

struct State {
  std::unique_ptr<rmlx::tokenizer::Tokenizer> tok;
  bool builtin = true;
};

State& state() {
  static State s = [] {
    State st;
    if (const char* path = std::getenv("RMLX_FUZZ_TOKENIZER")) {
      st.tok =
          std::make_unique<rmlx::tokenizer::Tokenizer>(rmlx::tokenizer::Tokenizer::from_file(path));
      st.builtin = false;
    } else {
      st.tok = std::make_unique<rmlx::tokenizer::Tokenizer>(
          rmlx::tokenizer::Tokenizer::from_json(builtin_json()));
    }
    return st;
  }();
  return s;
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    char32_t cp = 0;
    if (c < 0x80) {
      n = 1, cp = c;
    } else if ((c >> 5) == 6) {
      n = 2, cp = c & 0x1F;
    } else if ((c >> 4) == 14) {
      n = 3, cp = c & 0x0F;
    } else if ((c >> 3) == 30) {
      n = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const char32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  State& st = state();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto ids = st.tok->encode(text, true);
  const auto plain = st.tok->encode(text, false);
  const std::string full = st.tok->decode(ids, false);
  (void)st.tok->decode(ids, true);
  // "[L]" strips the spaces around it, so only texts without it round-trip.
  if (st.builtin && valid_utf8(text) && text.find("[L]") == std::string_view::npos &&
      st.tok->decode(plain, false) != text) {
    std::abort();
  }
  rmlx::tokenizer::StreamDecoder stream(*st.tok);
  std::string streamed;
  for (const int32_t id : ids) {
    const std::string piece = stream.step(id);
    if (!valid_utf8(piece)) std::abort();
    streamed += piece;
  }
  streamed += stream.flush();
  if (streamed != full) std::abort();
  return 0;
}
