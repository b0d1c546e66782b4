// libFuzzer target: any byte string is either a valid safetensors image or one
// SnapshotError; valid images must describe tensors inside the buffer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "rmlx/snapshot/error.h"
#include "rmlx/snapshot/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto h = rmlx::snapshot::parse_safetensors(data, size, "fuzz");
    std::uint64_t sum = 0;
    for (const auto& t : h.tensors) {
      if (h.data_start + t.end > size) std::abort();
      // Touch the first and last byte of every tensor: must be in bounds.
      if (t.nbytes() > 0) sum += data[h.data_start + t.begin] + data[h.data_start + t.end - 1];
    }
    if (sum == 0xffffffffffffull) std::abort();  // keeps the reads
  } catch (const rmlx::snapshot::SnapshotError&) {
  }
  return 0;
}
