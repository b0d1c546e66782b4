// Each broken-plugin case produces its exact line, and the healthy plugins
// keep loading and working.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rmlx/registry/registry.h"
#include "rmlx/sdk/abi.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using rmlx::registry::Registry;
using rmlx::sdk::ComponentKind;

namespace {

// Manifests and messages follow the SDK's ABI version; the test plugin wrong_abi reports the next.
const std::string kAbiLine = "abi: " + std::to_string(rmlx::sdk::kAbiVersion) + "\n";
const std::string kAbiMismatch = " was built for ABI " +
                                 std::to_string(rmlx::sdk::kAbiVersion + 1) + ", expected ABI " +
                                 std::to_string(rmlx::sdk::kAbiVersion);

const std::string kTestPlugins = RMLX_TEST_PLUGIN_DIR;
const std::string kBuildPlugins = RMLX_PLUGIN_BUILD_DIR;

// The in-tree kv-f16 plugin still encodes and decodes after the broken ones.
void expect_f16_works(Registry& reg) {
  auto codec = reg.create<rmlx::sdk::KvCodec>("f16");
  ASSERT_TRUE(codec);
  EXPECT_EQ(codec->name(), "f16");
  const float in[4] = {1.5f, -2.25f, 65504.0f, 0.1f};
  std::uint16_t packed[4];
  float out[4];
  codec->encode(in, 1, 4, packed);
  codec->decode(packed, 1, 4, out);
  EXPECT_EQ(packed[0], 0x3e00);
  EXPECT_EQ(out[1], -2.25f);
  EXPECT_EQ(out[2], 65504.0f);
  EXPECT_FLOAT_EQ(out[3], 0.0999755859375f);
}

std::string good_manifest() {
  return kAbiLine + "plugins:\n  - name: kv-f16\n    library: " + kBuildPlugins +
         "/librmlx-kv-f16.so\n    version: 0.1.0\n    provides:\n      kv_codec: [f16, bf16]\n";
}

class RegistryTest : public ::testing::Test {
 protected:
  TempDir good_{"good"};
  TempDir bad_{"bad"};
  void SetUp() override { good_.write("plugins.yaml", good_manifest()); }
  std::string bad_manifest() const { return bad_.path() + "/plugins.yaml"; }
};

TEST_F(RegistryTest, InvalidYaml) {
  bad_.write("plugins.yaml", kAbiLine + "plugins:\n  - name: [unclosed\n");
  Registry reg;
  reg.scan({bad_.path(), good_.path()});
  ASSERT_EQ(reg.diagnostics().size(), 1u);
  EXPECT_EQ(reg.diagnostics()[0],
            bad_manifest() + ": invalid YAML at line 4, column 1: end of sequence flow not found");
  expect_f16_works(reg);
}

TEST_F(RegistryTest, MissingRequiredField) {
  bad_.write("plugins.yaml",
             kAbiLine + "plugins:\n  - name: no-lib\n    provides:\n      drafter: [x]\n");
  Registry reg;
  reg.scan({bad_.path(), good_.path()});
  ASSERT_EQ(reg.diagnostics().size(), 1u);
  EXPECT_EQ(reg.diagnostics()[0],
            bad_manifest() + ": plugin no-lib: missing required field 'library'");
  expect_f16_works(reg);
}

TEST_F(RegistryTest, MissingLibraryFile) {
  bad_.write("plugins.yaml",
             kAbiLine +
                 "plugins:\n  - name: ghost\n    library: libghost.so\n    provides:\n"
                 "      drafter: [ghost]\n");
  Registry reg;
  reg.scan({bad_.path(), good_.path()});
  ASSERT_EQ(reg.diagnostics().size(), 1u);
  EXPECT_EQ(reg.diagnostics()[0],
            bad_manifest() + ": plugin ghost: library " + bad_.path() + "/libghost.so not found");
  EXPECT_THROW(reg.create<rmlx::sdk::Drafter>("ghost"), rmlx::registry::RegistryError);
  expect_f16_works(reg);
}

TEST_F(RegistryTest, LibraryWithoutEntryPoint) {
  const std::string lib = kTestPlugins + "/librmlx-test-no_entry.so";
  bad_.write("plugins.yaml", kAbiLine + "plugins:\n  - name: not-a-plugin\n    library: " + lib +
                                 "\n    provides:\n      drafter: [nothing]\n");
  Registry reg;
  reg.scan({bad_.path(), good_.path()});
  EXPECT_TRUE(reg.diagnostics().empty());  // found lazily, on first use
  EXPECT_EQ(reg.check_all(), 1);
  ASSERT_EQ(reg.diagnostics().size(), 1u);
  EXPECT_EQ(reg.diagnostics()[0],
            "plugin not-a-plugin: " + lib + " has no entry point 'rmlx_plugin_entry'");
  expect_f16_works(reg);
}

TEST_F(RegistryTest, AbiMismatch) {
  const std::string lib = kTestPlugins + "/librmlx-test-wrong_abi.so";
  bad_.write("plugins.yaml", kAbiLine + "plugins:\n  - name: future\n    library: " + lib +
                                 "\n    provides:\n      drafter: [future]\n");
  Registry reg;
  reg.scan({bad_.path(), good_.path()});
  try {
    reg.create<rmlx::sdk::Drafter>("future");
    FAIL() << "expected an error";
  } catch (const rmlx::registry::RegistryError& e) {
    EXPECT_EQ(std::string(e.what()),
              "drafter 'future' is unavailable: plugin future: " + lib + kAbiMismatch);
  }
  ASSERT_EQ(reg.diagnostics().size(), 1u);
  EXPECT_EQ(reg.diagnostics()[0], "plugin future: " + lib + kAbiMismatch);
  expect_f16_works(reg);
}

TEST_F(RegistryTest, DuplicateNameEarlierDirectoryWins) {
  const std::string lib = kTestPlugins + "/librmlx-test-also_f16.so";
  bad_.write("plugins.yaml", kAbiLine + "plugins:\n  - name: also-f16\n    library: " + lib +
                                 "\n    provides:\n      kv_codec: [f16]\n");
  Registry reg;
  reg.scan({good_.path(), bad_.path()});
  ASSERT_EQ(reg.diagnostics().size(), 1u);
  EXPECT_EQ(reg.diagnostics()[0],
            bad_manifest() + ": plugin also-f16: kv_codec 'f16' is already provided by plugin " +
                "kv-f16 from " + good_.path() + "/plugins.yaml; the earlier one wins");
  expect_f16_works(reg);
}

TEST_F(RegistryTest, FactoryThrows) {
  const std::string lib = kTestPlugins + "/librmlx-test-throws.so";
  bad_.write("plugins.yaml", kAbiLine + "plugins:\n  - name: test-throws\n    library: " + lib +
                                 "\n    provides:\n      drafter: [grumpy]\n");
  Registry reg;
  reg.scan({bad_.path(), good_.path()});
  EXPECT_THROW(reg.create<rmlx::sdk::Drafter>("grumpy"), rmlx::registry::RegistryError);
  ASSERT_EQ(reg.diagnostics().size(), 1u);
  EXPECT_EQ(reg.diagnostics()[0],
            "plugin test-throws: " + lib + ": creating drafter 'grumpy' failed: out of cheese");
  expect_f16_works(reg);
}

TEST_F(RegistryTest, UnknownNameListsKnownOnes) {
  Registry reg;
  reg.scan({good_.path()});
  try {
    reg.create<rmlx::sdk::KvCodec>("int3");
    FAIL() << "expected an error";
  } catch (const rmlx::registry::RegistryError& e) {
    EXPECT_EQ(std::string(e.what()), "no plugin provides kv_codec 'int3' (known: bf16, f16)");
  }
}

TEST_F(RegistryTest, LazyLoading) {
  Registry reg;
  reg.scan({good_.path()});
  ASSERT_EQ(reg.plugins().size(), 1u);
  EXPECT_EQ(reg.plugins()[0].state, rmlx::registry::PluginState::available);
  expect_f16_works(reg);
  EXPECT_EQ(reg.plugins()[0].state, rmlx::registry::PluginState::loaded);
}

}  // namespace
