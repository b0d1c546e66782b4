#include "engine_cli.h"

#include <filesystem>
#include <stdexcept>

#include "rmlx/snapshot/default_model.h"

namespace po = boost::program_options;

namespace rmlx::host {

std::int64_t parse_size(const std::string& s) {
  if (s.empty()) return -1;
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    return -1;
  }
  const std::string unit = s.substr(used);
  double mult = 1;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "K" || unit == "k" || unit == "KiB") {
    mult = 1024.0;
  } else if (unit == "M" || unit == "MiB") {
    mult = 1024.0 * 1024;
  } else if (unit == "G" || unit == "GiB") {
    mult = 1024.0 * 1024 * 1024;
  } else {
    return -1;
  }
  if (!(v >= 0) || v * mult > 9.0e18) return -1;
  return static_cast<std::int64_t>(v * mult);
}

void add_engine_options(po::options_description& desc, engine::EngineOptions& o) {
  desc.add_options()("backend", po::value(&o.backend)->default_value(o.backend),
                     "compute backend (cpu, cuda)")(
      "device", po::value<std::string>()->notifier([&o](const std::string& v) { o.backend = v; }),
      "cpu, or cuda[:N] for GPU N (the same as --backend)")(
      "threads,t", po::value(&o.threads)->default_value(0),
      "CPU threads (0: one per physical core)")(
      "max-model-len", po::value(&o.max_model_len)->default_value(0),
      "context length in tokens (0: the model's, at most 8192)")(
      "max-batch", po::value(&o.max_batch)->default_value(16),
      "sequences decoded together at most")("kv-codec",
                                            po::value(&o.kv_codec)->default_value("f16"),
                                            "KV cache encoding, K[:V] (a kv_codec plugin name)")(
      "kv-memory",
      po::value<std::string>()->default_value("0")->notifier([&o](const std::string& v) {
        o.kv_memory_bytes = parse_size(v);
        if (o.kv_memory_bytes < 0) {
          throw po::error("--kv-memory: expected a size like 2G or 512M, got '" + v + "'");
        }
      }),
      "KV cache size, e.g. 2G (0: sized from --max-model-len and --max-batch)")(
      "block-size", po::value(&o.block_size)->default_value(o.block_size),
      "tokens per KV cache block")("prefill-chunk", po::value(&o.prefill_chunk)->default_value(512),
                                   "prompt tokens per sequence per step")(
      "int8-activations", po::bool_switch()->notifier([&o](bool v) { o.exact_activations = !v; }),
      "quantize activations to int8 in quantized matmuls (faster; logits differ slightly from "
      "MLX)")(
      "drafter", po::value(&o.drafter),
      "speculative decoding: a drafter plugin, e.g. ngram or layerskip:L (the first L layers "
      "draft); default: none")("draft-tokens", po::value(&o.draft_tokens)->default_value(4),
                               "tokens the drafter proposes per step (1..64)")(
      "no-mmap", po::bool_switch(&o.no_mmap),
      "read the weight files into memory on 2 MiB pages instead of mapping them: the "
      "process holds the weights' size in anonymous memory, which the kernel can swap out but "
      "not drop (a mapping's pages can be dropped and read again), and loading waits for one "
      "full read of the files; the CPU backend then streams the weights 1-2% faster (fewer "
      "page walks)");
}

void add_engine_options(po::options_description& desc, engine::EngineOptions& o,
                        std::string& model) {
  desc.add_options()("model,m", po::value(&model),
                     "model snapshot folder (default: the prepared default model)");
  add_engine_options(desc, o);
}

void add_sampling_options(po::options_description& desc, SamplingFlags& f) {
  auto& p = f.params;
  desc.add_options()("max-tokens,n", po::value(&f.max_tokens)->default_value(256),
                     "tokens to generate at most")(
      "temperature", po::value(&p.temperature)->default_value(0.0f, "0"), "0: greedy")(
      "top-k", po::value(&p.top_k)->default_value(0), "keep the k most likely tokens (0: off)")(
      "top-p", po::value(&p.top_p)->default_value(1.0f, "1"), "nucleus sampling (1: off)")(
      "min-p", po::value(&p.min_p)->default_value(0.0f, "0"),
      "drop tokens below min-p times the top probability (0: off)")(
      "repetition-penalty", po::value(&p.repetition_penalty)->default_value(1.0f, "1"),
      "penalise tokens seen in the prompt and output (1: off)")(
      "presence-penalty", po::value(&p.presence_penalty)->default_value(0.0f, "0"),
      "OpenAI presence penalty")("frequency-penalty",
                                 po::value(&p.frequency_penalty)->default_value(0.0f, "0"),
                                 "OpenAI frequency penalty")(
      "seed", po::value(&f.seed)->default_value(-1), "sampling seed (-1: random)")(
      "stop", po::value(&f.stop)->composing(), "stop string (repeatable)");
}

void finish_sampling_flags(SamplingFlags& f) {
  if (f.seed >= 0) f.params.seed = static_cast<std::uint64_t>(f.seed);
}

std::string resolve_model_dir(const std::string& model, bool need_weights) {
  if (!model.empty()) {
    if (!std::filesystem::is_directory(model)) {
      throw std::runtime_error("--model " + model + ": not a directory");
    }
    return model;
  }
  const std::string dir = snapshot::default_model_dir();
  const char* marker = need_weights ? "config.json" : "tokenizer.json";
  if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / marker)) {
    throw std::runtime_error("no --model given and the default model is not prepared at " + dir +
                             " (run scripts/setup.sh, or pass --model DIR)");
  }
  return dir;
}

}  // namespace rmlx::host
