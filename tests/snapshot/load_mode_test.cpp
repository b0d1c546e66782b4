// LoadMode::read (`--no-mmap`): the same bytes as the mapping, in 2 MiB-aligned
// memory, and the same one-line errors.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "rmlx/snapshot/error.h"
#include "rmlx/snapshot/mapped_file.h"
#include "rmlx/snapshot/safetensors.h"
#include "rmlx/snapshot/snapshot.h"
#include "rmlx/synth/synth.h"
#include "test_util.h"

namespace rmlx::snapshot {
namespace {

constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;

// An F32 tensor just over 3 MiB (the copy spans two 2 MiB pages and a partial one)
// and a BF16 one after it, with random bytes.
std::string two_tensor_file() {
  constexpr std::size_t kFloats = (3u << 20) / 4 + 3;
  std::mt19937 rng(11);
  std::string data(kFloats * 4 + 10, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  const std::string a_end = std::to_string(kFloats * 4);
  const std::string header = R"({"a":{"dtype":"F32","shape":[)" + std::to_string(kFloats) +
                             R"(],"data_offsets":[0,)" + a_end + R"(]},"b":{"dtype":"BF16",)" +
                             R"("shape":[5],"data_offsets":[)" + a_end + "," +
                             std::to_string(kFloats * 4 + 10) + "]}}";
  return test::safetensors_bytes(header, data);
}

std::string error_of(const std::string& path, LoadMode mode) {
  try {
    SafetensorsFile::open(path, mode);
  } catch (const SnapshotError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(LoadMode, ReadGivesTheMappedBytesInHugePageAlignedMemory) {
  test::ScratchDir dir("loadmode");
  const std::string path = dir.file("model.safetensors");
  const std::string bytes = two_tensor_file();
  test::write_bytes(path, bytes);
  const auto mapped = SafetensorsFile::open(path, LoadMode::map);
  const auto read = SafetensorsFile::open(path, LoadMode::read);
  EXPECT_EQ(mapped.mapping().mode(), LoadMode::map);
  EXPECT_EQ(read.mapping().mode(), LoadMode::read);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(read.mapping().data()) % kHugePage, 0u);
  ASSERT_EQ(read.file_size(), bytes.size());
  EXPECT_EQ(std::memcmp(read.mapping().data(), bytes.data(), bytes.size()), 0);
  ASSERT_EQ(read.tensors().size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& m = mapped.tensors()[i];
    const auto& r = read.tensors()[i];
    EXPECT_EQ(r.name, m.name);
    EXPECT_EQ(r.dtype, m.dtype);
    EXPECT_EQ(r.shape, m.shape);
    ASSERT_EQ(r.nbytes(), m.nbytes());
    EXPECT_EQ(std::memcmp(read.data(r), mapped.data(m), m.nbytes()), 0) << m.name;
    // Same offset inside a 4 KiB page as in the mapping: kernels see the same alignment.
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(read.data(r)) % 4096,
              reinterpret_cast<std::uintptr_t>(mapped.data(m)) % 4096);
  }
  // Moving keeps the memory; the moved-from file is empty.
  SafetensorsFile moved = SafetensorsFile::open(path, LoadMode::read);
  const std::uint8_t* p = moved.mapping().data();
  SafetensorsFile target = std::move(moved);
  EXPECT_EQ(target.mapping().data(), p);
  EXPECT_EQ(std::memcmp(target.mapping().data(), bytes.data(), bytes.size()), 0);
}

TEST(LoadMode, SnapshotTensorsAreIdenticalBothWays) {
  test::ScratchDir dir("loadmode");
  synth::SynthOptions o;
  o.like = "smollm2-135m";
  o.quant = "affine:4:32";
  o.layers = 2;
  o.vocab = 512;
  o.seed = 5;
  o.out_dir = dir.file("model");
  synth::synthesize(o);
  const auto mapped = Snapshot::open(o.out_dir, LoadMode::map);
  const auto read = Snapshot::open(o.out_dir, LoadMode::read);
  ASSERT_EQ(read->names(), mapped->names());
  ASSERT_FALSE(mapped->names().empty());
  for (const auto& name : mapped->names()) {
    const sdk::Tensor* m = mapped->find(name);
    const sdk::Tensor* r = read->find(name);
    ASSERT_NE(r, nullptr) << name;
    EXPECT_EQ(r->dtype, m->dtype) << name;
    EXPECT_EQ(r->shape, m->shape) << name;
    EXPECT_NE(r->data, m->data) << name;  // its own memory, not the mapping
    const auto bytes = mapped->location(name)->info->nbytes();
    EXPECT_EQ(std::memcmp(r->data, m->data, bytes), 0) << name;
  }
  EXPECT_EQ(read->weight_bytes(), mapped->weight_bytes());
}

TEST(LoadMode, TruncatedFileFailsWithTheSameLineBothWays) {
  test::ScratchDir dir("loadmode");
  const std::string path = dir.file("cut.safetensors");
  const std::string bytes = two_tensor_file();
  test::write_bytes(path, bytes.substr(0, bytes.size() - 7));
  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = header_len << 8 | static_cast<std::uint8_t>(bytes[i]);
  const std::size_t data_size = bytes.size() - 7 - 8 - header_len;
  const std::string a_end = std::to_string(((3u << 20) / 4 + 3) * 4);
  const std::string want = path + ": tensor 'b': data_offsets [" + a_end + ", " +
                           std::to_string(std::stoull(a_end) + 10) +
                           "] run past the data buffer (" + std::to_string(data_size) + " bytes)";
  EXPECT_EQ(error_of(path, LoadMode::map), want);
  EXPECT_EQ(error_of(path, LoadMode::read), want);
}

TEST(LoadMode, MissingFileFailsWithTheSameLineBothWays) {
  test::ScratchDir dir("loadmode");
  const std::string path = dir.file("absent.safetensors");
  EXPECT_EQ(error_of(path, LoadMode::read), path + ": cannot open: No such file or directory");
  EXPECT_EQ(error_of(path, LoadMode::map), error_of(path, LoadMode::read));
}

// A sysfs attribute says 4096 bytes in stat() but reads fewer: a short read.
TEST(LoadMode, ShortReadIsReported) {
  const std::string path = "/sys/kernel/mm/transparent_hugepage/enabled";
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) != 4096 || ec) {
    GTEST_SKIP() << path << " is not a 4096-byte sysfs attribute here";
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  const std::size_t got = text.str().size();
  ASSERT_GT(got, 0u);
  try {
    MappedFile file(path, LoadMode::read);
    FAIL() << "no error";
  } catch (const SnapshotError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": short read: the file ended at byte " +
                                         std::to_string(got) + " of 4096 (changed while loading?)");
  }
}

TEST(LoadMode, EmptyFileHasNoBytesEitherWay) {
  test::ScratchDir dir("loadmode");
  const std::string path = dir.file("empty");
  test::write_bytes(path, "");
  const MappedFile read(path, LoadMode::read);
  EXPECT_EQ(read.size(), 0u);
  EXPECT_EQ(read.data(), nullptr);
}

}  // namespace
}  // namespace rmlx::snapshot
