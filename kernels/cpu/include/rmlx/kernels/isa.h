// Which instruction-set path the kernels use. Each path lives in its own translation
// unit built with its own -m flags; the choice is made at run time.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace rmlx::kernels {

class ThreadPool;

enum class Isa : std::uint8_t {
  portable,  // plain C++, any CPU
  avx2,      // AVX2 + FMA + F16C
  avx512,    // AVX-512 F/BW/VL/VNNI/BF16/VBMI
};

std::string_view isa_name(Isa isa);
bool isa_supported(Isa isa);
// Every path this CPU can run, portable first.
std::vector<Isa> supported_isas();
// The fastest supported path, unless RMLX_CPU_ISA=portable|avx2|avx512 names one:
// then that one, or std::runtime_error if the CPU lacks it or the name is unknown.
Isa select_isa();

// What a kernel call runs on: an instruction-set path and, optionally, a pool
// (nullptr: the calling thread alone).
struct Exec {
  Isa isa = Isa::portable;
  ThreadPool* pool = nullptr;
};

}  // namespace rmlx::kernels
