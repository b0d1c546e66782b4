#include "speculation.h"

#include <spdlog/spdlog.h>

#include <time.h>

#include <algorithm>
#include <stdexcept>

namespace rmlx::engine {

namespace {

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace

DraftTargetImpl::DraftTargetImpl(Model& model, KvPool& pool)
    : model_(model),
      pool_(pool),
      n_layers_(static_cast<int>(model.arch().cache_layout().size())),
      vocab_(model.info().vocab_size) {}

std::span<const float> DraftTargetImpl::forward(std::span<const std::int32_t> tokens, int first_pos,
                                                int layers) {
  if (seq_ == nullptr) throw std::logic_error("draft target: no sequence bound");
  if (tokens.empty()) throw std::invalid_argument("draft target: no tokens to run");
  if (layers < 1 || layers > n_layers_) {
    throw std::invalid_argument("draft target: layers " + std::to_string(layers) + " outside 1.." +
                                std::to_string(n_layers_));
  }
  const std::int64_t end =
      static_cast<std::int64_t>(first_pos) + static_cast<std::int64_t>(tokens.size());
  const std::int64_t room = static_cast<std::int64_t>(seq_->blocks.size()) * pool_.block_size();
  if (first_pos < 0 || first_pos > seq_->n_computed + kMaxDraftTokens + 1 || end > room) {
    throw std::invalid_argument("draft target: positions " + std::to_string(first_pos) + ".." +
                                std::to_string(end - 1) + " are outside the sequence's cache");
  }
  positions_.resize(tokens.size());
  for (std::size_t i = 0; i < tokens.size(); ++i)
    positions_[i] = first_pos + static_cast<std::int32_t>(i);
  rows_.assign(1, static_cast<std::int32_t>(tokens.size()) - 1);
  sdk::AttentionSeq a;
  a.first_row = 0;
  a.n_rows = static_cast<std::int32_t>(tokens.size());
  a.start_pos = first_pos;
  a.block_table = seq_->blocks;
  logits_.resize(static_cast<std::size_t>(vocab_));
  sdk::Tensor out;
  out.dtype = sdk::DType::f32;
  out.shape = {1, vocab_};
  out.data = logits_.data();
  sdk::ForwardBatch batch;
  batch.tokens = tokens;
  batch.positions = positions_;
  batch.seqs = std::span<const sdk::AttentionSeq>(&a, 1);
  batch.logit_rows = rows_;
  batch.kv = pool_.views();
  batch.layers = layers;
  model_.ops().begin_step();
  model_.arch().forward(batch, model_.ops(), out);
  return logits_;
}

Speculation::Speculation(registry::Registry& registry, Model& model, KvPool& pool,
                         const EngineOptions& options)
    : registry_(registry),
      target_(model, pool),
      default_drafter_(options.drafter),
      default_k_(options.draft_tokens) {
  if (default_k_ < 1 || default_k_ > kMaxDraftTokens) {
    throw std::invalid_argument("--draft-tokens " + std::to_string(default_k_) +
                                ": must be within 1.." + std::to_string(kMaxDraftTokens));
  }
  if (!default_drafter_.empty() && default_drafter_ != "none") {
    // Fail at load, not on the first request, when the default is unusable.
    Request probe;
    Sequence s(0, probe, 0, nullptr);
    attach(s);
  }
}

void Speculation::attach(Sequence& s) {
  const std::string choice = s.request.drafter ? *s.request.drafter : default_drafter_;
  const int k = s.request.draft_tokens ? *s.request.draft_tokens : default_k_;
  if (s.request.draft_tokens && (k < 1 || k > kMaxDraftTokens)) {
    throw std::invalid_argument("draft_tokens: " + std::to_string(k) + " is outside 1.." +
                                std::to_string(kMaxDraftTokens));
  }
  if (choice.empty() || choice == "none") return;
  const auto colon = choice.find(':');
  const std::string name = choice.substr(0, colon);
  std::string options = "{}";
  if (colon != std::string::npos) {
    std::string arg;
    for (char c : choice.substr(colon + 1)) {
      if (c == '"' || c == '\\') arg += '\\';
      if (static_cast<unsigned char>(c) < 0x20) {
        throw std::invalid_argument("drafter: '" + choice + "' holds a control character");
      }
      arg += c;
    }
    options = "{\"arg\":\"" + arg + "\"}";
  }
  registry::Component<sdk::Drafter> drafter;
  {
    std::lock_guard lock(registry_mu_);
    try {
      drafter = registry_.create<sdk::Drafter>(name, options);
    } catch (const std::exception& e) {
      throw std::invalid_argument("drafter '" + choice + "': " + e.what());
    }
  }
  drafter->bind(target_);
  s.drafter = std::move(drafter);
  s.draft_k = k;
}

int Speculation::draft_budget(Sequence& s, int rows_left, int max_model_len) {
  if (!s.drafter || s.request.constraint) return 0;
  const int tokens = static_cast<int>(s.tokens.size());
  if (tokens - s.n_computed != 1) {  // only a decoding sequence drafts
    s.payoff.interrupt();
    return 0;
  }
  if (!s.payoff.plan_step(process_cpu_seconds(), s.generated())) return 0;
  return std::max(0, std::min({s.draft_k, rows_left, s.request.max_tokens - s.generated() - 1,
                               max_model_len - tokens - 1}));
}

void Speculation::propose(Sequence& s, int k) {
  s.drafts.clear();
  if (k <= 0) return;
  sdk::DraftContext ctx;
  ctx.tokens = s.tokens;
  ctx.max_tokens = k;
  ctx.n_computed = s.n_computed;
  ctx.target = &target_;
  target_.bind_sequence(&s);
  try {
    s.drafts = s.drafter->propose(ctx);
  } catch (const std::exception& e) {
    // A failing drafter costs speed, never the request.
    spdlog::warn("drafter {} failed, drafting stops for sequence {}: {}", s.drafter->name(), s.id,
                 e.what());
    s.drafter.reset();
    s.drafts.clear();
  }
  target_.bind_sequence(nullptr);
  if (static_cast<int>(s.drafts.size()) > k) s.drafts.resize(static_cast<std::size_t>(k));
  const auto vocab = target_.vocab_size();
  // An id outside the vocabulary can never be confirmed; stop the proposal there.
  auto bad = std::find_if(s.drafts.begin(), s.drafts.end(),
                          [&](std::int32_t t) { return t < 0 || t >= vocab; });
  s.drafts.erase(bad, s.drafts.end());
  s.draft_proposed += static_cast<int>(s.drafts.size());
  s.payoff.set_rows(1 + static_cast<int>(s.drafts.size()));
}

int Speculation::verify(Sequence& s, std::span<float> logits, std::int64_t vocab,
                        const std::function<void(std::span<float>)>& emit) {
  const std::size_t k = s.drafts.size();
  const auto row = [&](std::size_t i) {
    return logits.subspan(i * static_cast<std::size_t>(vocab), static_cast<std::size_t>(vocab));
  };
  int emitted = 0, accepted = 0;
  for (std::size_t i = 0; i <= k; ++i) {
    emit(row(i));
    ++emitted;
    if (s.done || i == k) break;
    if (s.tokens.back() != s.drafts[i]) break;
    ++accepted;
    ++s.draft_accepted;
  }
  if (s.drafter) s.drafter->accepted(accepted);
  s.drafts.clear();
  return emitted;
}

}  // namespace rmlx::engine
