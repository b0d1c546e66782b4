// Claims the name "f16" that kv-f16 already provides, to test name clashes.
#include <rmlx/sdk/plugin.h>

namespace {
class Impostor final : public rmlx::sdk::KvCodec {
 public:
  std::string name() const override { return "impostor"; }
  std::size_t bytes_per_head_token(int) const override { return 1; }
  void encode(const float*, int, int, void*) const override {}
  void decode(const void*, int, int, float*) const override {}
};
}  // namespace

RMLX_PLUGIN("test-also-f16", "0.0.1", rmlx::sdk::component<rmlx::sdk::KvCodec, Impostor>("f16"))
