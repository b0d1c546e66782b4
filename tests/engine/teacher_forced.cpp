// Teacher-forced logits: runs a snapshot over a fixed token sequence (prefill
// in chunks through the paged KV cache, as the engine does) and writes the
// logits of every position as raw little-endian f32 [n_tokens, vocab].
//
// Usage: rmlx_teacher_forced MODEL_DIR IDS OUT.f32 [--threads N] [--int8] [--chunk N]
//                            [--backend NAME]
//   IDS: comma-separated token ids. Plugins come from the build tree, then the usual search
//   path ($RMLX_PLUGIN_PATH, the install's folder), so a copied build finds them too.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "rmlx/engine/model.h"
#include "rmlx/registry/registry.h"
#include "rmlx/registry/search_path.h"
#include "sequence_forward.h"

namespace {

std::vector<std::int32_t> parse_ids(const std::string& text) {
  std::vector<std::int32_t> ids;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    const long v = std::stol(item, &used);
    if (used != item.size() || v < 0)
      throw std::invalid_argument("IDS: bad token id '" + item + "'");
    ids.push_back(static_cast<std::int32_t>(v));
  }
  if (ids.empty()) throw std::invalid_argument("IDS: no token ids");
  return ids;
}

int run(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: rmlx_teacher_forced MODEL_DIR IDS OUT.f32 [--threads N] [--int8] "
                 "[--chunk N] [--backend NAME]\n";
    return 2;
  }
  rmlx::engine::EngineOptions o;
  o.model_dir = argv[1];
  const auto ids = parse_ids(argv[2]);
  const std::string out_path = argv[3];
  int chunk = 512;
  for (int i = 4; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      o.threads = std::atoi(argv[++i]);
    } else if (a == "--chunk" && i + 1 < argc) {
      chunk = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--backend" && i + 1 < argc) {
      o.backend = argv[++i];
    } else if (a == "--int8") {
      o.exact_activations = false;
    } else {
      throw std::invalid_argument("unknown argument '" + a + "'");
    }
  }
  spdlog::set_level(spdlog::level::off);  // missing optional plugins are not our concern
  rmlx::registry::Registry registry;
  auto dirs = rmlx::registry::plugin_search_dirs({RMLX_PLUGIN_BUILD_DIR});
  registry.scan(dirs);
  rmlx::engine::Model model(o, registry);
  const int n = static_cast<int>(ids.size());
  rmlx::engine::SequenceForward sequence(model, n, o.block_size);

  std::ofstream out(out_path, std::ios::binary);
  if (!out) throw std::runtime_error(out_path + ": cannot open for writing");
  for (int start = 0; start < n; start += chunk) {
    const int m = std::min(chunk, n - start);
    const auto& logits =
        sequence.run(std::span<const std::int32_t>(ids).subspan(static_cast<std::size_t>(start),
                                                                static_cast<std::size_t>(m)),
                     start);
    out.write(reinterpret_cast<const char*>(logits.data()),
              static_cast<std::streamsize>(logits.size() * sizeof(float)));
  }
  if (!out) throw std::runtime_error(out_path + ": write failed");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "rmlx_teacher_forced: " << e.what() << "\n";
    return 1;
  }
}
