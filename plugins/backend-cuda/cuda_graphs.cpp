// Decode steps as CUDA graphs. A step where every sequence adds one token is
// recorded once per (batch size, key-range bucket, KV pool): while recording,
// the ops read the step's inputs (tokens, positions, logit rows, attention
// tables) from one fixed pinned buffer whose device twin the graph refreshes
// with a single copy, scratch comes from memory the graph owns, and the logits
// land in pinned memory. A later step of the same shape only rewrites the
// pinned inputs and launches the graph: no op runs on the host, and the one
// synchronisation is the step's end.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "cuda_graphs.h"
#include "rmlx/kernels_cuda/sampling.h"

namespace rmlx::backend_cuda {

namespace {

constexpr std::size_t kMaxGraphs = 16;
constexpr int kKeysPerBucket = 256;  // the attention kernels' keys per split

// Thrown while recording when an op meets something a replay could not
// reproduce; the step then runs without a graph.
struct NotRecordable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

bool CudaOps::decode_only(const sdk::ForwardBatch& b) {
  const std::size_t n = b.seqs.size();
  if (n == 0 || b.tokens.size() != n || b.positions.size() != n || b.logit_rows.size() != n ||
      b.layers != 0 || b.kv.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto& s = b.seqs[i];
    if (s.n_rows != 1 || s.first_row != static_cast<std::int32_t>(i) ||
        b.logit_rows[i] != static_cast<std::int32_t>(i) || b.positions[i] != s.start_pos) {
      return false;
    }
  }
  return true;
}

CudaOps::StepKey CudaOps::step_key(const sdk::ForwardBatch& b, bool greedy, bool sampled) const {
  int max_keys = 0;
  for (const auto& s : b.seqs) max_keys = std::max(max_keys, s.start_pos + 1);
  StepKey k;
  k.batch = b.seqs.size();
  k.greedy = greedy;
  k.sampled = sampled;
  k.key_blocks = (max_keys + kKeysPerBucket - 1) / kKeysPerBucket;
  k.kv = b.kv[0].k_blocks;
  return k;
}

std::size_t CudaOps::pack_attention(std::span<const sdk::AttentionSeq> seqs, int n_rows,
                                    std::int32_t* h) {
  const std::size_t n_seq_ints = seqs.size() * 4;
  std::fill(h + n_seq_ints, h + n_seq_ints + n_rows, 0);
  std::size_t off = 0;
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    const auto& s = seqs[i];
    h[4 * i] = s.first_row;
    h[4 * i + 1] = s.n_rows;
    h[4 * i + 2] = s.start_pos;
    h[4 * i + 3] = static_cast<std::int32_t>(off);
    for (int r = 0; r < s.n_rows; ++r)
      h[n_seq_ints + s.first_row + r] = static_cast<std::int32_t>(i);
    std::copy(s.block_table.begin(), s.block_table.end(), h + n_seq_ints + n_rows + off);
    off += s.block_table.size();
  }
  return n_seq_ints + static_cast<std::size_t>(n_rows) + off;
}

CudaOps::StepGraph& CudaOps::graph_for(const StepKey& key, const sdk::ForwardBatch& b,
                                       std::size_t out_bytes) {
  for (auto& g : graphs_) {
    if (g->key == key) return *g;
  }
  if (graphs_.size() >= kMaxGraphs) {
    for (auto start : graphs_.front()->arena_starts) uploads_.erase(start);
    graphs_.erase(graphs_.begin());
  }
  auto g = std::make_unique<StepGraph>();
  g->key = key;
  const std::size_t n = key.batch;
  const int bs = std::max(1, b.kv[0].block_size);
  // Tables for the bucket's longest key range, plus slack for blocks the
  // engine reserved ahead.
  const std::size_t per_seq =
      static_cast<std::size_t>((key.key_blocks * kKeysPerBucket + bs - 1) / bs) + 4;
  g->off_positions = n;
  g->off_rows = 2 * n;
  g->off_attn = 3 * n;
  g->table_cap = n * per_seq;
  g->off_sampling = g->off_attn + 5 * n + g->table_cap;
  g->n_ints = g->off_sampling + 8 * n;
  void* h = nullptr;
  check(cudaHostAlloc(&h, g->n_ints * sizeof(std::int32_t), cudaHostAllocDefault), "cudaHostAlloc");
  g->host_in.reset(h);
  void* d = nullptr;
  check(cudaMalloc(&d, g->n_ints * sizeof(std::int32_t)), "cudaMalloc");
  g->dev_in.reset(d);
  g->logits_bytes = out_bytes;
  check(cudaHostAlloc(&h, std::max<std::size_t>(g->logits_bytes, 4), cudaHostAllocDefault),
        "cudaHostAlloc");
  g->host_logits.reset(h);
  graphs_.push_back(std::move(g));
  return *graphs_.back();
}

void CudaOps::fill_inputs(StepGraph& g, const sdk::ForwardBatch& b) {
  std::int32_t* in = g.in();
  std::copy(b.tokens.begin(), b.tokens.end(), in);
  std::copy(b.positions.begin(), b.positions.end(), in + g.off_positions);
  std::copy(b.logit_rows.begin(), b.logit_rows.end(), in + g.off_rows);
  pack_attention(b.seqs, static_cast<int>(b.seqs.size()), in + g.off_attn);
  if (g.key.sampled) std::copy(step_sampling_.begin(), step_sampling_.end(), in + g.off_sampling);
}

const std::int32_t* CudaOps::recorded_input(std::span<const std::int32_t> v) {
  StepGraph& g = *recording_;
  const sdk::ForwardBatch& b = *step_batch_;
  std::size_t off = 0;
  if (v.data() == b.tokens.data() && v.size() == b.tokens.size()) {
    off = 0;
  } else if (v.data() == b.positions.data() && v.size() == b.positions.size()) {
    off = g.off_positions;
  } else if (v.data() == b.logit_rows.data() && v.size() == b.logit_rows.size()) {
    off = g.off_rows;
  } else {
    throw NotRecordable("an op read ints that are not the step's inputs");
  }
  std::copy(v.begin(), v.end(), g.in() + off);
  return g.dev() + off;
}

const std::int32_t* CudaOps::recorded_attention(std::span<const sdk::AttentionSeq> seqs, int n_rows,
                                                std::size_t table_len) {
  StepGraph& g = *recording_;
  const sdk::ForwardBatch& b = *step_batch_;
  if (seqs.data() != b.seqs.data() || seqs.size() != b.seqs.size() || table_len > g.table_cap) {
    throw NotRecordable("attention over sequences that are not the step's");
  }
  if (!g.attn_packed) {
    pack_attention(seqs, n_rows, g.in() + g.off_attn);
    g.attn_packed = true;
  }
  return g.dev() + g.off_attn;
}

void* CudaOps::graph_scratch(std::size_t bytes) {
  StepGraph& g = *recording_;
  void* p = nullptr;
  check(cudaMalloc(&p, std::max<std::size_t>(bytes, 256)), "cudaMalloc");
  g.arena.emplace_back(p);
  const auto start = reinterpret_cast<std::uintptr_t>(p);
  g.arena_starts.push_back(start);
  uploads_[start] = std::max<std::size_t>(bytes, 1);
  return p;
}

void CudaOps::record_host_output(std::size_t bytes, const void* device) {
  StepGraph& g = *recording_;
  if (bytes != g.logits_bytes || g.logits_recorded) {
    throw NotRecordable("a host output other than the step's logits or tokens");
  }
  check(
      cudaMemcpyAsync(g.host_logits.get(), device, g.logits_bytes, cudaMemcpyDeviceToHost, stream_),
      "copy logits");
  g.logits_recorded = true;
}

void CudaOps::record(StepGraph& g, const std::function<void()>& forward) {
  recording_ = &g;
  g.attn_packed = false;
  g.logits_recorded = false;
  check(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed), "cudaStreamBeginCapture");
  cudaGraph_t graph = nullptr;
  try {
    check(cudaMemcpyAsync(g.dev(), g.in(), g.n_ints * sizeof(std::int32_t), cudaMemcpyHostToDevice,
                          stream_),
          "copy step inputs");
    forward();
    flush_pending();
    if (!g.logits_recorded) throw NotRecordable("the step wrote no logits");
  } catch (...) {
    pending_.clear();
    recording_ = nullptr;
    cudaStreamEndCapture(stream_, &graph);
    if (graph != nullptr) cudaGraphDestroy(graph);
    cudaGetLastError();
    throw;
  }
  recording_ = nullptr;
  check(cudaStreamEndCapture(stream_, &graph), "cudaStreamEndCapture");
  const cudaError_t e = cudaGraphInstantiate(&g.exec, graph, 0);
  cudaGraphDestroy(graph);
  check(e, "cudaGraphInstantiate");
}

void CudaOps::replay(StepGraph& g, void* host_out) {
  prof_->step_begin(stream_);
  check(cudaGraphLaunch(g.exec, stream_), "cudaGraphLaunch");
  prof_->step_end(stream_);
  synchronize();
  std::memcpy(host_out, g.host_logits.get(), g.logits_bytes);
}

void CudaOps::run_forward(const sdk::ForwardBatch& batch, sdk::Tensor& logits,
                          const std::function<void()>& forward) {
  if (on_device(logits.data)) {
    prof_->step_other();
    forward();
    flush_pending();
    return;
  }
  run_step(batch, logits.data, logits.nbytes(), false, false, forward);
}

void CudaOps::run_forward_greedy(const sdk::ForwardBatch& batch, std::int64_t vocab,
                                 std::span<std::int32_t> tokens,
                                 const std::function<void(sdk::Tensor& logits)>& forward) {
  if (tokens.size() != batch.logit_rows.size() || vocab <= 0) {
    throw std::invalid_argument("cuda: run_forward_greedy: " + std::to_string(tokens.size()) +
                                " token slots for " + std::to_string(batch.logit_rows.size()) +
                                " logits rows");
  }
  const auto rows = static_cast<std::int64_t>(tokens.size());
  run_step(batch, tokens.data(), tokens.size_bytes(), true, false, [&] {
    sdk::Tensor logits = scratch(sdk::DType::f32, {rows, vocab});
    forward(logits);
    flush_pending();  // the output layer may still wait (a deferred GEMV)
    // Ids in a float-sized scratch slot: the arena hands out f32 tensors.
    sdk::Tensor ids = scratch(sdk::DType::f32, {rows});
    auto* d_ids = static_cast<std::int32_t*>(ids.data);
    const int slot = prof_->op_begin(stream_);
    const std::int64_t n_part = 2 * rows * kernels_cuda::argmax_blocks(vocab);
    sdk::Tensor part = scratch(sdk::DType::f32, {n_part});
    kernels_cuda::greedy_argmax(logits.as<const float>(), rows, vocab, d_ids, stream_, part.data,
                                rows <= kTickets ? tickets() : nullptr);
    prof_->op_end(slot, stream_, "greedy argmax");
    host_output(tokens.data(), d_ids, tokens.size_bytes());
  });
}

void CudaOps::run_forward_sample(const sdk::ForwardBatch& batch, std::int64_t vocab,
                                 std::span<const Row> rows, std::span<std::int32_t> tokens,
                                 const std::function<void(sdk::Tensor& logits)>& forward) {
  run_forward_sample_edited(batch, vocab, rows, {}, tokens, forward);
}

void CudaOps::run_forward_sample_edited(const sdk::ForwardBatch& batch, std::int64_t vocab,
                                        std::span<const Row> rows, std::span<const LogitEdit> edits,
                                        std::span<std::int32_t> tokens,
                                        const std::function<void(sdk::Tensor& logits)>& forward) {
  for (const LogitEdit& e : edits) {
    if (e.row < 0 || static_cast<std::size_t>(e.row) >= tokens.size() || e.token < 0 ||
        e.token >= vocab) {
      throw std::invalid_argument("cuda: logit edit of row " + std::to_string(e.row) + ", token " +
                                  std::to_string(e.token) + " outside " +
                                  std::to_string(tokens.size()) + " rows of " +
                                  std::to_string(vocab));
    }
  }
  if (tokens.size() != batch.logit_rows.size() || rows.size() != tokens.size() || vocab <= 0) {
    throw std::invalid_argument("cuda: run_forward_sample: " + std::to_string(rows.size()) +
                                " parameter rows and " + std::to_string(tokens.size()) +
                                " token slots for " + std::to_string(batch.logit_rows.size()) +
                                " logits rows");
  }
  const auto n = static_cast<std::int64_t>(tokens.size());
  step_sampling_.resize(8 * tokens.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    kernels_cuda::RowSampling r;
    r.temperature = rows[i].temperature;
    r.top_p = rows[i].top_p;
    r.min_p = rows[i].min_p;
    r.top_k = rows[i].top_k;
    r.seed_lo = static_cast<std::uint32_t>(rows[i].seed);
    r.seed_hi = static_cast<std::uint32_t>(rows[i].seed >> 32);
    r.counter_lo = static_cast<std::uint32_t>(rows[i].counter);
    r.counter_hi = static_cast<std::uint32_t>(rows[i].counter >> 32);
    std::memcpy(step_sampling_.data() + 8 * i, &r, sizeof r);
  }
  // Edited steps run plainly; the flag ends with the step, also when it throws.
  struct PlainStep {
    bool& on;
    ~PlainStep() { on = false; }
  } plain{plain_step_};
  plain_step_ = !edits.empty();
  run_step(batch, tokens.data(), tokens.size_bytes(), true, true, [&] {
    sdk::Tensor logits = scratch(sdk::DType::f32, {n, vocab});
    forward(logits);
    flush_pending();  // the output layer may still wait (a deferred GEMV)
    const std::int32_t* params = nullptr;
    if (recording_ != nullptr) {
      std::copy(step_sampling_.begin(), step_sampling_.end(),
                recording_->in() + recording_->off_sampling);
      params = recording_->dev() + recording_->off_sampling;
    } else {
      params = to_device(step_sampling_);
    }
    if (!edits.empty()) {
      // The edits change from step to step: such steps run plainly (see run_step).
      static_assert(sizeof(kernels_cuda::LogitEditDev) == 6 * sizeof(std::int32_t));
      step_edits_.resize(6 * edits.size());
      for (std::size_t i = 0; i < edits.size(); ++i) {
        const kernels_cuda::LogitEditDev d{edits[i].row,        edits[i].token,    edits[i].bias,
                                           edits[i].repetition, edits[i].subtract, edits[i].flags};
        std::memcpy(step_edits_.data() + 6 * i, &d, sizeof d);
      }
      const auto* d_edits =
          reinterpret_cast<const kernels_cuda::LogitEditDev*>(to_device(step_edits_));
      const int eslot = prof_->op_begin(stream_);
      kernels_cuda::apply_logit_edits(logits.as<float>(), vocab, d_edits,
                                      static_cast<std::int64_t>(edits.size()), stream_);
      prof_->op_end(eslot, stream_, "logit bias and penalties");
    }
    sdk::Tensor ids = scratch(sdk::DType::f32, {n});
    auto* d_ids = static_cast<std::int32_t*>(ids.data);
    const int slot = prof_->op_begin(stream_);
    kernels_cuda::sample_rows(logits.as<const float>(), n, vocab,
                              reinterpret_cast<const kernels_cuda::RowSampling*>(params), d_ids,
                              stream_);
    prof_->op_end(slot, stream_, "sample (temperature / top-k / top-p / min-p)");
    host_output(tokens.data(), d_ids, tokens.size_bytes());
  });
  step_sampling_.clear();
}

void CudaOps::run_step(const sdk::ForwardBatch& batch, void* host_out, std::size_t out_bytes,
                       bool greedy, bool sampled, const std::function<void()>& forward) {
  if (!graphs_enabled_ || plain_step_ || !decode_only(batch)) {
    const bool timed = decode_only(batch);
    if (timed) {
      prof_->step_begin(stream_);
    } else {
      prof_->step_other();
    }
    forward();
    flush_pending();
    if (timed) prof_->step_end(stream_);
    return;
  }
  const StepKey key = step_key(batch, greedy, sampled);
  StepGraph& g = graph_for(key, batch, out_bytes);
  std::size_t tables = 0;
  for (const auto& s : batch.seqs) tables += s.block_table.size();
  if (!g.recordable || tables > g.table_cap || out_bytes != g.logits_bytes || g.plain_runs++ == 0) {
    prof_->step_other();
    forward();
    flush_pending();
    return;
  }
  if (g.exec == nullptr) {
    prof_->step_other();
    step_batch_ = &batch;
    try {
      record(g, forward);
    } catch (const std::exception&) {
      // An op the graph cannot hold (or a failed capture): this shape runs
      // plainly from now on; a real error shows again in the plain run.
      g.recordable = false;
      forward();
      flush_pending();
      return;
    }
  }
  fill_inputs(g, batch);
  replay(g, host_out);
}

}  // namespace rmlx::backend_cuda
