// A plugin whose factory throws: the host must report it and carry on.
#include <rmlx/sdk/plugin.h>

#include <stdexcept>

namespace {
class Grumpy final : public rmlx::sdk::Drafter {
 public:
  Grumpy() { throw std::runtime_error("out of cheese"); }
  std::string name() const override { return "grumpy"; }
  std::vector<std::int32_t> propose(const rmlx::sdk::DraftContext&) override { return {}; }
};
}  // namespace

RMLX_PLUGIN("test-throws", "0.0.1", rmlx::sdk::component<rmlx::sdk::Drafter, Grumpy>("grumpy"))
