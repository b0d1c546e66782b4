// Incremental detokenization: decode a small window (the last emitted token as context plus the
// pending ones) and emit the part past the context once it no longer ends in U+FFFD.
#include "rmlx/tokenizer/tokenizer.h"

namespace rmlx::tokenizer {

namespace {
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
bool ends_with_replacement(const std::string& s) {
  return s.size() >= kReplacement.size() &&
         s.compare(s.size() - kReplacement.size(), kReplacement.size(), kReplacement) == 0;
}
}  // namespace

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tokenizer_(&tokenizer), skip_special_(skip_special_tokens) {}

std::string StreamDecoder::step(int32_t id) {
  ids_.push_back(id);
  const std::string text = tokenizer_->decode(ids_, skip_special_);
  if (text.size() <= prefix_.size() || ends_with_replacement(text)) return {};
  size_t common = prefix_.size();
  if (text.compare(0, prefix_.size(), prefix_) != 0) {
    // Only decoders that rewrite across tokens (WordPiece cleanup) get here: emit what follows
    // the common part, cut at a character boundary.
    common = 0;
    while (common < prefix_.size() && text[common] == prefix_[common]) ++common;
    while (common > 0 && (static_cast<unsigned char>(text[common]) & 0xC0) == 0x80) --common;
  }
  std::string out = text.substr(common);
  // Keep the tokens just emitted as context for the next ones.
  ids_.erase(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(prefix_index_));
  prefix_ = tokenizer_->decode(ids_, skip_special_);
  prefix_index_ = ids_.size();
  return out;
}

std::string StreamDecoder::flush() {
  std::string text = tokenizer_->decode(ids_, skip_special_);
  std::string out = text.size() > prefix_.size() && text.compare(0, prefix_.size(), prefix_) == 0
                        ? text.substr(prefix_.size())
                        : std::string();
  reset();
  return out;
}

void StreamDecoder::reset() {
  ids_.clear();
  prefix_.clear();
  prefix_index_ = 0;
}

}  // namespace rmlx::tokenizer
