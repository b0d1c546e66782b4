// A CUPTI injection library that writes every kernel's start and end (device
// timestamps, ns) to $RMLX_TRACE_OUT, one line each: start end grid block name.
// The GPU machines have no Nsight Systems; this gives the same kernel timeline,
// including the kernels of replayed CUDA graphs and how programmatic dependent
// launches overlap. Use: CUDA_INJECTION64_PATH=librmlx-kernel-trace.so
// RMLX_TRACE_OUT=trace.tsv rmlx-gpu-check ...; bench/gpu/trace_summary.py reads it.
#include <cupti.h>

#include <cxxabi.h>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

constexpr std::size_t kBufferBytes = 8u << 20;

struct File {
  std::FILE* f = nullptr;
  ~File() {
    if (f != nullptr) std::fclose(f);
  }
};

File& out() {
  static File file;
  return file;
}

std::string demangled(const char* name) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> d(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return status == 0 && d ? std::string(d.get()) : std::string(name);
}

void CUPTIAPI buffer_requested(std::uint8_t** buffer, std::size_t* size, std::size_t* max_records) {
  *buffer = static_cast<std::uint8_t*>(std::aligned_alloc(8, kBufferBytes));
  *size = kBufferBytes;
  *max_records = 0;
}

void CUPTIAPI buffer_completed(CUcontext, std::uint32_t, std::uint8_t* buffer, std::size_t,
                               std::size_t valid) {
  CUpti_Activity* record = nullptr;
  while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
    if (record->kind != CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL || out().f == nullptr) continue;
    const auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(record);
    std::fprintf(out().f, "%llu\t%llu\t%d\t%d\t%s\n", static_cast<unsigned long long>(k->start),
                 static_cast<unsigned long long>(k->end), k->gridX, k->blockX,
                 demangled(k->name).c_str());
  }
  std::free(buffer);
}

void flush_at_exit() {
  cuptiActivityFlushAll(1);
}

}  // namespace

extern "C" int InitializeInjection() {
  const char* path = std::getenv("RMLX_TRACE_OUT");
  out().f = std::fopen(path != nullptr ? path : "kernel-trace.tsv", "w");
  if (out().f == nullptr) return 0;
  if (cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed) != CUPTI_SUCCESS ||
      cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) != CUPTI_SUCCESS) {
    return 0;
  }
  cuptiActivityFlushPeriod(500);
  std::atexit(flush_at_exit);
  return 1;
}
