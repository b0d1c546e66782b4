#include "rmlx/sampling/sampler.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace rmlx::sampling {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
// Temperatures this small are greedy (as in vLLM): 1/T would overflow the softmax.
constexpr float kGreedyBelow = 1e-5f;

// What presence and frequency take from a logit seen c times (one expression for the
// sampler and its device edits, so both round alike).
float additive_penalty(const SamplingParams& p, std::int32_t c) {
  return p.presence_penalty + p.frequency_penalty * static_cast<float>(c);
}

// Where the penalty window starts in prompt and in generated (penalty_window > 0: the last
// that many tokens of prompt + generated).
struct WindowStart {
  std::size_t prompt, generated;
};
WindowStart window_start(const SamplingParams& p, std::size_t prompt, std::size_t generated) {
  const std::size_t total = prompt + generated;
  const std::size_t window =
      p.penalty_window > 0 ? std::min<std::size_t>(total, p.penalty_window) : total;
  const std::size_t skip = total - window;  // tokens of prompt + generated before the window
  return {std::min(skip, prompt), skip > prompt ? skip - prompt : 0};
}

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("sampling: ") + what);
}

// Descending logit, ties to the lower id, so every order is total and reproducible.
struct Before {
  template <class C>
  bool operator()(const C& a, const C& b) const {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  }
};

struct Argmax {
  std::size_t index;
  float value;
  bool nan;
};

// Eight independent lanes so the loop is not one long dependency chain; then the first index
// holding the maximum.
Argmax argmax(std::span<const float> x) {
  constexpr std::size_t kLanes = 8;
  float lane[kLanes];
  bool nan = false;
  for (auto& l : lane) l = kNegInf;
  std::size_t i = 0;
  for (; i + kLanes <= x.size(); i += kLanes)
    for (std::size_t k = 0; k < kLanes; ++k) {
      const float v = x[i + k];
      nan |= v != v;
      lane[k] = v > lane[k] ? v : lane[k];
    }
  float m = kNegInf;
  for (; i < x.size(); ++i) {
    nan |= x[i] != x[i];
    m = x[i] > m ? x[i] : m;
  }
  for (const float l : lane) m = l > m ? l : m;
  std::size_t at = 0;
  while (at < x.size() && x[at] != m) ++at;
  return {at < x.size() ? at : 0, m, nan};
}

}  // namespace

Sampler::Sampler(const SamplingParams& p, std::uint64_t seed) : params_(p), rng_(seed) {
  require(std::isfinite(p.temperature) && p.temperature >= 0.0f, "temperature must be >= 0");
  require(p.top_k >= 0, "top_k must be >= 0");
  require(p.top_p > 0.0f && p.top_p <= 1.0f, "top_p must be in (0, 1]");
  require(p.min_p >= 0.0f && p.min_p <= 1.0f, "min_p must be in [0, 1]");
  require(std::isfinite(p.repetition_penalty) && p.repetition_penalty > 0.0f,
          "repetition_penalty must be > 0");
  require(std::isfinite(p.presence_penalty), "presence_penalty must be finite");
  require(std::isfinite(p.frequency_penalty), "frequency_penalty must be finite");
  require(p.penalty_window >= 0, "penalty_window must be >= 0");
  require(p.top_logprobs >= 0 && p.top_logprobs <= 20, "top_logprobs must be in [0, 20]");
  for (const auto& [id, bias] : p.logit_bias) {
    require(id >= 0, "logit_bias token id must be >= 0");
    require(std::isfinite(bias), "logit_bias value must be finite");
  }
}

void Sampler::apply_bias(std::span<float> logits) const {
  for (const auto& [id, bias] : params_.logit_bias) {
    if (static_cast<std::size_t>(id) >= logits.size())
      throw std::out_of_range("sampling: logit_bias token id " + std::to_string(id) +
                              " outside the vocabulary of " + std::to_string(logits.size()));
    logits[static_cast<std::size_t>(id)] += bias;
  }
}

void Sampler::apply_penalties(std::span<float> logits, std::span<const std::int32_t> prompt,
                              std::span<const std::int32_t> generated) {
  const bool repetition = params_.repetition_penalty != 1.0f;
  const bool additive = params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f;
  if (!repetition && !additive) return;

  const WindowStart from = window_start(params_, prompt.size(), generated.size());
  const auto in_row = [&](std::int32_t t) {
    return t >= 0 && static_cast<std::size_t>(t) < logits.size();
  };
  if (counts_.size() < logits.size()) counts_.assign(logits.size(), 0);
  touched_.clear();

  if (repetition) {
    const float rp = params_.repetition_penalty;
    const auto visit = [&](std::int32_t t) {
      if (!in_row(t) || counts_[static_cast<std::size_t>(t)] != 0) return;
      counts_[static_cast<std::size_t>(t)] = 1;
      touched_.push_back(t);
      float& x = logits[static_cast<std::size_t>(t)];
      x = x < 0.0f ? x * rp : x / rp;
    };
    for (std::size_t i = from.prompt; i < prompt.size(); ++i) visit(prompt[i]);
    for (std::size_t i = from.generated; i < generated.size(); ++i) visit(generated[i]);
    for (auto t : touched_) counts_[static_cast<std::size_t>(t)] = 0;
    touched_.clear();
  }

  if (additive) {
    for (std::size_t i = from.generated; i < generated.size(); ++i) {
      const std::int32_t t = generated[i];
      if (!in_row(t)) continue;
      if (counts_[static_cast<std::size_t>(t)]++ == 0) touched_.push_back(t);
    }
    for (auto t : touched_) {
      auto& c = counts_[static_cast<std::size_t>(t)];
      logits[static_cast<std::size_t>(t)] -= additive_penalty(params_, c);
      c = 0;
    }
    touched_.clear();
  }
}

void apply_logit_edits(std::span<float> logits, std::span<const LogitEdit> edits) {
  for (const LogitEdit& e : edits) {
    float& x = logits[static_cast<std::size_t>(e.token)];
    if (e.flags & kEditBias) x += e.bias;
    if (e.flags & kEditRepeat) x = x < 0.0f ? x * e.repetition : x / e.repetition;
    if (e.flags & kEditSubtract) x -= e.subtract;
  }
}

bool Sampler::logit_edits(std::int64_t vocab, std::span<const std::int32_t> prompt,
                          std::span<const std::int32_t> generated, std::vector<LogitEdit>& out) {
  const auto n = static_cast<std::size_t>(std::max<std::int64_t>(vocab, 0));
  if (counts_.size() < n) counts_.assign(n, 0);
  const std::size_t first = out.size();
  // counts_[t]: 1 + t's index in out (this call's edits), 0 for none yet.
  const auto edit_of = [&](std::int32_t t) -> LogitEdit& {
    auto& slot = counts_[static_cast<std::size_t>(t)];
    if (slot == 0) {
      out.push_back(LogitEdit{t, 0.0f, 1.0f, 0.0f, 0});
      slot = static_cast<std::int32_t>(out.size() - first);
    }
    return out[first + static_cast<std::size_t>(slot - 1)];
  };
  const auto clear = [&] {
    for (std::size_t i = first; i < out.size(); ++i)
      counts_[static_cast<std::size_t>(out[i].token)] = 0;
  };
  for (const auto& [id, bias] : params_.logit_bias) {
    const bool outside = id < 0 || static_cast<std::size_t>(id) >= n;
    if (outside || (edit_of(id).flags & kEditBias)) {
      clear();
      out.resize(first);
      return false;
    }
    LogitEdit& e = edit_of(id);
    e.flags |= kEditBias;
    e.bias = bias;
  }
  const WindowStart from = window_start(params_, prompt.size(), generated.size());
  const auto in_row = [&](std::int32_t t) { return t >= 0 && static_cast<std::size_t>(t) < n; };
  if (params_.repetition_penalty != 1.0f) {
    const auto visit = [&](std::int32_t t) {
      if (!in_row(t)) return;
      LogitEdit& e = edit_of(t);
      e.flags |= kEditRepeat;
      e.repetition = params_.repetition_penalty;
    };
    for (std::size_t i = from.prompt; i < prompt.size(); ++i) visit(prompt[i]);
    for (std::size_t i = from.generated; i < generated.size(); ++i) visit(generated[i]);
  }
  if (params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f) {
    // The occurrences first (subtract holds the count meanwhile), then the penalty.
    std::vector<std::size_t> seen;
    for (std::size_t i = from.generated; i < generated.size(); ++i) {
      const std::int32_t t = generated[i];
      if (!in_row(t)) continue;
      LogitEdit& e = edit_of(t);
      if (!(e.flags & kEditSubtract)) {
        e.flags |= kEditSubtract;
        e.subtract = 0.0f;
        seen.push_back(static_cast<std::size_t>(&e - out.data()));
      }
      e.subtract += 1.0f;
    }
    for (const std::size_t i : seen)
      out[i].subtract = additive_penalty(params_, static_cast<std::int32_t>(out[i].subtract));
  }
  clear();
  return true;
}

Sampled Sampler::sample(std::span<float> logits, std::span<const std::int32_t> prompt,
                        std::span<const std::int32_t> generated, const TokenMask* allowed) {
  if (logits.empty()) throw std::runtime_error("sampling: empty logits row");
  apply_bias(logits);
  apply_penalties(logits, prompt, generated);

  if (allowed != nullptr) {
    const auto words = allowed->words();
    const std::size_t n = logits.size();
    for (std::size_t w = 0; w * 64 < n; ++w) {
      const std::uint64_t bits = w < words.size() ? words[w] : 0;
      if (bits == ~std::uint64_t{0}) continue;
      const std::size_t end = std::min(n, w * 64 + 64);
      for (std::size_t i = w * 64; i < end; ++i)
        if (!((bits >> (i - w * 64)) & 1u)) logits[i] = kNegInf;
    }
  }

  // Argmax, first occurrence; it doubles as the NaN check and the softmax shift.
  const auto [best, max_logit, nan] = argmax(logits);
  if (nan) throw std::runtime_error(kErrorNaN);
  if (max_logit == kNegInf) throw std::runtime_error(kErrorNoToken);

  Sampled out;
  out.token = params_.temperature < kGreedyBelow ? static_cast<std::int32_t>(best)
                                                 : draw(logits, max_logit);
  if (params_.logprobs || params_.top_logprobs > 0) {
    fill_logprobs(logits, max_logit, out);
  } else {
    out.logprob = std::numeric_limits<float>::quiet_NaN();
  }
  return out;
}

std::int32_t Sampler::draw(std::span<const float> logits, float max_logit) {
  const float inv_t = 1.0f / params_.temperature;
  candidates_.clear();
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const float x = logits[i];
    if (x != kNegInf)
      candidates_.push_back({static_cast<std::int32_t>(i), x, std::exp((x - max_logit) * inv_t)});
  }

  bool id_order = true;
  const std::size_t k = static_cast<std::size_t>(params_.top_k);
  if (k > 0 && k < candidates_.size()) {
    std::nth_element(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(k),
                     candidates_.end(), Before{});
    candidates_.resize(k);
    id_order = false;
  }

  if (params_.top_p < 1.0f || params_.min_p > 0.0f) {
    double z = 0.0;  // normaliser of the top-k distribution, which top-p is measured against
    for (const auto& c : candidates_) z += c.weight;
    // min-p keeps p >= min_p * p_max, i.e. weight >= min_p (the top token has weight 1). min-p and
    // top-p both keep a prefix of the sorted order, so applying min-p first gives the same set.
    if (params_.min_p > 0.0f) {
      const float floor = params_.min_p;
      std::erase_if(candidates_, [&](const Candidate& c) { return c.weight < floor; });
    }
    if (params_.top_p < 1.0f) {
      const double target = static_cast<double>(params_.top_p) * z;
      // Weights lie in (0, 1]. Bucketing them by binary exponent finds the bucket where the
      // nucleus ends in one pass; every lighter bucket is out, which usually leaves a small set.
      double mass[256] = {};
      for (const auto& c : candidates_)
        mass[std::bit_cast<std::uint32_t>(c.weight) >> 23] += c.weight;
      std::uint32_t cut = 255;
      for (double acc = 0.0; cut > 0; --cut) {
        acc += mass[cut];
        if (acc >= target) break;
      }
      std::erase_if(candidates_, [&](const Candidate& c) {
        return (std::bit_cast<std::uint32_t>(c.weight) >> 23) < cut;
      });
      candidates_.resize(nucleus(target));
      id_order = false;
    }
  }

  // The draw walks the candidates in id order, so it never depends on how the standard library
  // orders elements inside nth_element.
  if (!id_order) {
    if (candidates_.size() <= 4096) {
      std::sort(candidates_.begin(), candidates_.end(),
                [](const Candidate& a, const Candidate& b) { return a.id < b.id; });
    } else {
      dense_.assign(logits.size(), 0.0f);
      for (const auto& c : candidates_) dense_[static_cast<std::size_t>(c.id)] = c.weight;
      candidates_.clear();
      for (std::size_t i = 0; i < dense_.size(); ++i)
        if (dense_[i] > 0.0f)
          candidates_.push_back({static_cast<std::int32_t>(i), 0.0f, dense_[i]});
    }
  }

  double total = 0.0;
  for (const auto& c : candidates_) total += c.weight;
  const double u = rng_.uniform() * total;
  double cum = 0.0;
  for (const auto& c : candidates_) {
    cum += c.weight;
    if (u < cum) return c.id;
  }
  return candidates_.back().id;  // u rounded onto the total
}

// Nucleus (HF TopPLogitsWarper): the smallest k whose k most likely candidates hold at least
// `target` of the mass (at least 1). A quickselect on the cumulative mass finds it in expected
// linear time; only the last small range is sorted. Leaves those k candidates first.
std::size_t Sampler::nucleus(double target) {
  std::size_t lo = 0, hi = candidates_.size();
  double before = 0.0;  // mass of candidates_[0, lo), all better than the rest; before < target
  const auto at = [&](std::size_t i) {
    return candidates_.begin() + static_cast<std::ptrdiff_t>(i);
  };
  while (hi - lo > 64) {
    const std::size_t mid = lo + (hi - lo) / 2;
    std::nth_element(at(lo), at(mid), at(hi), Before{});
    double mass = before;
    for (std::size_t i = lo; i < mid; ++i) mass += candidates_[i].weight;
    if (mass >= target) {
      hi = mid;
    } else {
      before = mass;
      lo = mid;
    }
  }
  std::sort(at(lo), at(hi), Before{});
  std::size_t keep = lo;
  while (keep < hi && (keep == 0 || before < target)) before += candidates_[keep++].weight;
  return std::max<std::size_t>(keep, 1);
}

void Sampler::fill_logprobs(std::span<const float> logits, float max_logit, Sampled& out) const {
  double sum = 0.0;
  for (const float x : logits) sum += std::exp(x - max_logit);
  const double lse = static_cast<double>(max_logit) + std::log(sum);
  out.logprob = static_cast<float>(logits[static_cast<std::size_t>(out.token)] - lse);

  const std::size_t n = static_cast<std::size_t>(params_.top_logprobs);
  if (n == 0) return;
  std::vector<Candidate> top;  // kept sorted by Before, at most n long
  top.reserve(n + 1);
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const Candidate c{static_cast<std::int32_t>(i), logits[i], 0.0f};
    if (c.logit == kNegInf || (top.size() == n && !Before{}(c, top.back()))) continue;
    top.insert(std::upper_bound(top.begin(), top.end(), c, Before{}), c);
    if (top.size() > n) top.pop_back();
  }
  for (const auto& c : top) out.top.emplace_back(c.id, static_cast<float>(c.logit - lse));
}

}  // namespace rmlx::sampling
