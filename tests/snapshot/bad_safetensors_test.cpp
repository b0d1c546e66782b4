// Hand-made broken safetensors files: each must fail with exactly one clear line.
#include <gtest/gtest.h>

#include "rmlx/snapshot/error.h"
#include "rmlx/snapshot/safetensors.h"
#include "test_util.h"

namespace rmlx::snapshot {
namespace {

struct BadCase {
  const char* name;
  std::string bytes;
  const char* expected;  // after "<path>: "
};

std::string st(const std::string& header, const std::string& data = "") {
  return test::safetensors_bytes(header, data);
}

std::vector<BadCase> bad_cases() {
  const std::string f32x2 = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  return {
      {"empty", "", "file is 0 bytes, too short for the 8-byte header length"},
      {"short", "abc", "file is 3 bytes, too short for the 8-byte header length"},
      {"huge_header", test::safetensors_bytes("{}", "", 100'000'001ull),
       "header length 100000001 exceeds the limit of 100000000 bytes"},
      {"header_past_end", test::safetensors_bytes("{}", "", 50),
       "header length 50 runs past the end of the file (10 bytes)"},
      {"not_brace", st(" {}"), "header does not start with '{'"},
      {"bad_json", st(R"({"w":{"dtype":"F32",)"),
       "header is not valid JSON (at byte 21 of the header)"},
      {"not_object_entry", st(R"({"w":3})"), "tensor 'w': entry is not a JSON object"},
      {"duplicate",
       st(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
          "ab"),
       "tensor 'w': duplicate name in the header"},
      {"missing_dtype", st(R"({"w":{"shape":[1],"data_offsets":[0,1]}})", "a"),
       "tensor 'w': missing \"dtype\""},
      {"dtype_not_string", st(R"({"w":{"dtype":7,"shape":[1],"data_offsets":[0,1]}})", "a"),
       "tensor 'w': \"dtype\" is not a string"},
      {"unknown_dtype", st(R"({"w":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}})", "a"),
       "tensor 'w': unsupported dtype 'F4'"},
      {"missing_shape", st(R"({"w":{"dtype":"U8","data_offsets":[0,1]}})", "a"),
       "tensor 'w': missing \"shape\""},
      {"shape_not_array", st(R"({"w":{"dtype":"U8","shape":1,"data_offsets":[0,1]}})", "a"),
       "tensor 'w': \"shape\" is not an array"},
      {"negative_dim", st(R"({"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}})", "a"),
       "tensor 'w': \"shape\" must hold non-negative integers"},
      {"float_dim", st(R"({"w":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}})", "a"),
       "tensor 'w': \"shape\" must hold non-negative integers"},
      {"missing_offsets", st(R"({"w":{"dtype":"U8","shape":[1]}})", "a"),
       "tensor 'w': missing \"data_offsets\""},
      {"offsets_three", st(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}})", "a"),
       "tensor 'w': \"data_offsets\" must be two non-negative integers [begin, end]"},
      {"offsets_reversed", st(R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}})", "abcd"),
       "tensor 'w': data_offsets [4, 0] end before they begin"},
      {"size_mismatch",
       st(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", std::string(20, 'x')),
       "tensor 'w': F32 [2, 3] needs 24 bytes but data_offsets [0, 20] hold 20"},
      {"shape_overflow",
       st(R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
          std::string(8, 'x')),
       "tensor 'w': shape [4294967296, 4294967296] is too large"},
      {"past_end", st(f32x2, "1234"),
       "tensor 'w': data_offsets [0, 8] run past the data buffer (4 bytes)"},
      {"overlap",
       st(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})",
          "abcd"),
       "tensor 'b': data_offsets [2, 4] overlap tensor 'a' [0, 4]"},
      {"gap",
       st(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[3,5]}})",
          "abcde"),
       "tensor 'b': bytes [2, 3) before it belong to no tensor"},
      {"trailing_bytes", st(f32x2, "12345678xyz"),
       "bytes [8, 11) at the end of the data buffer belong to no tensor"},
      {"metadata_not_object", st(R"({"__metadata__":[1]})"), "__metadata__ is not a JSON object"},
      {"metadata_not_string", st(R"({"__metadata__":{"format":1}})"),
       "__metadata__ 'format' is not a string"},
      {"number_overflow", st(R"({"w":{"dtype":"U8","shape":[1e999],"data_offsets":[0,1]}})", "a"),
       "header is not valid JSON (a number is out of range)"},
      {"header_array", st(R"([1,2])"), "header does not start with '{'"},
  };
}

TEST(BadSafetensors, EachFileGetsItsExactErrorLine) {
  test::ScratchDir dir("bad-st");
  auto cases = bad_cases();
  ASSERT_GE(cases.size(), 20u);
  for (const auto& c : cases) {
    const auto path = dir.file(std::string(c.name) + ".safetensors");
    test::write_bytes(path, c.bytes);
    try {
      SafetensorsFile::open(path);
      ADD_FAILURE() << c.name << ": no error";
    } catch (const SnapshotError& e) {
      EXPECT_EQ(std::string(e.what()), path + ": " + c.expected) << c.name;
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << c.name;
    }
  }
}

TEST(BadSafetensors, MissingFileNamesThePath) {
  test::ScratchDir dir("bad-st");
  const auto path = dir.file("absent.safetensors");
  try {
    SafetensorsFile::open(path);
    FAIL();
  } catch (const SnapshotError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot open: No such file or directory");
  }
}

TEST(Safetensors, AcceptsEmptyAndScalarTensorsAndPaddedHeader) {
  test::ScratchDir dir("st");
  const std::string header =
      R"({"__metadata__":{"format":"mlx"},"e":{"dtype":"F16","shape":[0,3],"data_offsets":[0,0]},)"
      R"("s":{"dtype":"I32","shape":[],"data_offsets":[0,4]}})"
      "   ";
  const auto path = dir.file("ok.safetensors");
  test::write_bytes(path, st(header, std::string("\x2a\0\0\0", 4)));
  auto f = SafetensorsFile::open(path);
  ASSERT_EQ(f.tensors().size(), 2u);
  EXPECT_EQ(f.metadata().at("format"), "mlx");
  const auto& s = f.tensors()[1];
  EXPECT_EQ(s.name, "s");
  EXPECT_EQ(s.shape.size(), 0u);
  EXPECT_EQ(f.data(s)[0], 42);
}

}  // namespace
}  // namespace rmlx::snapshot
