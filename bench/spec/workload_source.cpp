#include <cstddef>
#include <string>
#include <vector>

namespace demo {

std::size_t clamp_index(long index, std::size_t size) {
  if (size == 0) return 0;
  if (index < 0) return 0;
  if (static_cast<std::size_t>(index) >= size) return size - 1;
  return static_cast<std::size_t>(index);
}

std::string pick(const std::vector<std::string>& items, long index) {
  if (items.empty()) return "";
  return items[clamp_index(index, items.size())];
}

int sum_range(const std::vector<int>& values, long first, long last) {
  if (values.empty()) return 0;
  std::size_t a = clamp_index(first, values.size());
  std::size_t b = clamp_index(last, values.size());
  int total = 0;
  for (std::size_t i = a; i <= b; ++i) total += values[i];
  return total;
}

}  // namespace demo
