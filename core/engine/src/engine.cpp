// The scheduler. One thread runs steps; each step feeds every running
// sequence its uncomputed tokens (a prompt chunk, or the last sampled token),
// runs one forward pass over all of them, and samples where a sequence has
// caught up. Sequences join and leave between steps. When blocks run out the
// newest sequence is preempted and later recomputed.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <limits>
#include <random>
#include <stdexcept>
#include <thread>

#include "constraint.h"
#include "kv_pool.h"
#include "model.h"
#include "sequence.h"
#include "speculation.h"

namespace rmlx::engine {

namespace {

class EngineImpl final : public Engine {
 public:
  EngineImpl(const EngineOptions& options, registry::Registry& registry)
      : options_(options), model_(options, registry) {
    const auto layout = model_.arch().cache_layout();
    const std::int64_t per_token =
        KvPool::bytes_per_token(layout, model_.k_codec(), model_.v_codec());
    const int max_len = model_.info().max_model_len;
    std::int64_t budget = options.kv_memory_bytes;
    if (budget <= 0) {
      // Room for max_batch sequences of a quarter of the context each, and at
      // least one full-length sequence.
      const std::int64_t tokens = std::max<std::int64_t>(
          max_len, static_cast<std::int64_t>(options.max_batch) * max_len / 4);
      budget = tokens * per_token;
    }
    std::int64_t blocks = budget / std::max<std::int64_t>(1, per_token * options.block_size);
    if (blocks < 2) {
      throw std::runtime_error("--kv-memory of " + std::to_string(budget) +
                               " bytes holds fewer than two KV blocks of " +
                               std::to_string(per_token * options.block_size) + " bytes");
    }
    pool_ = std::make_unique<KvPool>(layout, model_.k_codec(), model_.v_codec(), options.block_size,
                                     blocks, &model_.ops());
    spec_ = std::make_unique<Speculation>(registry, model_, *pool_, options);
    spdlog::info("{}: {} ({}), KV cache {} blocks of {} tokens ({} MiB)", model_.info().id,
                 model_.info().architecture, model_.k_codec().name(), blocks, options.block_size,
                 blocks * options.block_size * per_token >> 20);
    eos_ = model_.info().eos_ids;
    logits_.reserve(static_cast<std::size_t>(model_.info().vocab_size));
    thread_ = std::thread([this] { loop(); });
  }

  ~EngineImpl() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  const ModelInfo& info() const override { return model_.info(); }

  std::shared_ptr<Stream> submit(Request request) override {
    const auto& info = model_.info();
    if (request.prompt.empty()) throw std::invalid_argument("prompt: must not be empty");
    for (auto t : request.prompt) {
      if (t < 0 || t >= info.vocab_size) {
        throw std::invalid_argument("prompt: token id " + std::to_string(t) +
                                    " is outside the vocabulary (0.." +
                                    std::to_string(info.vocab_size - 1) + ")");
      }
    }
    if (static_cast<int>(request.prompt.size()) >= info.max_model_len) {
      throw std::invalid_argument("prompt: " + std::to_string(request.prompt.size()) +
                                  " tokens do not fit the context of " +
                                  std::to_string(info.max_model_len) + " tokens");
    }
    if (request.max_tokens < 1) throw std::invalid_argument("max_tokens: must be at least 1");
    const std::int64_t needed =
        (static_cast<std::int64_t>(request.prompt.size()) + options_.block_size) /
        options_.block_size;
    if (needed > pool_->total()) {
      throw std::invalid_argument("prompt: needs " + std::to_string(needed) +
                                  " KV blocks but the cache holds " +
                                  std::to_string(pool_->total()));
    }
    auto stream = std::make_shared<StreamImpl>();
    std::uint64_t seed = request.sampling.seed ? *request.sampling.seed : std::random_device{}();
    auto seq = std::make_unique<Sequence>(0, std::move(request), seed, stream);
    spec_->attach(*seq);  // throws std::invalid_argument for a malformed drafter choice
    {
      std::lock_guard lock(mu_);
      seq->id = next_id_++;
      incoming_.push_back(std::move(seq));
      metrics_.waiting = static_cast<int>(incoming_.size() + waiting_count_);
    }
    cv_.notify_all();
    return stream;
  }

  Metrics metrics() const override {
    std::lock_guard lock(mu_);
    return metrics_;
  }

 private:
  using SeqPtr = std::unique_ptr<Sequence>;

  void loop() {
    while (true) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] {
          return stopping_ || !incoming_.empty() || !running_.empty() || !waiting_.empty();
        });
        if (stopping_) break;
        for (auto& s : incoming_) waiting_.push_back(std::move(s));
        incoming_.clear();
      }
      try {
        step();
      } catch (const std::exception& e) {
        // A failed forward pass fails the sequences in it, not the engine.
        spdlog::error("engine step failed: {}", e.what());
        for (auto& s : running_) finish(*s, FinishReason::error, e.what());
        running_.clear();
      }
      publish_metrics();
    }
    for (auto& s : running_) finish(*s, FinishReason::cancelled, "");
    for (auto& s : waiting_) finish(*s, FinishReason::cancelled, "");
  }

  void publish_metrics() {
    std::lock_guard lock(mu_);
    waiting_count_ = waiting_.size();
    metrics_.running = static_cast<int>(running_.size());
    metrics_.waiting = static_cast<int>(waiting_.size() + incoming_.size());
    metrics_.kv_blocks_total = pool_->total();
    metrics_.kv_blocks_used = pool_->used();
  }

  // Also updates the block counts at once, so a client that sees its final
  // event already sees its blocks returned.
  void release_blocks(Sequence& s) {
    for (auto b : s.blocks) pool_->release(b);
    s.blocks.clear();
    s.block_hashes.clear();
    s.drafts.clear();
    s.n_computed = 0;
    std::lock_guard lock(mu_);
    metrics_.kv_blocks_used = pool_->used();
  }

  void finish(Sequence& s, FinishReason reason, const std::string& error) {
    if (s.done) return;
    s.done = true;
    release_blocks(s);
    Event ev;
    ev.finish = reason;
    ev.error = error;
    ev.prompt_tokens = s.prompt_len;
    ev.cached_tokens = s.cached_prompt_tokens;
    ev.completion_tokens = s.generated();
    ev.draft_tokens = s.draft_proposed;
    ev.draft_tokens_accepted = s.draft_accepted;
    s.stream->push(std::move(ev));
  }

  // Reuses cached blocks for the leading full blocks of the sequence's tokens,
  // always leaving at least one token to compute (its logits are needed).
  void attach_prefix(Sequence& s) {
    const int bs = pool_->block_size();
    const int max_blocks = (static_cast<int>(s.tokens.size()) - 1) / bs;
    std::uint64_t parent = 0;
    for (int i = 0; i < max_blocks; ++i) {
      std::span<const std::int32_t> toks(s.tokens.data() + static_cast<std::size_t>(i) * bs,
                                         static_cast<std::size_t>(bs));
      const std::uint64_t h = KvPool::chain_hash(parent, toks);
      const std::int32_t b = pool_->lookup(h, parent, toks);
      if (b < 0) break;
      s.blocks.push_back(b);
      s.block_hashes.push_back(h);
      parent = h;
    }
    s.n_computed = static_cast<int>(s.blocks.size()) * bs;
  }

  // Publishes the sequence's blocks that became full of computed tokens.
  void publish_full_blocks(Sequence& s) {
    const int bs = pool_->block_size();
    while (static_cast<int>(s.block_hashes.size() + 1) * bs <= s.n_computed) {
      const std::size_t i = s.block_hashes.size();
      std::span<const std::int32_t> toks(s.tokens.data() + i * bs, static_cast<std::size_t>(bs));
      const std::uint64_t parent = i == 0 ? 0 : s.block_hashes.back();
      const std::uint64_t h = KvPool::chain_hash(parent, toks);
      pool_->publish(s.blocks[i], h, parent, toks);
      s.block_hashes.push_back(h);
    }
  }

  void admit() {
    while (!waiting_.empty() && static_cast<int>(running_.size()) < options_.max_batch) {
      Sequence& s = *waiting_.front();
      if (s.abandoned()) {
        finish(s, FinishReason::cancelled, "");
        waiting_.pop_front();
        continue;
      }
      attach_prefix(s);
      const int bs = pool_->block_size();
      const int first_chunk =
          std::min<int>(options_.prefill_chunk, static_cast<int>(s.tokens.size()) - s.n_computed);
      const std::int64_t need =
          (s.n_computed + first_chunk + bs - 1) / bs - static_cast<std::int64_t>(s.blocks.size());
      if (need > pool_->available()) {
        release_blocks(s);
        break;
      }
      if (!s.admitted_once) {
        s.cached_prompt_tokens = s.n_computed;
        std::lock_guard lock(mu_);
        metrics_.prefix_cache_queries += s.prompt_len;
        metrics_.prefix_cache_hits += s.n_computed;
        s.admitted_once = true;
      }
      running_.push_back(std::move(waiting_.front()));
      waiting_.pop_front();
    }
  }

  // Frees the newest running sequence's blocks and queues it again.
  bool preempt_newest(const Sequence* keep) {
    for (auto it = running_.rbegin(); it != running_.rend(); ++it) {
      if (it->get() == keep) continue;
      release_blocks(**it);
      spdlog::debug("preempted sequence {} (recomputed later)", (*it)->id);
      waiting_.push_front(std::move(*it));
      running_.erase(std::next(it).base());
      return true;
    }
    return false;
  }

  bool ensure_blocks(Sequence& s, int upto) {
    const int bs = pool_->block_size();
    while (static_cast<int>(s.blocks.size()) * bs < upto) {
      std::int32_t b = pool_->allocate();
      if (b < 0) {
        if (!preempt_newest(&s)) return false;
        continue;
      }
      s.blocks.push_back(b);
    }
    return true;
  }

  void step() {
    // Drop what clients abandoned: their blocks are free for this step.
    for (auto it = running_.begin(); it != running_.end();) {
      if ((*it)->abandoned()) {
        finish(**it, FinishReason::cancelled, "");
        it = running_.erase(it);
      } else {
        ++it;
      }
    }
    admit();
    if (running_.empty()) return;

    // Plan: decoding sequences first (one token each), then prompt chunks.
    std::stable_sort(running_.begin(), running_.end(), [](const SeqPtr& a, const SeqPtr& b) {
      auto rem = [](const SeqPtr& s) { return static_cast<int>(s->tokens.size()) - s->n_computed; };
      return (rem(a) == 1) > (rem(b) == 1);
    });
    int budget = std::max(options_.prefill_chunk, static_cast<int>(running_.size()));
    struct Slot {
      Sequence* seq;
      int n_new;
    };
    std::vector<Slot> plan;
    for (std::size_t i = 0; i < running_.size() && budget > 0; ++i) {
      Sequence& s = *running_[i];
      const int remaining = static_cast<int>(s.tokens.size()) - s.n_computed;
      int n_new = std::min({remaining, budget, options_.prefill_chunk});
      if (!ensure_blocks(s, s.n_computed + n_new)) break;
      n_new += draft(s, budget - n_new);
      plan.push_back({&s, n_new});
      budget -= n_new;
    }
    // A preemption may have removed sequences planned earlier.
    std::erase_if(plan, [this](const Slot& slot) {
      return std::none_of(running_.begin(), running_.end(),
                          [&](const SeqPtr& p) { return p.get() == slot.seq; });
    });
    if (plan.empty()) return;

    tokens_.clear();
    positions_.clear();
    seqs_.clear();
    logit_rows_.clear();
    std::vector<Sequence*> sampled;
    for (const auto& slot : plan) {
      Sequence& s = *slot.seq;
      sdk::AttentionSeq a;
      a.first_row = static_cast<std::int32_t>(tokens_.size());
      a.n_rows = slot.n_new;
      a.start_pos = s.n_computed;
      a.block_table = s.blocks;
      seqs_.push_back(a);
      for (int i = 0; i < slot.n_new; ++i) {
        const auto at = static_cast<std::size_t>(s.n_computed + i);
        tokens_.push_back(at < s.tokens.size() ? s.tokens[at] : s.drafts[at - s.tokens.size()]);
        positions_.push_back(s.n_computed + i);
      }
      // A drafting sequence wants logits for its last token and every draft.
      const int n_drafts = static_cast<int>(s.drafts.size());
      if (s.n_computed + slot.n_new == static_cast<int>(s.tokens.size()) + n_drafts) {
        for (int j = n_drafts + 1; j >= 1; --j)
          logit_rows_.push_back(static_cast<std::int32_t>(tokens_.size()) - j);
        sampled.push_back(&s);
      }
    }
    const std::int64_t vocab = model_.info().vocab_size;
    logits_.resize(static_cast<std::size_t>(
        std::max<std::int64_t>(1, static_cast<std::int64_t>(logit_rows_.size()) * vocab)));
    sdk::Tensor logits;
    logits.dtype = sdk::DType::f32;
    logits.shape = {static_cast<std::int64_t>(logit_rows_.size()), vocab};
    logits.data = logits_.data();

    sdk::ForwardBatch batch;
    batch.tokens = tokens_;
    batch.positions = positions_;
    batch.seqs = seqs_;
    batch.logit_rows = logit_rows_;
    batch.kv = pool_->views();
    MaskStage masks(sampled);  // the grammar works while the model does
    model_.ops().begin_step();
    bool all_greedy = false;
    sdk::DeviceSampler* device = device_sampler(sampled, &all_greedy);
    if (device != nullptr) {
      device_tokens_.assign(sampled.size(), 0);
      auto fwd = [&](sdk::Tensor& l) { model_.arch().forward(batch, model_.ops(), l); };
      if (all_greedy) {
        device->run_forward_greedy(batch, vocab, device_tokens_, fwd);
      } else {
        device_rows_.clear();
        for (const Sequence* sp : sampled) {
          const sampling::SamplingParams& p = sp->sampler.params();
          sdk::DeviceSampler::Row r;
          r.temperature = p.temperature;
          r.top_k = p.top_k;
          r.top_p = p.top_p;
          r.min_p = p.min_p;
          r.seed = sp->seed;
          r.counter = static_cast<std::uint64_t>(sp->generated());
          device_rows_.push_back(r);
        }
        if (device_extras_) {
          run_device_extras(*device, batch, vocab, sampled, masks, fwd);
        } else if (device_edits_.empty()) {
          device->run_forward_sample(batch, vocab, device_rows_, device_tokens_, fwd);
        } else {
          device->run_forward_sample_edited(batch, vocab, device_rows_, device_edits_,
                                            device_tokens_, fwd);
        }
      }
    } else {
      model_.ops().run_forward(batch, logits,
                               [&] { model_.arch().forward(batch, model_.ops(), logits); });
    }
    masks.wait();

    std::int64_t prompt_done = 0;
    for (const auto& slot : plan) {
      Sequence& s = *slot.seq;
      const bool in_prompt = s.n_computed < s.prompt_len;
      if (in_prompt) prompt_done += std::min(slot.n_new, s.prompt_len - s.n_computed);
      // Drafts count as computed only once verified.
      s.n_computed += slot.n_new - static_cast<int>(s.drafts.size());
      publish_full_blocks(s);
    }
    {
      std::lock_guard lock(mu_);
      metrics_.kv_blocks_used = pool_->used();
    }
    std::size_t row = 0;
    std::int64_t emitted = 0, drafted = 0, accepted = 0;
    for (Sequence* sp : sampled) {
      Sequence& s = *sp;
      const std::size_t n_rows = 1 + s.drafts.size();
      std::span<float> rows(logits_.data() + row * static_cast<std::size_t>(vocab),
                            n_rows * static_cast<std::size_t>(vocab));
      row += n_rows;
      if (device != nullptr) {
        const std::size_t i = row - 1;
        emit_device_token(
            s, device_tokens_[i],
            i < device_logprobs_.size() && device_top_[i] >= 0 ? &device_logprobs_[i] : nullptr);
        ++emitted;
        continue;
      }
      if (n_rows == 1) {
        sample_and_emit(s, rows);
        ++emitted;
        continue;
      }
      const int before = s.draft_accepted;
      emitted += spec_->verify(s, rows, vocab, [&](std::span<float> r) { sample_and_emit(s, r); });
      drafted += static_cast<std::int64_t>(n_rows - 1);
      accepted += s.draft_accepted - before;
      if (!s.done) rollback_rejected(s, s.draft_accepted - before);
    }
    {
      std::lock_guard lock(mu_);
      metrics_.prompt_tokens += prompt_done;
      metrics_.generated_tokens += emitted;
      metrics_.draft_tokens += drafted;
      metrics_.draft_tokens_accepted += accepted;
    }
    std::erase_if(running_, [](const SeqPtr& s) { return s->done; });
  }

  // Proposes drafts for a decoding sequence when it has a drafter and the
  // pool has room for them without preempting anyone; returns their count.
  int draft(Sequence& s, int rows_left) {
    const int k = spec_->draft_budget(s, rows_left, model_.info().max_model_len);
    if (k <= 0) return 0;
    const int bs = pool_->block_size();
    const std::int64_t extra =
        (s.n_computed + 1 + k + bs - 1) / bs - static_cast<std::int64_t>(s.blocks.size());
    if (extra > pool_->available() || !ensure_blocks(s, s.n_computed + 1 + k)) return 0;
    spec_->propose(s, k);
    return static_cast<int>(s.drafts.size());
  }

  // After verification: the accepted drafts' K/V join the cache; the rows of
  // rejected ones are beyond n_computed (overwritten later) and the blocks
  // that held only them go back to the pool.
  void rollback_rejected(Sequence& s, int n_accepted) {
    s.n_computed += n_accepted;
    publish_full_blocks(s);
    const std::size_t bs = static_cast<std::size_t>(pool_->block_size());
    const std::size_t keep = (s.tokens.size() + bs - 1) / bs;
    while (s.blocks.size() > keep) {
      pool_->release(s.blocks.back());
      s.blocks.pop_back();
    }
  }

  // The backend can choose every sampled row's token on the device: one row per
  // sequence (no drafts); logit bias and penalties where the backend applies them as edits
  // of the logits (device_edits_, the host sampler's steps bit for bit); logprobs and grammar
  // masks where it takes them as step extras (device_extras_). Greedy rows get exactly the
  // host sampler's argmax (ties to the lowest id); other rows are drawn on the device
  // (temperature, top-k, top-p, min-p) from numbers keyed by the sequence's seed and its
  // count of generated tokens. *all_greedy: every row is greedy, none edited or extra.
  sdk::DeviceSampler* device_sampler(const std::vector<Sequence*>& sampled, bool* all_greedy) {
    static_assert(sdk::DeviceSampler::kEditBias == sampling::kEditBias &&
                  sdk::DeviceSampler::kEditRepeat == sampling::kEditRepeat &&
                  sdk::DeviceSampler::kEditSubtract == sampling::kEditSubtract);
    const auto host = [this] {
      device_edits_.clear();
      device_top_.clear();
      device_logprobs_.clear();
      device_extras_ = false;
      return nullptr;
    };
    host();
    if (sampled.empty() || logit_rows_.size() != sampled.size()) return host();
    *all_greedy = true;
    bool edited = false, logprobs = false;
    for (const Sequence* s : sampled) {
      const sampling::SamplingParams& p = s->sampler.params();
      if (!s->drafts.empty()) return host();
      // (A constrained sequence's constraint_error is the mask stage's, being filled now.)
      const bool wants = p.logprobs || p.top_logprobs > 0;
      device_top_.push_back(wants ? p.top_logprobs : -1);
      logprobs = logprobs || wants;
      device_extras_ = device_extras_ || wants || s->request.constraint != nullptr;
      edited = edited || !p.logit_bias.empty() || p.repetition_penalty != 1.0f ||
               p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f;
      *all_greedy = *all_greedy && p.temperature < 1e-5f && !device_extras_ && !edited;
    }
    if (logprobs) {
      device_logprobs_.resize(sampled.size());
    } else {
      device_top_.clear();
    }
    auto* device = static_cast<sdk::DeviceSampler*>(model_.ops().native(sdk::kDeviceSamplerKey));
    if (device == nullptr || (device_extras_ && !device->applies_step_extras()) ||
        (edited && !device->applies_logit_edits())) {
      return host();
    }
    const std::int64_t vocab = model_.info().vocab_size;
    for (std::size_t i = 0; edited && i < sampled.size(); ++i) {
      Sequence& s = *sampled[i];
      const std::span<const std::int32_t> prompt(s.tokens.data(),
                                                 static_cast<std::size_t>(s.prompt_len));
      const std::span<const std::int32_t> generated(s.tokens.data() + s.prompt_len,
                                                    static_cast<std::size_t>(s.generated()));
      row_edits_.clear();
      // What edits cannot express (a repeated bias id, an id outside the row) is the host
      // sampler's to handle, with its errors.
      if (!s.sampler.logit_edits(vocab, prompt, generated, row_edits_)) return host();
      for (const sampling::LogitEdit& e : row_edits_) {
        device_edits_.push_back(
            {static_cast<std::int32_t>(i), e.token, e.bias, e.repetition, e.subtract, e.flags});
      }
    }
    return device;
  }

  // A device step with logprobs or grammar masks: the masks are copied in once the mask
  // stage is done, which the backend waits for only after queueing the forward pass.
  void run_device_extras(sdk::DeviceSampler& device, const sdk::ForwardBatch& batch,
                         std::int64_t vocab, const std::vector<Sequence*>& sampled,
                         MaskStage& masks, const std::function<void(sdk::Tensor&)>& fwd) {
    sdk::DeviceSampler::StepExtras extras;
    extras.edits = device_edits_;
    extras.top_logprobs = device_top_;
    extras.logprobs = device_logprobs_;
    const bool constrained = std::any_of(sampled.begin(), sampled.end(), [](const Sequence* s) {
      return s->request.constraint != nullptr;
    });
    if (constrained) {
      extras.masks = [&](std::span<std::uint64_t> words, std::span<std::uint8_t> masked) {
        masks.wait();
        const std::size_t per_row = words.size() / sampled.size();
        for (std::size_t i = 0; i < sampled.size(); ++i) {
          const sampling::TokenMask* m = step_mask(*sampled[i]);
          if (m == nullptr) continue;
          // Ids past the mask's size stay clear: the host sampler forbids them too.
          const auto src = m->words();
          std::copy_n(src.begin(), std::min(per_row, src.size()),
                      words.begin() + static_cast<std::ptrdiff_t>(i * per_row));
          masked[i] = 1;
        }
      };
    }
    device.run_forward_sample_extras(batch, vocab, device_rows_, extras, device_tokens_, fwd);
  }

  // The device's choice, worded as the host sampler would have thrown it.
  void emit_device_token(Sequence& s, std::int32_t token,
                         const sdk::DeviceSampler::TokenLogprobs* lp) {
    choose_and_emit(s, [&] {
      // ops.h: -1 NaN, -2 all -inf
      if (token < 0) {
        throw std::runtime_error(token == -1 ? sampling::kErrorNaN : sampling::kErrorNoToken);
      }
      sampling::Sampled out;
      out.token = token;
      out.logprob = std::numeric_limits<float>::quiet_NaN();
      if (lp != nullptr) {
        out.logprob = lp->logprob;
        for (std::int32_t k = 0; k < lp->n_top; ++k)
          out.top.emplace_back(lp->top_ids[k], lp->top_logprobs[k]);
      }
      return out;
    });
  }

  void sample_and_emit(Sequence& s, std::span<float> row) {
    std::span<const std::int32_t> prompt(s.tokens.data(), static_cast<std::size_t>(s.prompt_len));
    std::span<const std::int32_t> generated(s.tokens.data() + s.prompt_len,
                                            static_cast<std::size_t>(s.generated()));
    choose_and_emit(s, [&] { return s.sampler.sample(row, prompt, generated, step_mask(s)); });
  }

  // One token for s, from the host sampler or the device alike: the grammar's error first, then
  // the choice's, finish the sequence; otherwise the grammar takes the token and it is emitted.
  template <typename Choose>
  void choose_and_emit(Sequence& s, Choose&& choose) {
    sampling::Sampled out;
    bool constraint_done = false;
    try {
      if (!s.constraint_error.empty()) throw std::runtime_error(s.constraint_error);
      out = choose();
      constraint_done = constraint_accept(s, out.token);
    } catch (const std::exception& e) {
      finish(s, FinishReason::error, e.what());
      return;
    }
    emit(s, std::move(out), constraint_done);
  }

  void emit(Sequence& s, sampling::Sampled out, bool constraint_done = false) {
    s.tokens.push_back(out.token);
    Event ev;
    TokenOut t;
    t.token = out.token;
    t.logprob = out.logprob;
    for (auto& [id, lp] : out.top) t.top.push_back({id, lp});
    ev.tokens.push_back(std::move(t));

    const bool is_eos =
        !s.request.ignore_eos && std::find(eos_.begin(), eos_.end(), out.token) != eos_.end();
    const bool is_stop = std::find(s.request.stop_token_ids.begin(), s.request.stop_token_ids.end(),
                                   out.token) != s.request.stop_token_ids.end();
    FinishReason reason = FinishReason::none;
    if (is_eos || is_stop || constraint_done)
      reason = FinishReason::stop;
    else if (s.generated() >= s.request.max_tokens)
      reason = FinishReason::length;
    else if (static_cast<int>(s.tokens.size()) >= model_.info().max_model_len)
      reason = FinishReason::length;
    if (reason == FinishReason::none) {
      s.stream->push(std::move(ev));
      return;
    }
    s.done = true;
    release_blocks(s);
    ev.finish = reason;
    ev.prompt_tokens = s.prompt_len;
    ev.cached_tokens = s.cached_prompt_tokens;
    ev.completion_tokens = s.generated();
    ev.draft_tokens = s.draft_proposed;
    ev.draft_tokens_accepted = s.draft_accepted;
    s.stream->push(std::move(ev));
  }

  EngineOptions options_;
  Model model_;
  std::unique_ptr<KvPool> pool_;
  std::unique_ptr<Speculation> spec_;
  std::vector<std::int32_t> eos_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<SeqPtr> incoming_;
  std::size_t waiting_count_ = 0;
  Metrics metrics_;
  std::uint64_t next_id_ = 1;

  // Engine thread only.
  std::deque<SeqPtr> waiting_;
  std::vector<SeqPtr> running_;
  std::vector<std::int32_t> tokens_, positions_, logit_rows_;
  std::vector<sdk::AttentionSeq> seqs_;
  std::vector<float> logits_;
  std::vector<std::int32_t> device_tokens_;  // a step's tokens chosen on the device
  std::vector<sdk::DeviceSampler::Row> device_rows_;
  std::vector<sdk::DeviceSampler::LogitEdit> device_edits_;  // a step's logit edits
  std::vector<sampling::LogitEdit> row_edits_;               // one row's, as the sampler gives them
  bool device_extras_ = false;            // the device step computes logprobs or applies masks
  std::vector<std::int32_t> device_top_;  // each row's logprob alternatives (-1: none)
  std::vector<sdk::DeviceSampler::TokenLogprobs> device_logprobs_;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Engine> Engine::load(const EngineOptions& options, registry::Registry& registry) {
  return std::make_unique<EngineImpl>(options, registry);
}

}  // namespace rmlx::engine
