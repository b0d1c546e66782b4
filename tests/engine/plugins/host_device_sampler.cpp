// A CPU backend with a DeviceSampler that does on the host what a GPU backend does on its
// device (greedy rows, logit edits, grammar masks, logprobs), so the engine's device-sampling
// path runs where there is no GPU. Each step it takes is a line of the file named by
// $RMLX_TEST_DEVICE_LOG ("greedy", "sampled" or "extras"), for the test to count.
#include <rmlx/sdk/plugin.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu_ops.h"
#include "rmlx/sampling/sampler.h"

namespace {

namespace sdk = rmlx::sdk;
namespace sampling = rmlx::sampling;

class HostDeviceOps final : public rmlx::backend_cpu::CpuOps, public sdk::DeviceSampler {
 public:
  explicit HostDeviceOps(int threads) : CpuOps(threads) {
    if (const char* log = std::getenv("RMLX_TEST_DEVICE_LOG")) log_.open(log, std::ios::app);
  }

  void* native(std::string_view key) override {
    if (key == sdk::kDeviceSamplerKey) return static_cast<sdk::DeviceSampler*>(this);
    return CpuOps::native(key);
  }

  void run_forward_greedy(const sdk::ForwardBatch& batch, std::int64_t vocab,
                          std::span<std::int32_t> tokens,
                          const std::function<void(sdk::Tensor& logits)>& forward) override {
    note("greedy");
    std::vector<Row> rows(tokens.size());
    for (auto& r : rows) r.temperature = 0.0f;
    step(batch, vocab, rows, StepExtras{}, tokens, forward);
  }
  void run_forward_sample(const sdk::ForwardBatch& batch, std::int64_t vocab,
                          std::span<const Row> rows, std::span<std::int32_t> tokens,
                          const std::function<void(sdk::Tensor& logits)>& forward) override {
    note("sampled");
    step(batch, vocab, rows, StepExtras{}, tokens, forward);
  }
  bool applies_logit_edits() const override { return true; }
  void run_forward_sample_edited(const sdk::ForwardBatch& batch, std::int64_t vocab,
                                 std::span<const Row> rows, std::span<const LogitEdit> edits,
                                 std::span<std::int32_t> tokens,
                                 const std::function<void(sdk::Tensor& logits)>& forward) override {
    note("sampled");
    StepExtras extras;
    extras.edits = edits;
    step(batch, vocab, rows, extras, tokens, forward);
  }
  bool applies_step_extras() const override { return true; }
  void run_forward_sample_extras(const sdk::ForwardBatch& batch, std::int64_t vocab,
                                 std::span<const Row> rows, const StepExtras& extras,
                                 std::span<std::int32_t> tokens,
                                 const std::function<void(sdk::Tensor& logits)>& forward) override {
    note("extras");
    step(batch, vocab, rows, extras, tokens, forward);
  }

 private:
  void step(const sdk::ForwardBatch& batch, std::int64_t vocab, std::span<const Row> rows,
            const StepExtras& extras, std::span<std::int32_t> tokens,
            const std::function<void(sdk::Tensor& logits)>& forward) {
    const auto n = tokens.size();
    if (rows.size() != n || batch.logit_rows.size() != n) {
      throw std::invalid_argument("test-device: rows, tokens and logits rows differ");
    }
    const auto v = static_cast<std::size_t>(vocab);
    logits_.assign(n * v, 0.0f);
    sdk::Tensor t;
    t.dtype = sdk::DType::f32;
    t.shape = {static_cast<std::int64_t>(n), vocab};
    t.data = logits_.data();
    forward(t);
    for (const LogitEdit& e : extras.edits) {
      const sampling::LogitEdit one{e.token, e.bias, e.repetition, e.subtract, e.flags};
      sampling::apply_logit_edits(
          std::span(logits_.data() + static_cast<std::size_t>(e.row) * v, v), std::span(&one, 1));
    }
    std::vector<std::uint64_t> words;
    std::vector<std::uint8_t> masked(n, 0);
    const std::size_t per_row = (v + 63) / 64;
    if (extras.masks) {
      words.assign(n * per_row, 0);
      extras.masks(words, masked);
    }
    sampling::TokenMask mask(v);
    for (std::size_t r = 0; r < n; ++r) {
      if (rows[r].temperature >= 1e-5f) {
        throw std::logic_error("test-device: chooses greedy rows only");
      }
      if (masked[r] != 0) {
        std::copy_n(words.begin() + static_cast<std::ptrdiff_t>(r * per_row), per_row,
                    mask.words().begin());
      }
      const int top = extras.top_logprobs.empty() ? -1 : extras.top_logprobs[r];
      sampling::SamplingParams p;
      p.temperature = 0.0f;
      p.logprobs = top >= 0;
      p.top_logprobs = top > 0 ? top : 0;
      sampling::Sampler sampler(p, 0);
      std::span<float> row(logits_.data() + r * v, v);
      sampling::Sampled out;
      try {
        out = sampler.sample(row, {}, {}, masked[r] != 0 ? &mask : nullptr);
      } catch (const std::runtime_error& e) {
        // The device's codes for the rows the sampler refuses (ops.h).
        tokens[r] = std::string(e.what()) == sampling::kErrorNaN ? -1 : -2;
        continue;
      }
      tokens[r] = out.token;
      if (top < 0) continue;
      TokenLogprobs& lp = extras.logprobs[r];
      lp.logprob = out.logprob;
      lp.n_top = static_cast<std::int32_t>(out.top.size());
      for (std::size_t k = 0; k < out.top.size(); ++k) {
        lp.top_ids[k] = out.top[k].first;
        lp.top_logprobs[k] = out.top[k].second;
      }
    }
  }

  void note(const char* kind) {
    if (log_.is_open()) log_ << kind << std::endl;
  }

  std::vector<float> logits_;
  std::ofstream log_;
};

class HostDeviceBackend final : public sdk::Backend {
 public:
  std::string name() const override { return "test-device"; }
  std::string describe() const override {
    return "test-device: the CPU backend, chosen on the host";
  }
  std::unique_ptr<sdk::Ops> create_ops(const sdk::BackendOptions& options) override {
    return std::make_unique<HostDeviceOps>(options.threads);
  }
};

}  // namespace

RMLX_PLUGIN("test-device-sampler", "0.0.1",
            rmlx::sdk::component<rmlx::sdk::Backend, HostDeviceBackend>("test-device"))
