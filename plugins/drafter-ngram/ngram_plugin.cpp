// The `ngram` drafter: prompt lookup decoding. Options: "ngram" (suffixes of
// 2 to 32 tokens) or "ngram:MIN-MAX" / "ngram:MAX" to choose the lengths tried.
//
// Every drafted row costs a share of a decode step whether it is accepted or
// not, so the drafter only proposes what it is fairly sure of: a continuation
// no longer than the suffix that matched (a 2-token echo predicts less than an
// 8-token one), and no more than its last proposal earned (all accepted:
// twice as many next time; otherwise one more than were accepted).
#include <rmlx/sdk/plugin.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string>
#include <string_view>

#include "ngram_lookup.h"

namespace rmlx::drafter_ngram {

namespace {

constexpr int kLongest = 64;

int parse_length(std::string_view text, std::string_view whole) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < 1 || v > kLongest) {
    throw std::invalid_argument("drafter ngram: '" + std::string(whole) +
                                "' is not an n-gram length or range MIN-MAX within 1.." +
                                std::to_string(kLongest));
  }
  return v;
}

class NgramDrafter final : public sdk::Drafter {
 public:
  explicit NgramDrafter(std::string_view options_json) {
    const auto opts = nlohmann::json::parse(options_json, nullptr, false);
    if (!opts.is_object() || !opts.contains("arg")) return;
    if (!opts["arg"].is_string()) throw std::invalid_argument("drafter ngram: 'arg' must be text");
    const std::string arg = opts["arg"].get<std::string>();
    const auto dash = arg.find('-');
    if (dash == std::string::npos) {
      max_n_ = parse_length(arg, arg);
      min_n_ = std::min(min_n_, max_n_);
    } else {
      min_n_ = parse_length(std::string_view(arg).substr(0, dash), arg);
      max_n_ = parse_length(std::string_view(arg).substr(dash + 1), arg);
      if (min_n_ > max_n_) {
        throw std::invalid_argument("drafter ngram: '" + arg + "' has MIN above MAX");
      }
    }
  }

  std::string name() const override { return "ngram"; }

  std::vector<std::int32_t> propose(const sdk::DraftContext& ctx) override {
    const int k = limit_ > 0 ? std::min(limit_, ctx.max_tokens) : ctx.max_tokens;
    int matched = 0;
    auto out = ngram_lookup(ctx.tokens, k, min_n_, max_n_, &matched);
    if (static_cast<int>(out.size()) > matched) out.resize(static_cast<std::size_t>(matched));
    last_ = static_cast<int>(out.size());
    return out;
  }

  void accepted(int n_accepted) override {
    if (last_ > 0) limit_ = n_accepted < last_ ? n_accepted + 1 : 2 * last_;
  }

 private:
  int min_n_ = 2;
  int max_n_ = 32;  // a long match is what earns a long proposal
  int limit_ = 0;   // proposal length earned so far; 0: not limited yet
  int last_ = 0;    // length of the last proposal
};

}  // namespace

}  // namespace rmlx::drafter_ngram

RMLX_PLUGIN("drafter-ngram", "0.1.0",
            rmlx::sdk::component<rmlx::sdk::Drafter, rmlx::drafter_ngram::NgramDrafter>("ngram"))
