#include "rmlx/gguf/ggml_types.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "rmlx/kernels/half.h"

namespace rmlx::gguf {

using kernels::bf16_to_f32;
using kernels::f16_to_f32;

namespace {

constexpr int kQK = 256;  // super-block size of the K-quants

std::uint16_t u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
float half_at(const std::uint8_t* p) {
  return f16_to_f32(u16(p));
}
std::uint32_t u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

// Q4_K / Q5_K: the 6-bit scale and min of sub-block j from the 12 packed bytes.
void scale_min_k4(int j, const std::uint8_t* s, int& sc, int& m) {
  if (j < 4) {
    sc = s[j] & 63;
    m = s[j + 4] & 63;
  } else {
    sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
    m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

void deq_q4_0(const std::uint8_t* b, float* y) {
  const float d = half_at(b);
  for (int j = 0; j < 16; ++j) {
    y[j] = d * static_cast<float>((b[2 + j] & 0x0f) - 8);
    y[j + 16] = d * static_cast<float>((b[2 + j] >> 4) - 8);
  }
}

void deq_q4_1(const std::uint8_t* b, float* y) {
  const float d = half_at(b), m = half_at(b + 2);
  for (int j = 0; j < 16; ++j) {
    y[j] = d * static_cast<float>(b[4 + j] & 0x0f) + m;
    y[j + 16] = d * static_cast<float>(b[4 + j] >> 4) + m;
  }
}

void deq_q5_0(const std::uint8_t* b, float* y) {
  const float d = half_at(b);
  const std::uint32_t qh = u32(b + 2);
  for (int j = 0; j < 16; ++j) {
    const int lo = (b[6 + j] & 0x0f) | static_cast<int>(((qh >> j) & 1u) << 4);
    const int hi = (b[6 + j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    y[j] = d * static_cast<float>(lo - 16);
    y[j + 16] = d * static_cast<float>(hi - 16);
  }
}

void deq_q5_1(const std::uint8_t* b, float* y) {
  const float d = half_at(b), m = half_at(b + 2);
  const std::uint32_t qh = u32(b + 4);
  for (int j = 0; j < 16; ++j) {
    const int lo = (b[8 + j] & 0x0f) | static_cast<int>(((qh >> j) & 1u) << 4);
    const int hi = (b[8 + j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    y[j] = d * static_cast<float>(lo) + m;
    y[j + 16] = d * static_cast<float>(hi) + m;
  }
}

void deq_q8_0(const std::uint8_t* b, float* y) {
  const float d = half_at(b);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(static_cast<std::int8_t>(b[2 + j])) * d;
}

void deq_q4_k(const std::uint8_t* b, float* y) {
  const float d = half_at(b), dmin = half_at(b + 2);
  const std::uint8_t* s = b + 4;
  const std::uint8_t* qs = b + 16;
  for (int c = 0; c < 4; ++c) {
    for (int half = 0; half < 2; ++half) {
      const int j = 2 * c + half;
      int sc = 0, m = 0;
      scale_min_k4(j, s, sc, m);
      const float dl = d * static_cast<float>(sc);
      const float ml = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) {
        const int q = half == 0 ? (qs[32 * c + l] & 0x0f) : (qs[32 * c + l] >> 4);
        y[32 * j + l] = dl * static_cast<float>(q) - ml;
      }
    }
  }
}

void deq_q5_k(const std::uint8_t* b, float* y) {
  const float d = half_at(b), dmin = half_at(b + 2);
  const std::uint8_t* s = b + 4;
  const std::uint8_t* qh = b + 16;
  const std::uint8_t* qs = b + 48;
  for (int c = 0; c < 4; ++c) {
    for (int half = 0; half < 2; ++half) {
      const int j = 2 * c + half;
      int sc = 0, m = 0;
      scale_min_k4(j, s, sc, m);
      const float dl = d * static_cast<float>(sc);
      const float ml = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) {
        const int lo = half == 0 ? (qs[32 * c + l] & 0x0f) : (qs[32 * c + l] >> 4);
        const int q = lo | (((qh[l] >> j) & 1) << 4);
        y[32 * j + l] = dl * static_cast<float>(q) - ml;
      }
    }
  }
}

void deq_q6_k(const std::uint8_t* b, float* y) {
  const std::uint8_t* ql = b;
  const std::uint8_t* qh = b + 128;
  const auto* sc = reinterpret_cast<const std::int8_t*>(b + 192);
  const float d = half_at(b + 208);
  for (int h = 0; h < 2; ++h) {
    const std::uint8_t* l8 = ql + 64 * h;
    const std::uint8_t* h8 = qh + 32 * h;
    float* out = y + 128 * h;
    for (int l = 0; l < 32; ++l) {
      const int q[4] = {
          (l8[l] & 0x0f) | ((h8[l] & 3) << 4), (l8[l + 32] & 0x0f) | (((h8[l] >> 2) & 3) << 4),
          (l8[l] >> 4) | (((h8[l] >> 4) & 3) << 4), (l8[l + 32] >> 4) | (((h8[l] >> 6) & 3) << 4)};
      for (int k = 0; k < 4; ++k) {
        const int e = 32 * k + l;
        const float ds = d * static_cast<float>(sc[8 * h + e / 16]);
        out[e] = ds * static_cast<float>(q[k] - 32);
      }
    }
  }
}

}  // namespace

std::optional<TypeTraits> type_traits(std::uint32_t id) {
  switch (static_cast<GgmlType>(id)) {
    case GgmlType::f32:
      return TypeTraits{"F32", 1, 4, true};
    case GgmlType::f16:
      return TypeTraits{"F16", 1, 2, true};
    case GgmlType::bf16:
      return TypeTraits{"BF16", 1, 2, true};
    case GgmlType::f64:
      return TypeTraits{"F64", 1, 8, false};
    case GgmlType::i8:
      return TypeTraits{"I8", 1, 1, false};
    case GgmlType::i16:
      return TypeTraits{"I16", 1, 2, false};
    case GgmlType::i32:
      return TypeTraits{"I32", 1, 4, false};
    case GgmlType::i64:
      return TypeTraits{"I64", 1, 8, false};
    case GgmlType::q4_0:
      return TypeTraits{"Q4_0", 32, 18, true};
    case GgmlType::q4_1:
      return TypeTraits{"Q4_1", 32, 20, true};
    case GgmlType::q5_0:
      return TypeTraits{"Q5_0", 32, 22, true};
    case GgmlType::q5_1:
      return TypeTraits{"Q5_1", 32, 24, true};
    case GgmlType::q8_0:
      return TypeTraits{"Q8_0", 32, 34, true};
    case GgmlType::q8_1:
      return TypeTraits{"Q8_1", 32, 40, false};
    case GgmlType::q2_k:
      return TypeTraits{"Q2_K", kQK, 84, false};
    case GgmlType::q3_k:
      return TypeTraits{"Q3_K", kQK, 110, false};
    case GgmlType::q4_k:
      return TypeTraits{"Q4_K", kQK, 144, true};
    case GgmlType::q5_k:
      return TypeTraits{"Q5_K", kQK, 176, true};
    case GgmlType::q6_k:
      return TypeTraits{"Q6_K", kQK, 210, true};
    case GgmlType::q8_k:
      return TypeTraits{"Q8_K", kQK, 292, false};
  }
  return std::nullopt;
}

std::string type_name(std::uint32_t id) {
  auto t = type_traits(id);
  return t ? std::string(t->name) : "type " + std::to_string(id);
}

void dequantize_row(GgmlType type, const std::uint8_t* src, float* dst, std::int64_t n) {
  auto traits = type_traits(static_cast<std::uint32_t>(type));
  if (!traits || !traits->dequantizable) {
    throw std::invalid_argument("no dequantization for ggml " +
                                type_name(static_cast<std::uint32_t>(type)));
  }
  const std::int64_t blocks = n / traits->block;
  switch (type) {
    case GgmlType::f32:
      std::memcpy(dst, src, static_cast<std::size_t>(n) * 4);
      return;
    case GgmlType::f16:
      for (std::int64_t i = 0; i < n; ++i) dst[i] = half_at(src + 2 * i);
      return;
    case GgmlType::bf16:
      for (std::int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(u16(src + 2 * i));
      return;
    default:
      break;
  }
  void (*fn)(const std::uint8_t*, float*) = nullptr;
  switch (type) {
    case GgmlType::q4_0:
      fn = deq_q4_0;
      break;
    case GgmlType::q4_1:
      fn = deq_q4_1;
      break;
    case GgmlType::q5_0:
      fn = deq_q5_0;
      break;
    case GgmlType::q5_1:
      fn = deq_q5_1;
      break;
    case GgmlType::q8_0:
      fn = deq_q8_0;
      break;
    case GgmlType::q4_k:
      fn = deq_q4_k;
      break;
    case GgmlType::q5_k:
      fn = deq_q5_k;
      break;
    case GgmlType::q6_k:
      fn = deq_q6_k;
      break;
    default:
      break;
  }
  for (std::int64_t b = 0; b < blocks; ++b) fn(src + b * traits->bytes, dst + b * traits->block);
}

bool has_affine_form(GgmlType type) {
  return type == GgmlType::q4_0 || type == GgmlType::q4_1 || type == GgmlType::q8_0;
}

int affine_bits(GgmlType type) {
  return type == GgmlType::q8_0 ? 8 : 4;
}

bool affine_row(GgmlType type, const std::uint8_t* src, std::int64_t n, std::uint8_t* q,
                std::uint16_t* scales_f16, std::uint16_t* biases_f16, float* scales_f32,
                float* biases_f32) {
  bool exact_f16 = true;
  const auto traits = *type_traits(static_cast<std::uint32_t>(type));
  for (std::int64_t g = 0; g < n / 32; ++g) {
    const std::uint8_t* b = src + g * traits.bytes;
    std::uint8_t* qg = q + g * 32;
    const std::uint16_t d = u16(b);
    const float df = f16_to_f32(d);
    scales_f16[g] = d;
    scales_f32[g] = df;
    float bias = 0;
    switch (type) {
      case GgmlType::q4_0:
        for (int j = 0; j < 16; ++j) {
          qg[j] = b[2 + j] & 0x0f;
          qg[j + 16] = b[2 + j] >> 4;
        }
        bias = -8.0f * df;
        break;
      case GgmlType::q4_1:
        for (int j = 0; j < 16; ++j) {
          qg[j] = b[4 + j] & 0x0f;
          qg[j + 16] = b[4 + j] >> 4;
        }
        bias = half_at(b + 2);
        break;
      default:  // q8_0: q + 128 as an unsigned byte
        for (int j = 0; j < 32; ++j) qg[j] = static_cast<std::uint8_t>(b[2 + j] ^ 0x80);
        bias = -128.0f * df;
        break;
    }
    biases_f32[g] = bias;
    biases_f16[g] = type == GgmlType::q4_1 ? u16(b + 2) : kernels::f32_to_f16(bias);
    if (std::isfinite(bias) && !std::isfinite(f16_to_f32(biases_f16[g]))) exact_f16 = false;
  }
  return exact_f16;
}

}  // namespace rmlx::gguf
