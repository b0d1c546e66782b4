// The engine's device-sampling path (sdk::DeviceSampler): logprobs, grammar masks and their
// errors must come out as the host sampler gives them. The backend under test does the
// device's part on the host (plugins/host_device_sampler.cpp), so the engine's side of the
// contract (which rows go to the device, the masks it hands over, the logprobs it reports,
// the constraint it advances) is checked on every machine; the CUDA kernels have their own
// tests against the same host sampler (tests/cuda/cuda_sampling_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "rmlx/engine/engine.h"
#include "rmlx/registry/registry.h"

namespace {

using rmlx::engine::Engine;
using rmlx::engine::EngineOptions;
using rmlx::engine::Event;
using rmlx::engine::FinishReason;
using rmlx::engine::Request;
using rmlx::engine::TokenOut;

const std::string kPluginDir = RMLX_TEST_DEVICE_PLUGIN_DIR;

struct Result {
  std::vector<TokenOut> tokens;
  FinishReason finish = FinishReason::none;
  std::string error;
};

Result collect(rmlx::engine::Stream& s) {
  Result r;
  Event ev;
  while (s.next(ev, std::chrono::minutes(5))) {
    for (auto& t : ev.tokens) r.tokens.push_back(std::move(t));
    if (ev.finish != FinishReason::none) {
      r.finish = ev.finish;
      r.error = ev.error;
      break;
    }
  }
  return r;
}

constexpr std::size_t kMaskSize = 500;

// Allows tokens t < 500 with t % modulus == residue for `length` steps, then says it is finished;
// optional faults: a step whose mask allows nothing, or one whose fill throws.
class EveryNth final : public rmlx::sampling::TokenConstraint {
 public:
  EveryNth(int modulus, int residue, int length, int empty_at = -1, int throw_at = -1)
      : modulus_(modulus),
        residue_(residue),
        length_(length),
        empty_at_(empty_at),
        throw_at_(throw_at) {}
  bool fill_mask(rmlx::sampling::TokenMask& mask) override {
    const int step = static_cast<int>(accepted_.size());
    if (step == throw_at_)
      throw std::runtime_error("grammar broke at step " + std::to_string(step));
    // Shorter than the model's 512 rows: the ids past it are refused as well.
    if (mask.size() != kMaskSize) mask = rmlx::sampling::TokenMask(kMaskSize);
    mask.clear_all();
    if (step == empty_at_) return true;
    for (std::size_t t = 0; t < mask.size(); ++t) {
      if (static_cast<int>(t % static_cast<std::size_t>(modulus_)) == residue_) mask.set(t);
    }
    return true;
  }
  void accept(std::int32_t token) override { accepted_.push_back(token); }
  bool is_finished() const override { return static_cast<int>(accepted_.size()) >= length_; }
  const std::vector<std::int32_t>& accepted() const { return accepted_; }

 private:
  int modulus_, residue_, length_, empty_at_, throw_at_;
  std::vector<std::int32_t> accepted_;
};

class DeviceSamplingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.scan({kPluginDir, RMLX_PLUGIN_BUILD_DIR});
    setenv("RMLX_TEST_DEVICE_LOG", log_path().c_str(), 1);
  }
  std::unique_ptr<Engine> load(const std::string& backend) {
    EngineOptions o;
    o.model_dir = RMLX_TEST_DEVICE_MODEL;
    o.backend = backend;
    o.threads = 1;
    o.max_batch = 4;
    return Engine::load(o, registry_);
  }
  // The device steps the test backend took so far: greedy, sampled, with extras.
  static std::vector<long> device_steps() {
    std::vector<long> n(3, 0);
    std::ifstream in(log_path());
    for (std::string line; std::getline(in, line);) {
      if (line == "greedy") ++n[0];
      if (line == "sampled") ++n[1];
      if (line == "extras") ++n[2];
    }
    return n;
  }
  static std::string log_path() { return std::string(RMLX_TEST_DEVICE_MODEL) + "/../steps.log"; }
  static Request request(int max_tokens, int top_logprobs) {
    Request r;
    r.prompt = {1, 17, 230, 45, 99, 312, 7};
    r.sampling.temperature = 0.0f;
    r.sampling.logprobs = top_logprobs >= 0;
    r.sampling.top_logprobs = top_logprobs > 0 ? top_logprobs : 0;
    r.max_tokens = max_tokens;
    r.ignore_eos = true;
    return r;
  }
  // The same requests on the CPU backend (host sampler) and on the device path, one batch each.
  std::pair<std::vector<Result>, std::vector<Result>> both(
      const std::function<std::vector<Request>()>& make) {
    std::vector<Result> host, device;
    for (const char* backend : {"cpu", "test-device"}) {
      auto engine = load(backend);
      std::vector<std::shared_ptr<rmlx::engine::Stream>> streams;
      for (Request& r : make()) streams.push_back(engine->submit(std::move(r)));
      auto& out = std::string(backend) == "cpu" ? host : device;
      for (auto& s : streams) out.push_back(collect(*s));
    }
    return {host, device};
  }

  rmlx::registry::Registry registry_;
};

void expect_same(const Result& host, const Result& device, const std::string& what) {
  EXPECT_EQ(device.finish, host.finish) << what;
  EXPECT_EQ(device.error, host.error) << what;
  ASSERT_EQ(device.tokens.size(), host.tokens.size()) << what;
  for (std::size_t i = 0; i < host.tokens.size(); ++i) {
    const TokenOut &h = host.tokens[i], &d = device.tokens[i];
    EXPECT_EQ(d.token, h.token) << what << " token " << i;
    // The same arithmetic on both sides, but the two engines may batch the first steps
    // differently (requests arrive while the engine steps), and a row's logits move in their
    // last bits with the rows beside it: near, not bitwise. NaN (none asked) on both.
    EXPECT_EQ(std::isnan(d.logprob), std::isnan(h.logprob)) << what << " token " << i;
    if (!std::isnan(h.logprob)) {
      EXPECT_NEAR(d.logprob, h.logprob, 1e-4) << what << " token " << i;
    }
    ASSERT_EQ(d.top.size(), h.top.size()) << what << " token " << i;
    for (std::size_t k = 0; k < h.top.size(); ++k) {
      EXPECT_EQ(d.top[k].token, h.top[k].token) << what << " token " << i << " rank " << k;
      EXPECT_NEAR(d.top[k].logprob, h.top[k].logprob, 1e-4)
          << what << " token " << i << " rank " << k;
    }
  }
}

TEST_F(DeviceSamplingTest, LogprobsComeFromTheDeviceStep) {
  const auto before = device_steps();
  const auto [host, device] = both([] {
    std::vector<Request> rs = {request(12, 5), request(12, 0), request(12, -1)};
    rs[1].prompt.push_back(3);  // another sequence in the batch, logprobs without alternatives
    rs[2].prompt.push_back(4);  // and one that asks for none
    return rs;
  });
  const auto after = device_steps();
  EXPECT_GE(after[2] - before[2], 12) << "steps with logprobs ran on the device";
  ASSERT_EQ(host.size(), 3u);
  for (std::size_t i = 0; i < host.size(); ++i) {
    expect_same(host[i], device[i], "request " + std::to_string(i));
    EXPECT_EQ(host[i].finish, FinishReason::length);
  }
  EXPECT_EQ(host[0].tokens[0].top.size(), 5u);
  EXPECT_FALSE(std::isnan(host[1].tokens[0].logprob));
  EXPECT_TRUE(std::isnan(host[2].tokens[0].logprob));
}

TEST_F(DeviceSamplingTest, GrammarMasksGoToTheDevice) {
  std::vector<std::shared_ptr<EveryNth>> grammars;
  const auto before = device_steps();
  const auto [host, device] = both([&] {
    std::vector<Request> rs = {request(20, 3), request(20, -1), request(10, -1)};
    for (int i = 0; i < 2; ++i) {
      grammars.push_back(std::make_shared<EveryNth>(7, 3 + i, 6));
      rs[static_cast<std::size_t>(i)].constraint = grammars.back();
    }
    return rs;  // the third request is free, in the same batch
  });
  const auto after = device_steps();
  EXPECT_GE(after[2] - before[2], 6);
  for (std::size_t i = 0; i < host.size(); ++i) {
    expect_same(host[i], device[i], "request " + std::to_string(i));
  }
  // The grammar's end is a stop after its 6 tokens, each one it allowed.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(device[static_cast<std::size_t>(i)].finish, FinishReason::stop);
    ASSERT_EQ(device[static_cast<std::size_t>(i)].tokens.size(), 6u);
    for (const auto& t : device[static_cast<std::size_t>(i)].tokens) EXPECT_EQ(t.token % 7, 3 + i);
  }
  EXPECT_EQ(grammars[2]->accepted(), grammars[0]->accepted()) << "the device run's grammar";
  EXPECT_EQ(device[2].tokens.size(), 10u);
}

TEST_F(DeviceSamplingTest, GrammarErrorsAreTheHostSamplers) {
  const auto [host, device] = both([] {
    std::vector<Request> rs = {request(20, 2), request(20, -1), request(8, -1)};
    rs[0].constraint = std::make_shared<EveryNth>(5, 1, 10, /*empty_at=*/3);
    rs[1].constraint = std::make_shared<EveryNth>(5, 2, 10, -1, /*throw_at=*/2);
    return rs;
  });
  for (std::size_t i = 0; i < host.size(); ++i) {
    expect_same(host[i], device[i], "request " + std::to_string(i));
  }
  EXPECT_EQ(device[0].finish, FinishReason::error);
  EXPECT_EQ(device[0].error, "sampling: no token can be chosen (every logit is -inf or masked)");
  EXPECT_EQ(device[0].tokens.size(), 3u);
  EXPECT_EQ(device[1].finish, FinishReason::error);
  EXPECT_EQ(device[1].error, "constraint: grammar broke at step 2");
  EXPECT_EQ(device[1].tokens.size(), 2u);
  EXPECT_EQ(device[2].finish, FinishReason::length) << "the free request beside them goes on";
}

}  // namespace
