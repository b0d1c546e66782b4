#include "rmlx/embed/embedder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "encoder_model.h"
#include "rmlx/embed/pooling.h"

namespace rmlx::embed {

namespace {

// One caller's inputs; finished when every input has its vector.
struct Job {
  std::vector<std::vector<std::int32_t>> inputs;
  std::vector<std::vector<float>> out;
  std::size_t next = 0;  // first input not yet scheduled
  std::size_t done = 0;
  bool failed = false;
  std::promise<void> finished;
};

class EmbedderImpl final : public Embedder {
 public:
  EmbedderImpl(const EmbedderOptions& options, registry::Registry& registry)
      : options_(options),
        tokenizer_(tokenizer::Tokenizer::from_dir(options.model_dir)),
        model_(options.model_dir, options.backend, options.threads, registry) {
    if (!model_.encoder()) {
      throw std::runtime_error(options.model_dir + ": " + model_.snapshot().architecture() +
                               " keeps a cache per layer; its plugin cannot give embeddings");
    }
    const auto& config = model_.snapshot().config();
    info_.sentence = read_sentence_config(options.model_dir, config);
    info_.id = std::filesystem::path(options.model_dir).lexically_normal().filename().string();
    if (info_.id.empty()) {
      info_.id = std::filesystem::path(options.model_dir)
                     .lexically_normal()
                     .parent_path()
                     .filename()
                     .string();
    }
    info_.architecture = model_.snapshot().architecture();
    info_.dimensions = static_cast<int>(model_.arch().vocab_size());
    const int positions = config.value("max_position_embeddings", 512);
    info_.max_tokens = info_.sentence.max_seq_length > 0
                           ? std::min(info_.sentence.max_seq_length, positions)
                           : positions;
    info_.vocab_size =
        config.value("vocab_size", static_cast<std::int64_t>(tokenizer_.vocab_size()));
    find_special_tokens();
    worker_ = std::thread([this] { run(); });
  }

  ~EmbedderImpl() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  const EmbedderInfo& info() const override { return info_; }
  const tokenizer::Tokenizer& tokenizer() const override { return tokenizer_; }

  std::vector<std::int32_t> tokenize(std::string_view text, bool truncate) const override {
    return wrap(tokenizer_.encode(text, false), truncate);
  }

  std::vector<std::int32_t> wrap_ids(std::vector<std::int32_t> ids, bool truncate) const override {
    for (std::int32_t id : ids) {
      if (id < 0 || id >= info_.vocab_size) {
        throw std::out_of_range("token id " + std::to_string(id) +
                                " is outside the vocabulary [0, " +
                                std::to_string(info_.vocab_size) + ")");
      }
    }
    return wrap(std::move(ids), truncate);
  }

  std::vector<std::vector<float>> embed(std::vector<std::vector<std::int32_t>> inputs) override {
    if (inputs.empty()) return {};
    for (const auto& in : inputs) {
      if (in.empty()) throw std::invalid_argument("embed: an input has no tokens");
      if (static_cast<int>(in.size()) > info_.max_tokens) {
        throw std::length_error("embed: an input has " + std::to_string(in.size()) +
                                " tokens; the model takes at most " +
                                std::to_string(info_.max_tokens));
      }
    }
    auto job = std::make_shared<Job>();
    job->out.resize(inputs.size());
    job->inputs = std::move(inputs);
    auto fut = job->finished.get_future();
    {
      std::lock_guard lock(mu_);
      queue_.push_back(job);
    }
    cv_.notify_one();
    fut.get();
    return std::move(job->out);
  }

 private:
  // The special tokens the post-processor puts around a single sequence
  // ([CLS] ... [SEP] for BERT), found by encoding one word both ways.
  void find_special_tokens() {
    const auto plain = tokenizer_.encode("hello", false);
    const auto full = tokenizer_.encode("hello", true);
    auto it = std::search(full.begin(), full.end(), plain.begin(), plain.end());
    if (plain.empty() || it == full.end()) {
      throw std::runtime_error(options_.model_dir +
                               "/tokenizer.json: cannot tell where the special tokens go");
    }
    prefix_.assign(full.begin(), it);
    suffix_.assign(it + static_cast<std::ptrdiff_t>(plain.size()), full.end());
    if (static_cast<int>(prefix_.size() + suffix_.size()) >= info_.max_tokens) {
      throw std::runtime_error(options_.model_dir + ": max_seq_length leaves no room for text");
    }
  }

  std::vector<std::int32_t> wrap(std::vector<std::int32_t> content, bool truncate) const {
    const std::size_t room =
        static_cast<std::size_t>(info_.max_tokens) - prefix_.size() - suffix_.size();
    if (content.size() > room) {
      if (!truncate) {
        throw std::length_error(
            "the input has " + std::to_string(content.size() + prefix_.size() + suffix_.size()) +
            " tokens; the model takes at most " + std::to_string(info_.max_tokens));
      }
      content.resize(room);
    }
    std::vector<std::int32_t> ids;
    ids.reserve(prefix_.size() + content.size() + suffix_.size());
    ids.insert(ids.end(), prefix_.begin(), prefix_.end());
    ids.insert(ids.end(), content.begin(), content.end());
    ids.insert(ids.end(), suffix_.begin(), suffix_.end());
    return ids;
  }

  struct Item {
    std::shared_ptr<Job> job;
    std::size_t index;
  };

  // Takes inputs in arrival order until the batch is full.
  std::vector<Item> take_batch() {
    std::vector<Item> batch;
    std::int64_t tokens = 0;
    while (!queue_.empty()) {
      auto& job = queue_.front();
      while (job->next < job->inputs.size()) {
        const auto len = static_cast<std::int64_t>(job->inputs[job->next].size());
        if (!batch.empty() && (tokens + len > options_.max_batch_tokens ||
                               static_cast<int>(batch.size()) >= options_.max_batch_inputs)) {
          return batch;
        }
        batch.push_back({job, job->next++});
        tokens += len;
      }
      queue_.pop_front();
    }
    return batch;
  }

  void run() {
    for (;;) {
      std::vector<Item> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (stop_ && queue_.empty()) return;
        batch = take_batch();
      }
      std::exception_ptr error;
      std::vector<std::vector<float>> vectors;
      try {
        vectors = forward(batch);
      } catch (...) {
        error = std::current_exception();
      }
      for (std::size_t i = 0; i < batch.size(); ++i) {
        Job& job = *batch[i].job;
        if (error) {
          if (!job.failed) {
            job.failed = true;
            // Inputs of this job still queued are dropped with it.
            std::lock_guard lock(mu_);
            job.next = job.inputs.size();
            std::erase_if(queue_, [&](const auto& j) { return j.get() == &job; });
            job.finished.set_exception(error);
          }
          continue;
        }
        if (job.failed) continue;
        job.out[batch[i].index] = std::move(vectors[i]);
        if (++job.done == job.inputs.size()) job.finished.set_value();
      }
    }
  }

  std::vector<std::vector<float>> forward(const std::vector<Item>& batch) {
    tokens_.clear();
    positions_.clear();
    seqs_.clear();
    for (const Item& it : batch) {
      const auto& ids = it.job->inputs[it.index];
      sdk::AttentionSeq s;
      s.first_row = static_cast<std::int32_t>(tokens_.size());
      s.n_rows = static_cast<std::int32_t>(ids.size());
      seqs_.push_back(s);
      tokens_.insert(tokens_.end(), ids.begin(), ids.end());
      for (std::int32_t p = 0; p < s.n_rows; ++p) positions_.push_back(p);
    }
    const auto n = static_cast<std::int64_t>(tokens_.size());
    rows_.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
      rows_[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i);
    sdk::ForwardBatch fb;
    fb.tokens = tokens_;
    fb.positions = positions_;
    fb.seqs = seqs_;
    fb.logit_rows = rows_;
    sdk::Ops& ops = model_.ops();
    ops.begin_step();
    const std::int64_t dim = info_.dimensions;
    sdk::Tensor out = ops.scratch(sdk::DType::f32, {n, dim});
    model_.arch().forward(fb, ops, out);
    const float* states = out.as<const float>();
    std::vector<std::vector<float>> vectors;
    vectors.reserve(batch.size());
    for (const auto& s : seqs_) {
      vectors.push_back(pool(std::span<const float>(states + s.first_row * dim,
                                                    static_cast<std::size_t>(s.n_rows * dim)),
                             s.n_rows, dim, info_.sentence.pooling, info_.sentence.normalize));
    }
    return vectors;
  }

  EmbedderOptions options_;
  tokenizer::Tokenizer tokenizer_;
  EncoderModel model_;
  EmbedderInfo info_;
  std::vector<std::int32_t> prefix_, suffix_;
  // Worker-thread state.
  std::vector<std::int32_t> tokens_, positions_, rows_;
  std::vector<sdk::AttentionSeq> seqs_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace

std::unique_ptr<Embedder> Embedder::load(const EmbedderOptions& options,
                                         registry::Registry& registry) {
  if (options.max_batch_tokens <= 0 || options.max_batch_inputs <= 0) {
    throw std::invalid_argument("embedder: max_batch_tokens and max_batch_inputs must be positive");
  }
  return std::make_unique<EmbedderImpl>(options, registry);
}

}  // namespace rmlx::embed
