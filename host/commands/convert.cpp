// `rmlx-host convert --from-gguf FILE --out DIR`: imports a GGUF model into an
// MLX snapshot directory.
#include <fmt/format.h>

#include <iostream>

#include "cli_common.h"
#include "rmlx/gguf/import.h"
#include "rmlx/snapshot/error.h"
#include "rmlx/snapshot/progress.h"

namespace po = boost::program_options;

namespace rmlx::host {

const char* summary_convert() {
  return "import a GGUF model (llama, qwen2, qwen3) into an MLX snapshot";
}

int cmd_convert(CommandContext& ctx) {
  bool help = false, dequantize_all = false;
  std::string from, out, dtype = "bf16";
  int q_bits = 0, q_group = 64;
  po::options_description desc("convert options");
  add_common_options(desc, ctx.plugin_dirs, help);
  desc.add_options()("from-gguf", po::value(&from), "the GGUF file to import")(
      "out", po::value(&out), "the snapshot directory to write")(
      "q-bits", po::value(&q_bits),
      "re-quantize dequantized weights to MLX affine with this many bits (2,3,4,5,6,8)")(
      "q-group-size", po::value(&q_group)->default_value(64), "affine group size (32, 64, 128)")(
      "dtype", po::value(&dtype)->default_value("bf16"),
      "type of dequantized tensors: bf16, f16 or f32")(
      "dequantize", po::bool_switch(&dequantize_all),
      "store Q4_0/Q4_1/Q8_0 weights in --dtype too instead of as lossless affine");
  po::variables_map vm;
  if (!parse_command_line(ctx, desc, nullptr, vm)) return 2;
  if (help) {
    print_command_help(ctx, "--from-gguf FILE --out DIR [--q-bits B --q-group-size G] [--dtype T]",
                       desc);
    return 0;
  }
  if (from.empty() || out.empty()) {
    std::cerr << "rmlx-host convert: --from-gguf and --out are required\n";
    return 2;
  }
  gguf::ImportOptions o;
  o.out_dir = out;
  o.q_bits = q_bits;
  o.q_group_size = q_group;
  o.dequantize_all = dequantize_all;
  if (dtype == "bf16") {
    o.dtype = sdk::DType::bf16;
  } else if (dtype == "f16") {
    o.dtype = sdk::DType::f16;
  } else if (dtype == "f32") {
    o.dtype = sdk::DType::f32;
  } else {
    std::cerr << "rmlx-host convert: --dtype must be bf16, f16 or f32, not '" << dtype << "'\n";
    return 2;
  }
  try {
    auto file = gguf::GgufFile::open(from);
    auto s = gguf::import_gguf(file, o);
    std::cout << fmt::format(
        "{}: {} tensors ({} kept as lossless affine, {} dequantized, {} re-quantized), {} "
        "parameters, {} in {} file(s)\n",
        out, s.tensors_in, s.lossless_affine, s.dequantized - s.requantized, s.requantized,
        s.parameters, snapshot::human_bytes(s.bytes_written), s.shards);
  } catch (const std::exception& e) {
    std::cerr << "rmlx-host convert: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace rmlx::host
