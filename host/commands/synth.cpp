// `rmlx-host synth --like NAME --quant Q --out DIR`: a snapshot with a real
// model's shape and seeded random weights, for tests and benchmarks.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "cli_common.h"
#include "rmlx/snapshot/default_model.h"
#include "rmlx/snapshot/progress.h"
#include "rmlx/synth/synth.h"

namespace po = boost::program_options;

namespace rmlx::host {

const char* summary_synth() {
  return "write a synthetic snapshot shaped like a real model (seeded random weights)";
}

int cmd_synth(CommandContext& ctx) {
  bool help = false;
  synth::SynthOptions o;
  std::string known;
  for (const auto& s : synth::known_shapes()) known += (known.empty() ? "" : ", ") + s.name;
  po::options_description desc("synth options");
  add_common_options(desc, ctx.plugin_dirs, help);
  desc.add_options()("like", po::value(&o.like),
                     ("the model whose shape to copy: " + known).c_str())(
      "quant", po::value(&o.quant)->default_value("bf16"), "bf16 or affine:BITS:GROUP")(
      "out", po::value(&o.out_dir), "the snapshot directory to write")(
      "seed", po::value(&o.seed)->default_value(0), "random seed")(
      "layers", po::value(&o.layers)->default_value(0), "number of layers (0: as the real model)")(
      "vocab", po::value(&o.vocab)->default_value(0), "vocabulary rows (0: as the real model)")(
      "tokenizer", po::value(&o.tokenizer_dir),
      "directory whose tokenizer files are copied in (default: the default model's)");
  po::variables_map vm;
  if (!parse_command_line(ctx, desc, nullptr, vm)) return 2;
  if (help) {
    print_command_help(
        ctx, "--like NAME --quant affine:BITS:GROUP|bf16 --out DIR [--seed S] [--layers N]", desc);
    return 0;
  }
  if (o.like.empty() || o.out_dir.empty()) {
    std::cerr << "rmlx-host synth: --like and --out are required\n";
    return 2;
  }
  if (o.tokenizer_dir.empty()) {
    const auto dflt = snapshot::default_model_dir();
    std::error_code ec;
    if (std::filesystem::is_directory(dflt, ec)) {
      o.tokenizer_dir = dflt;
    } else {
      std::cerr << "rmlx-host synth: no tokenizer copied (" << dflt
                << " is missing: run scripts/prepare-default-model.sh or pass --tokenizer DIR)\n";
    }
  }
  try {
    auto s = synth::synthesize(o);
    std::cout << fmt::format("{}: {} shaped, {} parameters, {} tensors, {} in {} file(s){}\n",
                             o.out_dir, o.like, s.parameters, s.tensors,
                             snapshot::human_bytes(s.bytes), s.shards,
                             s.tokenizer_copied ? ", tokenizer copied" : "");
  } catch (const std::exception& e) {
    std::cerr << "rmlx-host synth: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace rmlx::host
