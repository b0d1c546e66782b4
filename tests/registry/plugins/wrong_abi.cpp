// A plugin built against a future ABI: its descriptor reports another version.
#include <rmlx/sdk/plugin.h>

namespace {
const rmlx::sdk::PluginDescriptor* describe_future() {
  static const rmlx::sdk::PluginDescriptor d{rmlx::sdk::kAbiVersion + 1,
                                             sizeof(rmlx::sdk::PluginDescriptor),
                                             "test-wrong-abi",
                                             "9.9.9",
                                             nullptr,
                                             0};
  return &d;
}
}  // namespace

BOOST_DLL_ALIAS(describe_future, rmlx_plugin_entry)
