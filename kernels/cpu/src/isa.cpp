#include "rmlx/kernels/isa.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace rmlx::kernels {

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::portable:
      return "portable";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
  }
  return "unknown";
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::portable:
      return true;
#if defined(__x86_64__)
    case Isa::avx2:
      // Exactly the -m flags the AVX2 translation units are built with.
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("f16c") && __builtin_cpu_supports("bmi2");
    case Isa::avx512:
      return isa_supported(Isa::avx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni") &&
             __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512vbmi");
#else
    default:
      return false;
#endif
  }
  return false;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::portable, Isa::avx2, Isa::avx512}) {
    if (isa_supported(isa)) out.push_back(isa);
  }
  return out;
}

Isa select_isa() {
  const char* env = std::getenv("RMLX_CPU_ISA");
  if (env == nullptr || *env == '\0') return supported_isas().back();
  for (Isa isa : {Isa::portable, Isa::avx2, Isa::avx512}) {
    if (isa_name(isa) == env) {
      if (!isa_supported(isa)) {
        throw std::runtime_error("RMLX_CPU_ISA=" + std::string(env) +
                                 ": this CPU does not support that instruction set");
      }
      return isa;
    }
  }
  throw std::runtime_error("RMLX_CPU_ISA=" + std::string(env) +
                           ": unknown value (expected portable, avx2 or avx512)");
}

}  // namespace rmlx::kernels
