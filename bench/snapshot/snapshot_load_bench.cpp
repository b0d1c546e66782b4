// Loads a snapshot the way the CPU backend does (map + validate, zero-copy views) and
// reports: time to open, time until every weight page is resident ("touch"), and the
// process's resident memory after each step. Run it through run_bench.sh for cold and
// warm page-cache numbers measured from process start.
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>

#include "rmlx/snapshot/snapshot.h"

namespace {

// VmRSS and RssFile/RssAnon from /proc/self/status, in kB.
std::string rss() {
  std::ifstream in("/proc/self/status");
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS", 0) == 0 || line.rfind("RssAnon", 0) == 0 || line.rfind("RssFile", 0) == 0) {
      out += line.substr(0, line.find(':')) + "=" + line.substr(line.find_first_not_of(" \t", line.find(':') + 1));
      out += " ";
    }
  }
  return out;
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: snapshot_load_bench SNAPSHOT_DIR [--touch]\n";
    return 2;
  }
  const bool touch = argc > 2 && std::string(argv[2]) == "--touch";
  const auto t0 = std::chrono::steady_clock::now();
  auto snap = rmlx::snapshot::Snapshot::open(argv[1]);
  const double open_ms = ms_since(t0);
  std::cout << fmt::format("open: {:.1f} ms, {} tensors, {:.2f} GB of weights, {} copied ({} bytes); {}\n",
                           open_ms, snap->names().size(), snap->weight_bytes() / 1e9,
                           snap->copied_tensors(), snap->copied_bytes(), rss());
  if (touch) {
    // One read per 4 KiB page of every tensor: what the first forward pass costs.
    const auto t1 = std::chrono::steady_clock::now();
    std::uint64_t sum = 0;
    for (const auto& name : snap->names()) {
      const auto* t = snap->find(name);
      const auto* p = static_cast<const std::uint8_t*>(t->data);
      for (std::size_t i = 0; i < t->nbytes(); i += 4096) sum += p[i];
    }
    std::cout << fmt::format("touch: {:.1f} ms ({:.2f} GB/s), checksum {}; {}\n", ms_since(t1),
                             snap->weight_bytes() / 1e6 / ms_since(t1), sum % 1000, rss());
  }
  return 0;
}
