// The `layerskip` drafter: self-speculation. The target's first L decoder
// layers, followed by its own final norm and head, guess the next tokens
// greedily; the full model then verifies them. No extra weights, and the
// first L layers' K/V of the drafted tokens go straight into the target's
// cache. Options: "layerskip:L" (1 <= L <= the model's layers); without L,
// half the layers.
#include <rmlx/sdk/plugin.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rmlx::drafter_layerskip {

namespace {

std::int32_t argmax(std::span<const float> row) {
  // Ties go to the lowest id, as the engine's greedy sampler does.
  return static_cast<std::int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
}

class LayerSkipDrafter final : public sdk::Drafter {
 public:
  explicit LayerSkipDrafter(std::string_view options_json) {
    const auto opts = nlohmann::json::parse(options_json, nullptr, false);
    if (!opts.is_object() || !opts.contains("arg")) return;
    if (!opts["arg"].is_string()) {
      throw std::invalid_argument("drafter layerskip: 'arg' must be text");
    }
    arg_ = opts["arg"].get<std::string>();
    int v = 0;
    auto [end, ec] = std::from_chars(arg_.data(), arg_.data() + arg_.size(), v);
    if (ec != std::errc{} || end != arg_.data() + arg_.size() || v < 1) {
      throw std::invalid_argument("drafter layerskip:" + arg_ +
                                  ": the layer count must be a positive integer");
    }
    layers_ = v;
  }

  std::string name() const override { return "layerskip"; }

  void bind(const sdk::DraftTarget& target) override {
    const int n = target.num_layers();
    if (layers_ == 0) layers_ = std::max(1, n / 2);
    if (layers_ > n) {
      throw std::invalid_argument("drafter layerskip:" + arg_ + ": the model has only " +
                                  std::to_string(n) + " layers (use 1.." + std::to_string(n) + ")");
    }
  }

  std::vector<std::int32_t> propose(const sdk::DraftContext& ctx) override {
    std::vector<std::int32_t> out;
    if (ctx.target == nullptr || ctx.max_tokens <= 0) return out;
    const auto pending = ctx.tokens.subspan(static_cast<std::size_t>(ctx.n_computed));
    if (pending.empty()) return out;
    int pos = ctx.n_computed;
    std::span<const float> logits = ctx.target->forward(pending, pos, layers_);
    pos += static_cast<int>(pending.size());
    out.push_back(argmax(logits));
    while (static_cast<int>(out.size()) < ctx.max_tokens) {
      logits = ctx.target->forward(std::span<const std::int32_t>(&out.back(), 1), pos, layers_);
      ++pos;
      out.push_back(argmax(logits));
    }
    return out;
  }

 private:
  std::string arg_;
  int layers_ = 0;  // 0: half the model's, decided in bind()
};

}  // namespace

}  // namespace rmlx::drafter_layerskip

RMLX_PLUGIN("drafter-layerskip", "0.1.0",
            rmlx::sdk::component<rmlx::sdk::Drafter, rmlx::drafter_layerskip::LayerSkipDrafter>(
                "layerskip"))
