#include "byte_level_vocab.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace rmlx::grammar::testing {
namespace {

// The inverse of GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the
// other 68 bytes are shifted to U+0100 and up, in byte order.
std::map<std::uint32_t, std::uint8_t> unicode_to_byte() {
  std::map<std::uint32_t, std::uint8_t> m;
  std::uint32_t shifted = 0;
  for (std::uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    m[printable ? b : 256 + shifted++] = static_cast<std::uint8_t>(b);
  }
  return m;
}

std::vector<std::uint32_t> code_points(const std::string& s) {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    std::uint32_t cp = len == 1 ? c : c & (0x3F >> (len - 1));
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

}  // namespace

ByteLevelVocab load_byte_level_vocab(const std::string& path,
                                     const std::vector<std::string>& eos_tokens,
                                     std::size_t limit) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream text;
  text << in.rdbuf();
  const auto doc = nlohmann::json::parse(text.str());
  const auto inverse = unicode_to_byte();

  ByteLevelVocab v;
  std::size_t size = 0;
  for (const auto& [tok, id] : doc["model"]["vocab"].items()) {
    (void)tok;
    size = std::max(size, id.get<std::size_t>() + 1);
  }
  for (const auto& a : doc["added_tokens"]) size = std::max(size, a["id"].get<std::size_t>() + 1);
  if (limit > 0) size = std::min(size, limit);
  v.token_bytes.resize(size);
  for (const auto& [tok, id] : doc["model"]["vocab"].items()) {
    const auto i = id.get<std::size_t>();
    if (i >= size) continue;
    std::string bytes;
    for (const auto cp : code_points(tok)) {
      const auto it = inverse.find(cp);
      if (it == inverse.end()) throw std::runtime_error("not a byte-level token: " + tok);
      bytes += static_cast<char>(it->second);
    }
    v.token_bytes[i] = std::move(bytes);
  }
  for (const auto& a : doc["added_tokens"]) {
    const auto i = a["id"].get<std::size_t>();
    if (i >= size) continue;
    v.token_bytes[i].clear();
    for (const auto& e : eos_tokens)
      if (a["content"].get<std::string>() == e) v.eos_ids.push_back(static_cast<std::int32_t>(i));
  }
  return v;
}

}  // namespace rmlx::grammar::testing
