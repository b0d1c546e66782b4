#include "rmlx/synth/synth.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "rmlx/kernels/affine.h"
#include "rmlx/kernels/half.h"
#include "rmlx/snapshot/progress.h"
#include "rmlx/snapshot/safetensors_writer.h"
#include "rmlx/snapshot/snapshot_writer.h"

namespace rmlx::synth {

namespace fs = std::filesystem;
using sdk::DType;
using snapshot::TensorSpec;

namespace {

struct Quant {
  int bits = 0;  // 0: bf16
  int group = 0;
};

Quant parse_quant(const std::string& q) {
  if (q == "bf16") return {};
  int bits = 0, group = 0;
  char tail = 0;
  if (std::sscanf(q.c_str(), "affine:%d:%d%c", &bits, &group, &tail) != 2) {
    throw std::invalid_argument("--quant must be bf16 or affine:BITS:GROUP, not '" + q + "'");
  }
  kernels::affine::check_shape(1, group, bits, group);
  return {bits, group};
}

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Approximately normal(0, sd) values: the sum of four 16-bit uniforms (Irwin-Hall),
// centred and scaled; cheap enough to fill billions of weights.
class Gaussian {
 public:
  Gaussian(std::uint64_t seed, const std::string& name, float sd) : state_(seed) {
    for (unsigned char c : name) state_ = (state_ ^ c) * 0x100000001b3ull;
    // Irwin-Hall(4) of U(0, 65536): mean 131070, sd 65536 / sqrt(3).
    scale_ = sd * std::sqrt(3.0f) / 65536.0f;
  }
  // The generator is a counter (splitmix adds a constant per draw), so a copy can
  // start `n` draws later and fill a slice of a tensor on its own thread.
  Gaussian skipped(std::uint64_t n) const {
    Gaussian g = *this;
    g.state_ += n * 0x9e3779b97f4a7c15ull;
    return g;
  }
  float next() {
    const std::uint64_t r = splitmix(state_);
    const float sum =
        static_cast<float>((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) + (r >> 48));
    return (sum - 131070.0f) * scale_;
  }

 private:
  std::uint64_t state_;
  float scale_;
};

struct Tensor {
  std::string name;                 // of the float tensor ("...q_proj.weight")
  std::int64_t rows = 0, cols = 0;  // cols = 0: a 1-D tensor of `rows` values
  bool ones = false;                // norms
  bool quantize = false;
};

std::vector<Tensor> model_tensors(const nlohmann::ordered_json& c, const Quant& q) {
  const auto h = c["hidden_size"].get<std::int64_t>();
  const auto inter = c["intermediate_size"].get<std::int64_t>();
  const auto layers = c["num_hidden_layers"].get<std::int64_t>();
  const auto heads = c["num_attention_heads"].get<std::int64_t>();
  const auto kv = c["num_key_value_heads"].get<std::int64_t>();
  const auto hd = c["head_dim"].get<std::int64_t>();
  const auto vocab = c["vocab_size"].get<std::int64_t>();
  const bool qk_norm = c["model_type"] == "qwen3";
  auto linear = [&](std::string name, std::int64_t out, std::int64_t in) {
    return Tensor{std::move(name), out, in, false, q.bits > 0 && in % q.group == 0};
  };
  std::vector<Tensor> t;
  t.push_back(linear("model.embed_tokens.weight", vocab, h));
  for (std::int64_t l = 0; l < layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    t.push_back({p + "input_layernorm.weight", h, 0, true, false});
    t.push_back(linear(p + "self_attn.q_proj.weight", heads * hd, h));
    t.push_back(linear(p + "self_attn.k_proj.weight", kv * hd, h));
    t.push_back(linear(p + "self_attn.v_proj.weight", kv * hd, h));
    t.push_back(linear(p + "self_attn.o_proj.weight", h, heads * hd));
    if (qk_norm) {
      t.push_back({p + "self_attn.q_norm.weight", hd, 0, true, false});
      t.push_back({p + "self_attn.k_norm.weight", hd, 0, true, false});
    }
    t.push_back({p + "post_attention_layernorm.weight", h, 0, true, false});
    t.push_back(linear(p + "mlp.gate_proj.weight", inter, h));
    t.push_back(linear(p + "mlp.up_proj.weight", inter, h));
    t.push_back(linear(p + "mlp.down_proj.weight", h, inter));
  }
  t.push_back({"model.norm.weight", h, 0, true, false});
  if (!c["tie_word_embeddings"].get<bool>()) t.push_back(linear("lm_head.weight", vocab, h));
  return t;
}

std::vector<TensorSpec> specs_of(const Tensor& t, const Quant& q) {
  if (!t.quantize) {
    if (t.cols == 0) return {{t.name, DType::bf16, {t.rows}}};
    return {{t.name, DType::bf16, {t.rows, t.cols}}};
  }
  const std::string m = t.name.substr(0, t.name.size() - 7);
  return {{m + ".weight", DType::u32, {t.rows, t.cols * q.bits / 32}},
          {m + ".scales", DType::bf16, {t.rows, t.cols / q.group}},
          {m + ".biases", DType::bf16, {t.rows, t.cols / q.group}}};
}

void write_tensor(const Tensor& t, const Quant& q, std::uint64_t seed, snapshot::ShardedWriter& w,
                  snapshot::Progress& progress) {
  const std::uint16_t one = kernels::f32_to_bf16(1.0f);
  if (t.ones) {
    std::vector<std::uint16_t> v(static_cast<std::size_t>(t.rows), one);
    w.write(t.name, v.data(), v.size() * 2);
    progress.add(v.size() * 2);
    return;
  }
  Gaussian g(seed, t.name, 0.02f);
  const std::int64_t chunk = std::max<std::int64_t>(1, (1 << 24) / t.cols);
  std::vector<std::uint16_t> vals;
  std::vector<std::uint32_t> packed;
  std::vector<std::uint16_t> scales, biases;
  const std::string m = t.name.substr(0, t.name.size() - 7);
  // Values and codes of a chunk are made on every core (the 8B shapes hold billions
  // of weights), each thread its own rows, the same bytes as one thread would write.
  const int threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 32u));
  const std::int64_t words = t.quantize ? t.cols * q.bits / 32 : 0;
  const std::int64_t groups = t.quantize ? t.cols / q.group : 0;
  const auto fill = [&](std::int64_t r0, std::int64_t n) {
    const std::int64_t per = (n + threads - 1) / threads;
    std::vector<std::jthread> pool;
    for (std::int64_t a = 0; a < n; a += per) {
      const std::int64_t b = std::min(n, a + per);
      pool.emplace_back([&, a, b] {
        Gaussian ga = g.skipped(static_cast<std::uint64_t>((r0 + a) * t.cols));
        for (std::int64_t i = a * t.cols; i < b * t.cols; ++i) {
          vals[static_cast<std::size_t>(i)] = kernels::f32_to_bf16(ga.next());
        }
        if (t.quantize) {
          kernels::affine::quantize_16(kernels::FloatType::bf16, vals.data() + a * t.cols, b - a,
                                       t.cols, q.bits, q.group, packed.data() + a * words,
                                       scales.data() + a * groups, biases.data() + a * groups);
        }
      });
    }
  };
  for (std::int64_t r0 = 0; r0 < t.rows; r0 += chunk) {
    const std::int64_t n = std::min(chunk, t.rows - r0);
    vals.resize(static_cast<std::size_t>(n * t.cols));
    if (t.quantize) {
      packed.resize(static_cast<std::size_t>(n * words));
      scales.resize(static_cast<std::size_t>(n * groups));
      biases.resize(scales.size());
    }
    fill(r0, n);
    if (!t.quantize) {
      w.write(t.name, vals.data(), vals.size() * 2, static_cast<std::uint64_t>(r0 * t.cols) * 2);
      progress.add(vals.size() * 2);
      continue;
    }
    w.write(m + ".weight", packed.data(), packed.size() * 4,
            static_cast<std::uint64_t>(r0 * words) * 4);
    w.write(m + ".scales", scales.data(), scales.size() * 2,
            static_cast<std::uint64_t>(r0 * groups) * 2);
    w.write(m + ".biases", biases.data(), biases.size() * 2,
            static_cast<std::uint64_t>(r0 * groups) * 2);
    progress.add(packed.size() * 4 + scales.size() * 4);
  }
}

bool copy_tokenizer(const std::string& from, const fs::path& to) {
  bool any = false;
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                           "chat_template.jinja"}) {
    const fs::path src = fs::path(from) / name;
    std::error_code ec;
    if (!fs::is_regular_file(src, ec)) continue;
    fs::copy_file(src, to / name, fs::copy_options::overwrite_existing);
    any = any || std::string(name) == "tokenizer.json";
  }
  return any;
}

}  // namespace

SynthSummary synthesize(const SynthOptions& o) {
  const ModelShape& shape = shape_named(o.like);
  const Quant q = parse_quant(o.quant);
  auto config = shape.config;
  if (o.layers < 0) throw std::invalid_argument("--layers must be >= 0");
  if (o.layers > 0) config["num_hidden_layers"] = o.layers;
  if (o.vocab < 0) throw std::invalid_argument("--vocab must be >= 0");
  if (o.vocab > 0) {
    config["vocab_size"] = o.vocab;
    // Special token ids beyond the cut vocabulary would name no embedding row.
    for (const char* key : {"bos_token_id", "eos_token_id"}) {
      auto& v = config[key];
      if (v.is_number() && v.get<std::int64_t>() >= o.vocab) v = 1;
      if (v.is_array()) {
        nlohmann::ordered_json kept = nlohmann::ordered_json::array();
        for (const auto& id : v)
          if (id.get<std::int64_t>() < o.vocab) kept.push_back(id);
        v = kept.empty() ? nlohmann::ordered_json::array({1}) : kept;
      }
    }
  }
  if (q.bits > 0) {
    nlohmann::ordered_json block = {{"group_size", q.group}, {"bits", q.bits}, {"mode", "affine"}};
    config["quantization"] = block;
    config["quantization_config"] = block;
  }
  const auto tensors = model_tensors(config, q);
  std::vector<TensorSpec> specs;
  SynthSummary s;
  for (const auto& t : tensors) {
    for (auto& spec : specs_of(t, q)) specs.push_back(std::move(spec));
    s.parameters += static_cast<std::uint64_t>(t.rows * std::max<std::int64_t>(t.cols, 1));
  }
  s.tensors = specs.size();
  fs::create_directories(o.out_dir);
  if (!o.tokenizer_dir.empty()) {
    std::error_code ec;
    if (!fs::is_directory(o.tokenizer_dir, ec)) {
      throw std::invalid_argument("--tokenizer: '" + o.tokenizer_dir + "' is not a directory");
    }
    s.tokenizer_copied = copy_tokenizer(o.tokenizer_dir, o.out_dir);
  }
  {
    snapshot::ShardedWriter writer(o.out_dir, specs, o.max_shard_bytes);
    snapshot::Progress progress("synth " + o.like, writer.total_bytes());
    for (const auto& t : tensors) write_tensor(t, q, o.seed, writer, progress);
    writer.finish(s.parameters);
    s.bytes = writer.total_bytes();
    s.shards = writer.shard_count();
    progress.finish();
  }
  snapshot::write_json_file((fs::path(o.out_dir) / "config.json").string(), config);
  nlohmann::ordered_json gen = {{"bos_token_id", config["bos_token_id"]},
                                {"eos_token_id", config["eos_token_id"]}};
  snapshot::write_json_file((fs::path(o.out_dir) / "generation_config.json").string(), gen);
  return s;
}

}  // namespace rmlx::synth
