// Every parser plugin in the build loads, matches the ABI and provides
// exactly the components its manifest entry lists.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

TEST(ParserPlugins, ManifestEntriesMatchDescriptors) {
  YAML::Node manifest = YAML::LoadFile(plugin_path("plugins.yaml"));
  int parser_plugins = 0;
  for (const auto& entry : manifest["plugins"]) {
    const std::string name = entry["name"].as<std::string>();
    if (name.rfind("parser-", 0) != 0) continue;
    ++parser_plugins;
    SCOPED_TRACE(name);
    boost::dll::shared_library lib(plugin_path(entry["library"].as<std::string>()));
    const sdk::PluginDescriptor* d = descriptor(lib);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->abi_version, sdk::kAbiVersion);
    EXPECT_EQ(d->struct_size, sizeof(sdk::PluginDescriptor));
    EXPECT_EQ(std::string(d->name), name);
    std::set<std::string> listed;
    for (const auto& kv : entry["provides"]) {
      for (const auto& n : kv.second)
        listed.insert(kv.first.as<std::string>() + "=" + n.as<std::string>());
    }
    std::set<std::string> provided;
    for (std::size_t i = 0; i < d->component_count; ++i) {
      const auto& f = d->components[i];
      provided.insert(std::string(sdk::kind_name(f.kind)) + "=" + f.name);
      char error[128] = {0};
      void* p = f.create("{}", error, sizeof error);
      ASSERT_NE(p, nullptr) << error;
      f.destroy(p);
    }
    EXPECT_EQ(provided, listed);
  }
  EXPECT_GE(parser_plugins, 5);
}

}  // namespace
}  // namespace rmlx::parsers::test
