#include "rmlx/gguf/import.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include "rmlx/gguf/tokenizer_files.h"
#include "rmlx/kernels/affine.h"
#include "rmlx/kernels/half.h"
#include "rmlx/snapshot/progress.h"
#include "rmlx/snapshot/safetensors_writer.h"
#include "rmlx/snapshot/snapshot_writer.h"

namespace rmlx::gguf {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using sdk::DType;
using snapshot::TensorSpec;

namespace {

enum class Kind { plain, lossless, requant };

struct Plan {
  const GgufTensor* src = nullptr;
  std::string hf;      // output name of the plain tensor / "<module>.weight"
  std::string module;  // for quantized kinds
  Kind kind = Kind::plain;
  int bits = 0, group = 0;
  DType scale_dtype = DType::f16;
  std::int64_t rows = 0, cols = 0, heads = 0;
};

bool is_linear_weight(const std::string& hf) {
  static const char* kModules[] = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                   "gate_proj", "up_proj", "down_proj"};
  if (hf == "model.embed_tokens.weight" || hf == "lm_head.weight") return true;
  for (const char* m : kModules) {
    const std::string suffix = std::string(".") + m + ".weight";
    if (hf.size() > suffix.size() &&
        hf.compare(hf.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
  }
  return false;
}

// Whether every bias of a Q4_0/Q8_0 tensor (-8d, -128d) fits float16.
bool biases_fit_f16(const GgufTensor& t) {
  if (t.ggml_type() == GgmlType::q4_1) return true;
  const auto traits = *type_traits(t.type);
  const float k = t.ggml_type() == GgmlType::q4_0 ? 8.0f : 128.0f;
  for (std::uint64_t b = 0; b < t.nbytes / traits.bytes; ++b) {
    const std::uint8_t* p = t.data + b * traits.bytes;
    const float d = kernels::f16_to_f32(static_cast<std::uint16_t>(p[0] | (p[1] << 8)));
    if (std::isfinite(d) && std::fabs(d) * k > 65504.0f) return false;
  }
  return true;
}

kernels::FloatType float_type(DType t) {
  return t == DType::f16    ? kernels::FloatType::f16
         : t == DType::bf16 ? kernels::FloatType::bf16
                            : kernels::FloatType::f32;
}

void store(DType t, const float* src, std::int64_t n, std::uint8_t* dst) {
  if (t == DType::f32) {
    std::memcpy(dst, src, static_cast<std::size_t>(n) * 4);
    return;
  }
  auto* out = reinterpret_cast<std::uint16_t*>(dst);
  for (std::int64_t i = 0; i < n; ++i) {
    out[i] = t == DType::f16 ? kernels::f32_to_f16(src[i]) : kernels::f32_to_bf16(src[i]);
  }
}

std::vector<Plan> make_plans(const GgufFile& f, const ModelHparams& hp, const ImportOptions& o) {
  std::vector<Plan> plans;
  for (const auto& t : f.tensors()) {
    if (t.name == "rope_freqs.weight") continue;  // read into config.json's rope_scaling
    auto hf = hf_tensor_name(t.name);
    if (!hf) {
      throw GgufError(f.path() + ": tensor '" + t.name + "': no Hugging Face name for it in a " +
                      hp.gguf_arch + " model");
    }
    auto traits = *type_traits(t.type);
    if (!traits.dequantizable) {
      throw GgufError(
          f.path() + ": tensor '" + t.name + "': ggml type " + traits.name +
          " is not supported (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K)");
    }
    Plan p;
    p.src = &t;
    p.hf = *hf;
    p.cols = static_cast<std::int64_t>(t.ne[0]);
    p.rows = static_cast<std::int64_t>(t.numel() / t.ne[0]);
    p.heads = permuted_heads(hp, p.hf);
    if (p.heads > 0 && (p.rows % p.heads != 0 || (p.rows / p.heads) % 2 != 0)) {
      throw GgufError(f.path() + ": tensor '" + t.name + "': " + std::to_string(p.rows) +
                      " rows do not split into " + std::to_string(p.heads) + " heads of even size");
    }
    const bool linear = t.ne.size() == 2 && is_linear_weight(p.hf);
    if (linear) p.module = p.hf.substr(0, p.hf.size() - 7);
    if (linear && !o.dequantize_all && has_affine_form(t.ggml_type())) {
      p.kind = Kind::lossless;
      p.bits = affine_bits(t.ggml_type());
      p.group = 32;
      p.scale_dtype = biases_fit_f16(t) ? DType::f16 : DType::f32;
    } else if (linear && o.q_bits > 0 && p.cols % o.q_group_size == 0) {
      p.kind = Kind::requant;
      p.bits = o.q_bits;
      p.group = o.q_group_size;
      p.scale_dtype = o.dtype;
    }
    plans.push_back(std::move(p));
  }
  return plans;
}

std::vector<TensorSpec> specs_of(const Plan& p, DType dtype) {
  if (p.kind == Kind::plain) return {{p.hf, dtype, p.src->shape()}};
  const std::vector<std::int64_t> packed = {p.rows, p.cols * p.bits / 32};
  const std::vector<std::int64_t> groups = {p.rows, p.cols / p.group};
  return {{p.module + ".weight", DType::u32, packed},
          {p.module + ".scales", p.scale_dtype, groups},
          {p.module + ".biases", p.scale_dtype, groups}};
}

// Converts rows [r0, r1) of one tensor and writes them.
void convert_rows(const Plan& p, DType dtype, std::int64_t r0, std::int64_t r1,
                  snapshot::ShardedWriter& w, std::vector<float>& fbuf,
                  std::vector<std::uint8_t>& obuf, std::vector<std::uint8_t>& qbuf,
                  std::vector<std::uint8_t>& sbuf, std::vector<std::uint8_t>& bbuf) {
  const auto traits = *type_traits(p.src->type);
  const std::int64_t row_bytes = p.cols / traits.block * traits.bytes;
  const std::int64_t n = r1 - r0;
  auto src_row = [&](std::int64_t r) {
    const std::int64_t s = p.heads > 0 ? gguf_row_of(r, p.rows, p.heads) : r;
    return p.src->data + s * row_bytes;
  };
  if (p.kind == Kind::plain) {
    const std::size_t esz = sdk::dtype_size(dtype);
    fbuf.resize(static_cast<std::size_t>(p.cols));
    obuf.resize(static_cast<std::size_t>(n * p.cols) * esz);
    for (std::int64_t r = r0; r < r1; ++r) {
      dequantize_row(p.src->ggml_type(), src_row(r), fbuf.data(), p.cols);
      store(dtype, fbuf.data(), p.cols, obuf.data() + (r - r0) * p.cols * esz);
    }
    w.write(p.hf, obuf.data(), obuf.size(), static_cast<std::uint64_t>(r0 * p.cols) * esz);
    return;
  }
  const std::int64_t words = p.cols * p.bits / 32;
  const std::int64_t groups = p.cols / p.group;
  const std::size_t ssz = sdk::dtype_size(p.scale_dtype);
  obuf.resize(static_cast<std::size_t>(n * words) * 4);
  sbuf.resize(static_cast<std::size_t>(n * groups) * ssz);
  bbuf.resize(static_cast<std::size_t>(n * groups) * ssz);
  auto* packed = reinterpret_cast<std::uint32_t*>(obuf.data());
  if (p.kind == Kind::lossless) {
    qbuf.resize(static_cast<std::size_t>(p.cols));
    std::vector<std::uint16_t> s16(static_cast<std::size_t>(groups)), b16(s16.size());
    std::vector<float> s32(s16.size()), b32(s16.size());
    for (std::int64_t r = r0; r < r1; ++r) {
      affine_row(p.src->ggml_type(), src_row(r), p.cols, qbuf.data(), s16.data(), b16.data(),
                 s32.data(), b32.data());
      kernels::affine::pack_row(qbuf.data(), p.cols, p.bits, packed + (r - r0) * words);
      const std::size_t at = static_cast<std::size_t>((r - r0) * groups) * ssz;
      const bool half = p.scale_dtype == DType::f16;
      std::memcpy(sbuf.data() + at, half ? static_cast<const void*>(s16.data()) : s32.data(),
                  static_cast<std::size_t>(groups) * ssz);
      std::memcpy(bbuf.data() + at, half ? static_cast<const void*>(b16.data()) : b32.data(),
                  static_cast<std::size_t>(groups) * ssz);
    }
  } else {
    fbuf.resize(static_cast<std::size_t>(n * p.cols));
    for (std::int64_t r = r0; r < r1; ++r) {
      dequantize_row(p.src->ggml_type(), src_row(r), fbuf.data() + (r - r0) * p.cols, p.cols);
    }
    if (dtype == DType::f32) {
      kernels::affine::quantize(fbuf.data(), n, p.cols, p.bits, p.group, packed,
                                reinterpret_cast<float*>(sbuf.data()),
                                reinterpret_cast<float*>(bbuf.data()));
    } else {
      std::vector<std::uint16_t> w16(fbuf.size());
      store(dtype, fbuf.data(), static_cast<std::int64_t>(fbuf.size()),
            reinterpret_cast<std::uint8_t*>(w16.data()));
      kernels::affine::quantize_16(float_type(dtype), w16.data(), n, p.cols, p.bits, p.group,
                                   packed, reinterpret_cast<std::uint16_t*>(sbuf.data()),
                                   reinterpret_cast<std::uint16_t*>(bbuf.data()));
    }
  }
  w.write(p.module + ".weight", obuf.data(), obuf.size(),
          static_cast<std::uint64_t>(r0 * words) * 4);
  w.write(p.module + ".scales", sbuf.data(), sbuf.size(),
          static_cast<std::uint64_t>(r0 * groups) * ssz);
  w.write(p.module + ".biases", bbuf.data(), bbuf.size(),
          static_cast<std::uint64_t>(r0 * groups) * ssz);
}

ordered_json quantization_block(const std::vector<Plan>& plans) {
  std::map<std::pair<int, int>, int> counts;
  for (const auto& p : plans) {
    if (p.kind != Kind::plain) ++counts[{p.bits, p.group}];
  }
  if (counts.empty()) return nullptr;
  auto best = std::max_element(counts.begin(), counts.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  const auto [bits, group] = best->first;
  ordered_json q = {{"group_size", group}, {"bits", bits}, {"mode", "affine"}};
  for (const auto& p : plans) {
    if (p.kind != Kind::plain && (p.bits != bits || p.group != group)) {
      q[p.module] = {{"group_size", p.group}, {"bits", p.bits}, {"mode", "affine"}};
    }
  }
  return q;
}

const char* torch_dtype(DType t) {
  return t == DType::f32 ? "float32" : t == DType::f16 ? "float16" : "bfloat16";
}

}  // namespace

ImportSummary import_gguf(const GgufFile& f, const ImportOptions& o) {
  if (o.dtype != DType::bf16 && o.dtype != DType::f16 && o.dtype != DType::f32) {
    throw GgufError("--dtype must be bf16, f16 or f32");
  }
  if (o.q_bits != 0) kernels::affine::check_shape(1, o.q_group_size, o.q_bits, o.q_group_size);
  const ModelHparams hp = read_hparams(f);
  const TokenizerFiles tok = build_tokenizer_files(f, hp.context);
  const std::vector<Plan> plans = make_plans(f, hp, o);

  ImportSummary s;
  std::vector<TensorSpec> specs;
  for (const auto& p : plans) {
    for (auto& t : specs_of(p, o.dtype)) specs.push_back(std::move(t));
    s.parameters += static_cast<std::uint64_t>(p.rows * p.cols);
    ++s.tensors_in;
    s.lossless_affine += p.kind == Kind::lossless;
    s.requantized += p.kind == Kind::requant;
    s.dequantized += p.kind != Kind::lossless;
  }
  fs::create_directories(o.out_dir);
  {
    snapshot::ShardedWriter writer(o.out_dir, specs, o.max_shard_bytes);
    snapshot::Progress progress("convert " + fs::path(f.path()).filename().string(),
                                writer.total_bytes());
    std::vector<float> fbuf;
    std::vector<std::uint8_t> obuf, qbuf, sbuf, bbuf;
    for (const auto& p : plans) {
      const std::int64_t chunk = std::max<std::int64_t>(1, (1 << 20) / p.cols);
      for (std::int64_t r0 = 0; r0 < p.rows; r0 += chunk) {
        const std::int64_t r1 = std::min(p.rows, r0 + chunk);
        convert_rows(p, o.dtype, r0, r1, writer, fbuf, obuf, qbuf, sbuf, bbuf);
      }
      std::uint64_t bytes = 0;
      for (const auto& t : specs_of(p, o.dtype)) bytes += t.nbytes();
      progress.add(bytes);
    }
    writer.finish(s.parameters);
    s.bytes_written = writer.total_bytes();
    s.shards = writer.shard_count();
    progress.finish();
  }

  ordered_json config = {{"architectures", {hp.hf_arch}},
                         {"model_type", hp.model_type},
                         {"hidden_size", hp.hidden},
                         {"intermediate_size", hp.intermediate},
                         {"num_hidden_layers", hp.layers},
                         {"num_attention_heads", hp.heads},
                         {"num_key_value_heads", hp.kv_heads},
                         {"head_dim", hp.head_dim},
                         {"hidden_act", "silu"},
                         {"max_position_embeddings", hp.context},
                         {"rms_norm_eps", hp.rms_eps},
                         {"rope_theta", hp.rope_theta}};
  if (!hp.rope_scaling.is_null()) config["rope_scaling"] = hp.rope_scaling;
  config["vocab_size"] = hp.vocab;
  config["tie_word_embeddings"] = hp.tied;
  config["attention_bias"] = hp.attention_bias || hp.gguf_arch == "qwen2";
  config["mlp_bias"] = false;
  if (tok.bos_id) config["bos_token_id"] = *tok.bos_id;
  if (tok.eos_ids.size() == 1) config["eos_token_id"] = tok.eos_ids[0];
  if (tok.eos_ids.size() > 1) config["eos_token_id"] = tok.eos_ids;
  config["torch_dtype"] = torch_dtype(o.dtype);
  if (auto q = quantization_block(plans); !q.is_null()) {
    config["quantization"] = q;
    config["quantization_config"] = q;
  }
  const fs::path out(o.out_dir);
  snapshot::write_json_file((out / "config.json").string(), config);
  snapshot::write_json_file((out / "tokenizer.json").string(), tok.tokenizer);
  snapshot::write_json_file((out / "tokenizer_config.json").string(), tok.tokenizer_config);
  ordered_json gen = ordered_json::object();
  if (tok.bos_id) gen["bos_token_id"] = *tok.bos_id;
  if (tok.eos_ids.size() == 1) gen["eos_token_id"] = tok.eos_ids[0];
  if (tok.eos_ids.size() > 1) gen["eos_token_id"] = tok.eos_ids;
  if (tok.pad_id) gen["pad_token_id"] = *tok.pad_id;
  snapshot::write_json_file((out / "generation_config.json").string(), gen);
  return s;
}

}  // namespace rmlx::gguf
