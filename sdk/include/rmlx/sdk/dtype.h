// Element types of tensors, named as safetensors names them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rmlx::sdk {

enum class DType : std::uint8_t {
  invalid = 0,
  f64,
  f32,
  f16,
  bf16,
  f8_e4m3,
  f8_e5m2,
  i8,
  i16,
  i32,
  i64,
  u8,
  u16,
  u32,
  u64,
  boolean,
};

// Bytes per element (0 for invalid).
constexpr std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::f64:
    case DType::i64:
    case DType::u64:
      return 8;
    case DType::f32:
    case DType::i32:
    case DType::u32:
      return 4;
    case DType::f16:
    case DType::bf16:
    case DType::i16:
    case DType::u16:
      return 2;
    case DType::f8_e4m3:
    case DType::f8_e5m2:
    case DType::i8:
    case DType::u8:
    case DType::boolean:
      return 1;
    case DType::invalid:
      break;
  }
  return 0;
}

// The safetensors spelling ("F32", "BF16", "F8_E4M3", "BOOL" ...).
constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f64: return "F64";
    case DType::f32: return "F32";
    case DType::f16: return "F16";
    case DType::bf16: return "BF16";
    case DType::f8_e4m3: return "F8_E4M3";
    case DType::f8_e5m2: return "F8_E5M2";
    case DType::i8: return "I8";
    case DType::i16: return "I16";
    case DType::i32: return "I32";
    case DType::i64: return "I64";
    case DType::u8: return "U8";
    case DType::u16: return "U16";
    case DType::u32: return "U32";
    case DType::u64: return "U64";
    case DType::boolean: return "BOOL";
    case DType::invalid: break;
  }
  return "invalid";
}

constexpr std::optional<DType> dtype_from_name(std::string_view s) {
  for (int i = 1; i <= static_cast<int>(DType::boolean); ++i) {
    auto t = static_cast<DType>(i);
    if (dtype_name(t) == s) return t;
  }
  return std::nullopt;
}

}  // namespace rmlx::sdk
