// An example drafter: remembers, for every token, the token that followed it
// most recently in this request, and proposes a chain of those guesses. It
// shows everything a drafter needs: per-request state (one instance serves one
// request), options from the "--drafter bigram:ARG" text, and the acceptance
// feedback. Built against the SDK alone.
#include <rmlx/sdk/plugin.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

class BigramDrafter final : public rmlx::sdk::Drafter {
 public:
  // options_json is {} or {"arg":"N"}: stop chaining after N guesses.
  explicit BigramDrafter(std::string_view options_json) {
    const auto at = options_json.find("\"arg\":\"");
    if (at == std::string_view::npos) return;
    const std::string_view rest = options_json.substr(at + 7);
    int v = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
    if (ec != std::errc{} || end == rest.data() + rest.size() || *end != '"' || v < 1) {
      throw std::invalid_argument("drafter bigram: the chain limit must be a positive integer");
    }
    limit_ = v;
  }

  std::string name() const override { return "bigram"; }

  std::vector<std::int32_t> propose(const rmlx::sdk::DraftContext& ctx) override {
    // Learn from the tokens added since the last call (the prompt, the first time).
    for (; seen_ + 1 < ctx.tokens.size(); ++seen_) next_[ctx.tokens[seen_]] = ctx.tokens[seen_ + 1];
    std::vector<std::int32_t> out;
    if (ctx.tokens.empty() || misses_ >= 8) return out;  // gives up on text it cannot guess
    std::int32_t t = ctx.tokens.back();
    while (static_cast<int>(out.size()) < std::min(ctx.max_tokens, limit_)) {
      auto it = next_.find(t);
      if (it == next_.end()) break;
      t = it->second;
      out.push_back(t);
    }
    return out;
  }

  void accepted(int n_accepted) override { misses_ = n_accepted > 0 ? 0 : misses_ + 1; }

 private:
  std::unordered_map<std::int32_t, std::int32_t> next_;
  std::size_t seen_ = 0;
  int limit_ = 64;
  int misses_ = 0;
};

}  // namespace

RMLX_PLUGIN("example-drafter-bigram", "1.0.0",
            rmlx::sdk::component<rmlx::sdk::Drafter, BigramDrafter>("bigram"))
