// A non-owning view of a tensor: element type, shape (row-major, last axis
// contiguous) and a pointer into memory owned elsewhere (a mapped file, a
// backend buffer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rmlx/sdk/dtype.h"

namespace rmlx::sdk {

enum class DeviceKind : std::uint8_t { invalid = 0, cpu, cuda };

struct Device {
  DeviceKind kind = DeviceKind::cpu;
  int index = 0;
};

struct Tensor {
  DType dtype = DType::invalid;
  std::vector<std::int64_t> shape;
  void* data = nullptr;
  Device device;

  std::int64_t numel() const {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype); }
  std::int64_t dim(int i) const { return shape.at(i < 0 ? shape.size() + i : i); }
  int ndim() const { return static_cast<int>(shape.size()); }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data);
  }
};

// Read access to a model's named tensors (a snapshot's safetensors files).
class WeightSource {
 public:
  virtual ~WeightSource() = default;
  // nullptr when absent.
  virtual const Tensor* find(const std::string& name) const = 0;
  virtual std::vector<std::string> names() const = 0;
};

}  // namespace rmlx::sdk
