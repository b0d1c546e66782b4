// list-plugins as a user runs it: broken plugins reported, the rest OK.
#include <gtest/gtest.h>

#include "process.h"
#include "rmlx/sdk/abi.h"
#include "temp_dir.h"

namespace {

// Manifests and messages follow the SDK's ABI version; the test plugin wrong_abi reports the next.
const std::string kAbiLine = "abi: " + std::to_string(rmlx::sdk::kAbiVersion) + "\n";
const std::string kAbiMismatch = " was built for ABI " +
                                 std::to_string(rmlx::sdk::kAbiVersion + 1) + ", expected ABI " +
                                 std::to_string(rmlx::sdk::kAbiVersion);

TEST(ListPluginsCli, CheckReportsBrokenAndHealthyPlugins) {
  TempDir dir("cli");
  const std::string lib = std::string(RMLX_TEST_PLUGIN_DIR) + "/librmlx-test-wrong_abi.so";
  dir.write("plugins.yaml", kAbiLine + "plugins:\n  - name: future\n    library: " + lib +
                                "\n    version: 9.9.9\n    provides:\n      drafter: [future]\n");
  Process p({RMLX_HOST_BIN, "--plugins", dir.path(), "list-plugins", "--check"});
  EXPECT_EQ(p.wait(), 1);  // one plugin failed
  EXPECT_NE(p.err().find("error: plugin future: " + lib + kAbiMismatch + "\n"), std::string::npos)
      << p.err();
  EXPECT_NE(p.out().find("future  "), std::string::npos) << p.out();
  // The in-tree plugins, found next to the host, still load.
  EXPECT_NE(p.out().find("kv-f16"), std::string::npos) << p.out();
  for (const std::string& line : {std::string("kv-f16 ")}) {
    auto pos = p.out().find(line);
    ASSERT_NE(pos, std::string::npos);
    auto eol = p.out().find('\n', pos);
    EXPECT_EQ(p.out().substr(eol - 2, 2), "OK") << p.out();
  }
}

}  // namespace
