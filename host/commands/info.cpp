// `rmlx-host info --model DIR`: what a snapshot holds and what serving it costs.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "engine_cli.h"
#include "rmlx/snapshot/model_info.h"
#include "rmlx/snapshot/progress.h"

namespace po = boost::program_options;

namespace rmlx::host {

const char* summary_info() {
  return "describe a model snapshot: size, quantization, memory, tokenizer, plugins";
}

namespace {

std::string provider_name(const registry::Registry& reg, sdk::ComponentKind kind,
                          const std::string& name) {
  const auto* p = reg.provider(kind, name);
  return p != nullptr ? p->manifest.name : "";
}

// KV bytes per token over all layers with the codecs of `spec` ("K" or "K:V").
std::uint64_t codec_bytes_per_token(registry::Registry& reg, const std::string& spec,
                                    const snapshot::ModelInfo& info) {
  const auto colon = spec.find(':');
  const std::string k = spec.substr(0, colon);
  const std::string v = colon == std::string::npos ? k : spec.substr(colon + 1);
  if (k.empty() || v.empty() || v.find(':') != std::string::npos) {
    throw std::invalid_argument("expected a codec name or K:V");
  }
  const auto kc = reg.create<sdk::KvCodec>(k);
  const auto vc = reg.create<sdk::KvCodec>(v);
  const auto hd = static_cast<int>(info.head_dim);
  return static_cast<std::uint64_t>(info.layers * info.kv_heads) *
         (kc->bytes_per_head_token(hd) + vc->bytes_per_head_token(hd));
}

}  // namespace

int cmd_info(CommandContext& ctx) {
  bool help = false, json = false;
  std::string model;
  std::int64_t context = 0, batch = 1;
  std::string kv_codec = "f16", kv_memory_text = "0";
  po::options_description desc("info options");
  add_common_options(desc, ctx.plugin_dirs, help);
  desc.add_options()("model", po::value(&model), "the snapshot directory")(
      "json", po::bool_switch(&json), "print JSON")(
      "context", po::value(&context),
      "tokens of KV cache per sequence (default: the model's maximum)")(
      "batch", po::value(&batch)->default_value(1), "sequences held at once")(
      "kv-codec", po::value(&kv_codec)->default_value("f16"),
      "KV cache encoding to size, K[:V] (a kv_codec plugin name)")(
      "kv-memory", po::value(&kv_memory_text)->default_value("0"),
      "KV cache budget, e.g. 2G: reports the context that fits");
  po::positional_options_description pos;
  pos.add("model", 1);
  po::variables_map vm;
  if (!parse_command_line(ctx, desc, &pos, vm)) return 2;
  if (help) {
    print_command_help(ctx, "--model DIR [--json] [--context N] [--batch B]", desc);
    return 0;
  }
  if (model.empty()) {
    std::cerr << "rmlx-host info: --model is required\n";
    return 2;
  }
  if (context < 0 || batch < 1) {
    std::cerr << "rmlx-host info: --context must be >= 0 and --batch >= 1\n";
    return 2;
  }
  const std::int64_t kv_memory = parse_size(kv_memory_text);
  if (kv_memory < 0) {
    std::cerr << "rmlx-host info: --kv-memory: expected a size like 2G or 512M, got '"
              << kv_memory_text << "'\n";
    return 2;
  }
  snapshot::ModelInfo info;
  try {
    auto snap = snapshot::Snapshot::open(model);
    info = snapshot::describe_model(*snap);
  } catch (const std::exception& e) {
    std::cerr << "rmlx-host info: " << e.what() << "\n";
    return 1;
  }
  if (context == 0) context = info.max_context;
  auto reg = open_registry(ctx.plugin_dirs);
  std::uint64_t kv_per_token = 0;
  try {
    kv_per_token = codec_bytes_per_token(*reg, kv_codec, info);
  } catch (const std::exception& e) {
    std::cerr << "rmlx-host info: --kv-codec '" << kv_codec << "': " << e.what() << "\n";
    return 2;
  }
  const std::uint64_t kv =
      kv_per_token * static_cast<std::uint64_t>(context) * static_cast<std::uint64_t>(batch);
  // Tokens the budget holds, in whole 16-token blocks as the engine allocates them.
  const std::uint64_t fits = kv_memory > 0 && kv_per_token > 0
                                 ? static_cast<std::uint64_t>(kv_memory) / (kv_per_token * 16) * 16
                                 : 0;
  const std::string arch_plugin =
      provider_name(*reg, sdk::ComponentKind::architecture, info.architecture);
  nlohmann::json formats = nlohmann::json::object();
  for (const auto& mode : info.quant_modes) {
    const auto p = provider_name(*reg, sdk::ComponentKind::weight_format, mode);
    formats[mode] = p.empty() ? nlohmann::json(nullptr) : nlohmann::json(p);
  }

  if (json) {
    nlohmann::json quant = nlohmann::json::array();
    for (const auto& q : info.quantization) {
      quant.push_back({{"modules", q.modules}, {"quantization", q.description}});
    }
    nlohmann::json out = {{"model", model},
                          {"architecture", info.architecture},
                          {"model_type", info.model_type},
                          {"parameters", info.parameters},
                          {"layers", info.layers},
                          {"quantization", quant},
                          {"bytes_on_disk", info.disk_bytes},
                          {"weight_bytes", info.weight_bytes},
                          {"memory",
                           {{"context", context},
                            {"batch", batch},
                            {"kv_codec", kv_codec},
                            {"kv_bytes_per_token", kv_per_token},
                            {"kv_bytes", kv},
                            {"kv_memory", kv_memory},
                            {"kv_memory_tokens", fits},
                            {"kv_memory_context_per_seq", fits / static_cast<std::uint64_t>(batch)},
                            {"total_bytes", info.weight_bytes + kv}}},
                          {"tokenizer", info.tokenizer_type},
                          {"chat_template", info.chat_template},
                          {"eos_token_ids", info.eos_ids},
                          {"eos_tokens", info.eos_tokens},
                          {"plugins",
                           {{"architecture", arch_plugin.empty() ? nlohmann::json(nullptr)
                                                                 : nlohmann::json(arch_plugin)},
                            {"weight_formats", formats}}}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  using snapshot::human_bytes;
  std::cout << fmt::format("model:          {}\n", model);
  std::cout << fmt::format("architecture:   {} ({}), {} layers\n", info.architecture,
                           info.model_type, info.layers);
  std::cout << fmt::format("parameters:     {} ({:.1f} M)\n", info.parameters,
                           static_cast<double>(info.parameters) / 1e6);
  if (info.quantization.empty()) {
    std::cout << "quantization:   none\n";
  } else {
    std::cout << "quantization:\n";
    for (const auto& q : info.quantization) {
      std::cout << fmt::format("  {:<20} {}\n", q.modules, q.description);
    }
  }
  std::cout << fmt::format("on disk:        {} ({} of weights)\n", human_bytes(info.disk_bytes),
                           human_bytes(info.weight_bytes));
  std::cout << fmt::format(
      "memory:         {} = weights {} + KV {} ({}, {} tokens x {} seq, {}/token)\n",
      human_bytes(info.weight_bytes + kv), human_bytes(info.weight_bytes), human_bytes(kv),
      kv_codec, context, batch, human_bytes(kv_per_token));
  std::cout << fmt::format(
      "kv per token:   {} bytes ({}; f16: {} bytes, {:.3f}x)\n", kv_per_token, kv_codec,
      info.kv_bytes_per_token(),
      static_cast<double>(kv_per_token) /
          static_cast<double>(std::max<std::uint64_t>(1, info.kv_bytes_per_token())));
  if (kv_memory > 0) {
    std::cout << fmt::format("kv memory:      {} holds {} tokens ({} per sequence x {})\n",
                             human_bytes(static_cast<std::uint64_t>(kv_memory)), fits,
                             fits / static_cast<std::uint64_t>(batch), batch);
  }
  std::cout << fmt::format("tokenizer:      {}\n",
                           info.tokenizer_type.empty() ? "(none)" : info.tokenizer_type);
  std::cout << fmt::format("chat template:  {}\n", info.chat_template ? "yes" : "no");
  std::string eos;
  for (std::size_t i = 0; i < info.eos_ids.size(); ++i) {
    if (i) eos += ", ";
    eos += std::to_string(info.eos_ids[i]);
    if (i < info.eos_tokens.size() && !info.eos_tokens[i].empty()) eos += " " + info.eos_tokens[i];
  }
  std::cout << fmt::format("eos tokens:     {}\n", eos.empty() ? "(none)" : eos);
  std::cout << fmt::format("plugins:        architecture {} -> {}\n", info.architecture,
                           arch_plugin.empty() ? "NOT INSTALLED" : arch_plugin);
  for (const auto& [mode, plugin] : formats.items()) {
    const auto p = plugin.is_string() ? plugin.get<std::string>() : std::string();
    std::cout << fmt::format("                weight format {} -> {}\n", mode,
                             p.empty() ? "NOT INSTALLED" : p);
  }
  return 0;
}

}  // namespace rmlx::host
