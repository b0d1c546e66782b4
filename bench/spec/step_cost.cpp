// The price of verifying drafts: CPU time of one decode forward pass of M rows
// (one sequence, logits for every row, as a speculative step runs it) at a
// given context length, against M = 1. The ratio cost(M)/cost(1) decides how
// many drafts pay for themselves: a draft that is accepted with probability p
// is worth proposing when p exceeds the marginal cost of its row.
//
// Usage: rmlx_spec_step_cost [MODEL_DIR] [--context N] [--rows M1,M2,...] [--reps R]
//                            [--threads T] [--int8]
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "rmlx/engine/model.h"
#include "rmlx/registry/registry.h"
#include "rmlx/snapshot/default_model.h"
#include "sequence_forward.h"

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const int v = std::atoi(item.c_str());
    if (v < 1 || v > 65) throw std::invalid_argument("--rows: '" + item + "' is not within 1..65");
    out.push_back(v);
  }
  if (out.empty()) throw std::invalid_argument("--rows: empty list");
  return out;
}

class Runner {
 public:
  Runner(rmlx::engine::Model& model, int capacity)
      : model_(model), sequence_(model, capacity, kBlockSize) {}

  // One forward pass of `m` rows starting at `start`, logits for every row.
  void forward(int start, int m) {
    const std::int64_t vocab = model_.info().vocab_size;
    tokens_.resize(static_cast<std::size_t>(m));
    for (int i = 0; i < m; ++i) {
      // Varied ids (a fixed stride through the vocabulary), never the same row twice.
      tokens_[static_cast<std::size_t>(i)] =
          static_cast<std::int32_t>((static_cast<std::int64_t>(start + i) * 7919 + 13) % vocab);
    }
    sequence_.run(tokens_, start);
  }

 private:
  static constexpr int kBlockSize = 16;
  rmlx::engine::Model& model_;
  rmlx::engine::SequenceForward sequence_;
  std::vector<std::int32_t> tokens_;
};

int run(int argc, char** argv) {
  rmlx::engine::EngineOptions o;
  o.threads = 1;
  int first = 1;
  if (argc > 1 && std::string(argv[1]).rfind("--", 0) != 0) {
    o.model_dir = argv[1];
    first = 2;
  } else {
    o.model_dir = rmlx::snapshot::default_model_dir();
  }
  int context = 512, reps = 15;
  std::vector<int> rows_list = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 16, 17};
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--int8") {  // int8 activations in quantized matmuls (--int8-activations)
      o.exact_activations = false;
      continue;
    }
    if (a == "--help") {
      std::cout << "usage: rmlx_spec_step_cost [MODEL_DIR] [--context N] [--rows 1,2,3] "
                   "[--reps R] [--threads T] [--int8]\n";
      return 0;
    }
    if (i + 1 >= argc) throw std::invalid_argument("'" + a + "' needs a value");
    const std::string v = argv[++i];
    if (a == "--context") {
      context = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--rows") {
      rows_list = parse_list(v);
    } else if (a == "--reps") {
      reps = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--threads") {
      o.threads = std::max(1, std::atoi(v.c_str()));
    } else {
      throw std::invalid_argument("unknown argument '" + a + "'");
    }
  }
  if (std::find(rows_list.begin(), rows_list.end(), 1) == rows_list.end())
    rows_list.insert(rows_list.begin(), 1);
  spdlog::set_level(spdlog::level::off);  // missing optional plugins are not our concern
  rmlx::registry::Registry registry;
  registry.scan({RMLX_PLUGIN_BUILD_DIR});
  rmlx::engine::Model model(o, registry);
  const int max_rows = *std::max_element(rows_list.begin(), rows_list.end());
  Runner runner(model, context + max_rows);
  for (int start = 0; start < context; start += 256)
    runner.forward(start, std::min(256, context - start));

  // Interleaved over M so that a change of machine load touches every M alike.
  std::vector<std::vector<double>> times(rows_list.size());
  for (int r = 0; r < reps + 1; ++r) {
    for (std::size_t j = 0; j < rows_list.size(); ++j) {
      const double t0 = cpu_seconds();
      runner.forward(context, rows_list[j]);
      const double t1 = cpu_seconds();
      if (r > 0) times[j].push_back(t1 - t0);  // the first round warms caches
    }
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double base = median(times[0]);
  std::printf(
      "%s: context %d, %d thread(s), %s activations, median of %d CPU-time samples "
      "per row count\n",
      model.info().id.c_str(), context, o.threads, o.exact_activations ? "float32" : "int8", reps);
  std::printf("| rows M | ms per pass | cost(M)/cost(1) | extra per row |\n|---|---|---|---|\n");
  for (std::size_t j = 0; j < rows_list.size(); ++j) {
    const double c = median(times[j]);
    const int m = rows_list[j];
    const double ratio = c / base;
    if (m == 1) {
      std::printf("| 1 | %.3f | 1.000 | - |\n", c * 1e3);
    } else {
      std::printf("| %d | %.3f | %.3f | %.3f |\n", m, c * 1e3, ratio, (ratio - 1.0) / (m - 1));
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "rmlx_spec_step_cost: " << e.what() << "\n";
    return 1;
  }
}
