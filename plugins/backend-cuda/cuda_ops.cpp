#include "cuda_ops.h"

#include "cuda_graphs.h"

#include <rmlx/sdk/kv_codec.h>
#include <rmlx/sdk/weight_format.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "../backend-cpu/rope_params.h"
#include "rmlx/kernels/rope.h"
#include "rmlx/kernels_cuda/affine_batch.h"
#include "rmlx/kernels_cuda/flash_prefill.h"

namespace rmlx::backend_cuda {

namespace kc = kernels_cuda;

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    throw std::runtime_error(std::string("cuda: ") + what + ": " + cudaGetErrorString(e));
  }
}

namespace {

kc::WType wtype(const sdk::Tensor& t, const char* what) {
  switch (t.dtype) {
    case sdk::DType::f32:
      return kc::WType::f32;
    case sdk::DType::f16:
      return kc::WType::f16;
    case sdk::DType::bf16:
      return kc::WType::bf16;
    default:
      throw std::invalid_argument(std::string("cuda: ") + what + " must be F32, F16 or BF16, got " +
                                  std::string(sdk::dtype_name(t.dtype)));
  }
}

void require_f32(const sdk::Tensor& t, const char* what) {
  if (t.dtype != sdk::DType::f32) {
    throw std::invalid_argument(std::string("cuda: ") + what + " must be F32 activations");
  }
}

DeviceBuffer device_alloc(std::size_t bytes) {
  void* p = nullptr;
  check(cudaMalloc(&p, std::max<std::size_t>(bytes, 256)), "cudaMalloc");
  return DeviceBuffer(p);
}

using AffineBindFn = std::unique_ptr<sdk::LinearWeight> (*)(const sdk::PackedWeight&,
                                                            const sdk::QuantSpec&, sdk::Ops&);

std::unique_ptr<sdk::LinearWeight> affine_bind_entry(const sdk::PackedWeight& w,
                                                     const sdk::QuantSpec& spec, sdk::Ops& ops) {
  auto* cuda = dynamic_cast<CudaOps*>(&ops);
  if (cuda == nullptr) throw std::logic_error("cuda: affine bind on another backend");
  return bind_affine(w.weight, w.scales, w.biases, w.bias, spec.bits, spec.group_size, *cuda);
}

AffineBindFn affine_bind_fn = &affine_bind_entry;

std::string weight_label(const kc::WeightView& w) {
  std::string t = w.bits > 0
                      ? "affine" + std::to_string(w.bits) + ":" + std::to_string(w.group_size)
                  : w.type == kc::WType::f32 ? "f32"
                  : w.type == kc::WType::f16 ? "f16"
                                             : "bf16";
  return t + " " + std::to_string(w.rows) + "x" + std::to_string(w.cols);
}

}  // namespace

CudaOps::CudaOps(int device_index)
    : prof_(std::make_unique<OpProfiler>(OpProfiler::mode_from_env())),
      device_index_(device_index) {
  // RMLX_CUDA_AFFINE_TENSOR_ROWS=N: affine linears of N rows and more take the
  // tensor-core path (for comparisons against the default threshold). Read before any
  // resource is created, so a bad value leaks nothing.
  if (const char* r = std::getenv("RMLX_CUDA_AFFINE_TENSOR_ROWS")) {
    const long rows = std::strtol(r, nullptr, 10);
    if (rows < 1) {
      throw std::invalid_argument(
          std::string("cuda: RMLX_CUDA_AFFINE_TENSOR_ROWS must be a positive row count, got '") +
          r + "'");
    }
    gemm_.set_min_rows_affine(rows);
  }
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    throw std::runtime_error(std::string("cuda: no usable GPU: ") + cudaGetErrorString(e));
  }
  if (device_index < 0 || device_index >= count) {
    throw std::runtime_error("cuda: device " + std::to_string(device_index) + " requested, " +
                             std::to_string(count) + " present");
  }
  check(cudaSetDevice(device_index), "cudaSetDevice");
  check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  // Comparison switches, on unless set to "0" (RMLX_CUDA_GRAPHS=0 runs every step op
  // by op).
  const auto on = [](const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr || std::string_view(v) != "0";
  };
  fuse_ = on("RMLX_CUDA_FUSE");
  fuse_norm_ = fuse_ && on("RMLX_CUDA_FUSE_NORM");
  prep_early_ = on("RMLX_CUDA_PREP_EARLY");
  device_sampling_ = on("RMLX_CUDA_SAMPLING");
  graphs_enabled_ = on("RMLX_CUDA_GRAPHS") && prof_->mode() != OpProfiler::Mode::ops;
  void* counters = nullptr;
  check(cudaMalloc(&counters, kGluCounters * sizeof(unsigned)), "cudaMalloc");
  glu_counters_.reset(counters);
  check(cudaMemset(counters, 0, kGluCounters * sizeof(unsigned)), "cudaMemset");
}

CudaOps::~CudaOps() {
  prof_.reset();  // prints its table while the device is still ours
  if (stream_ != nullptr) {
    cudaStreamSynchronize(stream_);
    graphs_.clear();
    cudaStreamDestroy(stream_);
  }
}

void* CudaOps::native(std::string_view key) {
  if (key == "cuda.stream") {
    flush_pending();  // a plugin's own kernels follow on the stream
    return &stream_;
  }
  if (key == "affine.bind") return &affine_bind_fn;
  if (key == sdk::kDeviceSamplerKey && device_sampling_) {
    return static_cast<sdk::DeviceSampler*>(this);
  }
  if (key == sdk::kSharedDenseLinearKey && shared_linear_enabled()) {
    return static_cast<sdk::SharedDenseLinear*>(this);
  }
  return nullptr;
}

void CudaOps::synchronize() {
  flush_pending();
  check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
}

sdk::Tensor CudaOps::upload(const sdk::Tensor& host) {
  sdk::Tensor t = host;
  const std::size_t bytes = host.nbytes();
  DeviceBuffer buf = device_alloc(bytes);
  if (host.data != nullptr && bytes > 0) {
    check(cudaMemcpy(buf.get(), host.data, bytes, cudaMemcpyHostToDevice), "upload");
  } else {
    check(cudaMemset(buf.get(), 0, bytes), "upload");
  }
  t.data = buf.get();
  t.device = device();
  uploads_[reinterpret_cast<std::uintptr_t>(buf.get())] = std::max<std::size_t>(bytes, 1);
  owned_.push_back(std::move(buf));
  return t;
}

sdk::Tensor CudaOps::scratch(sdk::DType dtype, std::vector<std::int64_t> shape) {
  sdk::Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.device = device();
  const std::size_t bytes = (t.nbytes() + 255) / 256 * 256;
  if (recording_ != nullptr) {
    t.data = graph_scratch(bytes);
    return t;
  }
  if (next_chunk_ == chunks_.size()) chunks_.emplace_back();
  Chunk& c = chunks_[next_chunk_++];
  if (c.bytes < bytes) {
    // The chunk may still be read by queued kernels of this step.
    if (c.data) retired_.push_back(std::move(c.data));
    c.data = device_alloc(bytes);
    c.bytes = bytes;
  }
  t.data = c.data.get();
  return t;
}

void CudaOps::begin_step() {
  pending_.clear();  // a step that failed part-way leaves ops that must not run
  synchronize();
  next_chunk_ = 0;
  glu_cursor_ = 0;
  ints_used_ = 0;
  last_src_ = nullptr;
  retired_.clear();
}

bool CudaOps::on_device(const void* p) const {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  for (const auto& c : chunks_) {
    const auto s = reinterpret_cast<std::uintptr_t>(c.data.get());
    if (c.data && a >= s && a < s + c.bytes) return true;
  }
  auto it = uploads_.upper_bound(a);
  if (it == uploads_.begin()) return false;
  --it;
  return a < it->first + it->second;
}

void CudaOps::require_device(const sdk::Tensor& t, const char* what) const {
  if (!on_device(t.data)) {
    throw std::invalid_argument(std::string("cuda: ") + what +
                                " is not in this backend's device memory");
  }
}

std::int32_t* CudaOps::stage(std::size_t n, const std::int32_t** device_copy) {
  if (recording_ != nullptr) throw std::runtime_error("cuda: staging while recording a step");
  const std::size_t need = (n + 63) / 64 * 64;
  if (ints_used_ + need > ints_cap_) {
    // Earlier copies of this step stay valid: the old device buffer is retired.
    synchronize();
    const std::size_t cap = std::max<std::size_t>(1 << 20, 2 * (ints_cap_ + need));
    void* h = nullptr;
    check(cudaHostAlloc(&h, cap * sizeof(std::int32_t), cudaHostAllocDefault), "cudaHostAlloc");
    host_ints_.reset(h);
    if (dev_ints_) retired_.push_back(std::move(dev_ints_));
    dev_ints_ = device_alloc(cap * sizeof(std::int32_t));
    ints_cap_ = cap;
    ints_used_ = 0;
  }
  auto* h = static_cast<std::int32_t*>(host_ints_.get()) + ints_used_;
  *device_copy = static_cast<const std::int32_t*>(dev_ints_.get()) + ints_used_;
  ints_used_ += need;
  return h;
}

const std::int32_t* CudaOps::to_device(std::span<const std::int32_t> v) {
  if (recording_ != nullptr) return recorded_input(v);
  if (v.data() == last_src_ && v.size() == last_len_ && last_copy_ != nullptr &&
      std::equal(v.begin(), v.end(), last_host_)) {
    return last_copy_;
  }
  const std::int32_t* d = nullptr;
  std::int32_t* h = stage(v.size(), &d);
  last_host_ = h;
  std::copy(v.begin(), v.end(), h);
  check(cudaMemcpyAsync(const_cast<std::int32_t*>(d), h, v.size_bytes(), cudaMemcpyHostToDevice,
                        stream_),
        "copy to device");
  last_src_ = v.data();
  last_len_ = v.size();
  last_copy_ = d;
  return d;
}

template <typename Op>
void CudaOps::into(sdk::Tensor& out, Op&& op) {
  if (on_device(out.data)) {
    op(out.as<float>());
    return;
  }
  sdk::Tensor tmp = scratch(out.dtype, out.shape);
  op(tmp.as<float>());
  host_output(out.data, tmp.data, out.nbytes());
}

void CudaOps::host_output(void* host, const void* device, std::size_t bytes) {
  flush_pending();
  if (recording_ != nullptr) {
    record_host_output(bytes, device);
    return;
  }
  const int slot = prof_->op_begin(stream_);
  check(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, stream_), "copy to host");
  prof_->op_end(slot, stream_, "copy output to host (" + std::to_string(bytes) + " B)");
  synchronize();
}

void CudaOps::linear(const kc::WeightView& w, const sdk::Tensor* bias, const sdk::Tensor& x,
                     sdk::Tensor& y) {
  require_f32(x, "linear input");
  require_f32(y, "linear output");
  require_device(x, "linear input");
  const std::int64_t n = x.numel() / w.cols;
  if (x.numel() != n * w.cols || y.numel() != n * w.rows) {
    throw std::invalid_argument("cuda: linear shapes disagree");
  }
  const bool row_on_device = n == 1 && bias == nullptr && on_device(y.data);
  const bool after_attention = std::exchange(after_attention_, false);
  if (row_on_device && residual_chain_into(x.as<const float>())) {
    float* out = y.as<float>();
    if (run_residual_chain(std::span(&w, 1), std::span(&out, 1), nullptr)) return;
  }
  flush_pending();
  if (row_on_device && fuse_norm_ && kc::residual_norm_max_parts(w) > 0) {
    // May carry a residual add and norm that follow (run_residual_chain).
    PendingOp op;
    op.kind = PendingOp::Kind::linear1;
    op.lin = w;
    op.after_attention = after_attention;
    op.in = x.as<const float>();
    op.g = y.as<float>();
    pending_.push_back(op);
    return;
  }
  into(y, [&](float* out) {
    const int slot = prof_->op_begin(stream_);
    launch_linear(w, x.as<const float>(), n, out);
    if (bias != nullptr) {
      kc::add_bias(out, bias->data, wtype(*bias, "linear bias"), n, w.rows, stream_);
    }
    if (slot >= 0)
      prof_->op_end(slot, stream_, "linear " + weight_label(w) + " n=" + std::to_string(n));
  });
}

void CudaOps::launch_linear(const kc::WeightView& w, const float* x, std::int64_t n, float* y) {
  if (!affine_batch(std::span(&w, 1), x, n, std::span(&y, 1)) &&
      !gemm_.linear(w, x, n, y, stream_)) {
    kc::linear(w, x, n, y, stream_);
  }
}

bool CudaOps::affine_batch(std::span<const kc::WeightView> ws, const float* x, std::int64_t n,
                           std::span<float* const> ys) {
  for (const auto& w : ws) {
    if (!kc::affine_batch_applies(w, n) || w.cols != ws[0].cols ||
        w.group_size != ws[0].group_size || w.type != ws[0].type) {
      return false;
    }
  }
  const auto words = [](std::size_t b) { return static_cast<std::int64_t>((b + 3) / 4); };
  void* act = scratch(sdk::DType::f32, {words(kc::affine_batch_act_bytes(n, ws[0].cols))}).data;
  kc::affine_batch_prep(x, n, ws[0].cols, act, stream_);
  const int count = static_cast<int>(ws.size());
  kc::AffineBatchPlan plan = kc::affine_batch_plan(ws.data(), count, n);
  unsigned* t = plan.splits > 1 && plan.tickets <= kTickets ? tickets() : nullptr;
  // No counters yet while recording (or too many row tiles): one block per row tile.
  if (plan.splits > 1 && t == nullptr) plan = kc::affine_batch_plan(ws.data(), count, n, false);
  float* partial =
      plan.splits > 1 ? scratch(sdk::DType::f32, {words(plan.partial_bytes)}).as<float>() : nullptr;
  kc::affine_batch_run(ws.data(), count, n, act, ys.data(), plan, partial, t, stream_);
  return true;
}

bool CudaOps::linear_shared(std::span<const kc::WeightView> ws, const sdk::Tensor& x,
                            std::span<sdk::Tensor* const> ys) {
  if (ws.empty() || ws.size() != ys.size() ||
      ws.size() > static_cast<std::size_t>(kc::kMaxSharedLinear)) {
    return false;
  }
  require_f32(x, "linear input");
  require_device(x, "linear input");
  const std::int64_t n = x.numel() / ws[0].cols;
  if (n < 1 || x.numel() != n * ws[0].cols) return false;
  std::array<float*, kc::kMaxSharedLinear> out{};
  for (std::size_t i = 0; i < ws.size(); ++i) {
    require_f32(*ys[i], "linear output");
    if (ys[i]->numel() != n * ws[i].rows)
      throw std::invalid_argument("cuda: linear shapes disagree");
    if (!on_device(ys[i]->data)) return false;
    out[i] = ys[i]->as<float>();
  }
  after_attention_ = false;
  const bool gate_up = fuse_ && n == 1 && ws.size() == 2 && kc::linear_glu_applies(ws[0], ws[1]);
  const bool chain = n == 1 && residual_chain_into(x.as<const float>());
  if (chain && !gate_up && run_residual_chain(ws, std::span(out.data(), ws.size()), nullptr)) {
    return true;
  }
  if (!chain) flush_pending();
  if (gate_up) {
    // Gate/up of one row: waits for a GLU of exactly these outputs (fuse_gate_up_glu),
    // behind the residual chain that feeds it, if one waits.
    PendingOp op;
    op.kind = PendingOp::Kind::gate_up;
    op.gate = ws[0];
    op.up = ws[1];
    op.in = x.as<const float>();
    op.g = out[0];
    op.u = out[1];
    pending_.push_back(op);
    return true;
  }
  flush_pending();
  const int slot = prof_->op_begin(stream_);
  // Several rows: one fixed-point prep of x for all the weights (4-bit codes), or
  // nothing and the caller applies them one by one.
  const bool ran = n > 1
                       ? affine_batch(ws, x.as<const float>(), n, std::span(out.data(), ws.size()))
                       : kc::linear_shared(ws.data(), static_cast<int>(ws.size()),
                                           x.as<const float>(), n, out.data(), stream_);
  if (slot >= 0) {
    prof_->op_end(slot, stream_,
                  "linear shared x" + std::to_string(ws.size()) + " " + weight_label(ws[0]));
  }
  return ran;
}

bool CudaOps::run_shared_dense(std::span<const sdk::Tensor* const> ws, const sdk::Tensor& x,
                               std::span<sdk::Tensor* const> ys) {
  if (ws.empty() || ws.size() > static_cast<std::size_t>(kc::kMaxSharedLinear)) return false;
  std::array<kc::WeightView, kc::kMaxSharedLinear> views{};
  for (std::size_t i = 0; i < ws.size(); ++i) {
    const sdk::Tensor& w = *ws[i];
    if (w.ndim() != 2 || !on_device(w.data)) return false;
    views[i].data = w.data;
    views[i].type = wtype(w, "dense_linear weight");
    views[i].rows = w.dim(0);
    views[i].cols = w.dim(1);
  }
  return linear_shared(std::span(views.data(), ws.size()), x, ys);
}

void CudaOps::gather(const kc::WeightView& w, std::span<const std::int32_t> ids, sdk::Tensor& out) {
  require_f32(out, "gather_rows output");
  if (out.numel() != static_cast<std::int64_t>(ids.size()) * w.cols) {
    throw std::invalid_argument("cuda: gather_rows output shape disagrees");
  }
  for (auto id : ids) {
    if (id < 0 || id >= w.rows) {
      throw std::out_of_range("cuda: gather_rows id " + std::to_string(id) + " outside [0, " +
                              std::to_string(w.rows) + ")");
    }
  }
  if (ids.empty()) return;
  flush_pending();
  const std::int32_t* d = to_device(ids);
  into(out, [&](float* o) {
    const int slot = prof_->op_begin(stream_);
    kc::gather_rows(w, d, static_cast<std::int64_t>(ids.size()), o, stream_);
    prof_->op_end(slot, stream_, "gather_rows");
  });
}

void CudaOps::dense_linear(const sdk::Tensor& w, const sdk::Tensor* bias, const sdk::Tensor& x,
                           sdk::Tensor& y) {
  require_device(w, "dense_linear weight");
  kc::WeightView v;
  v.data = w.data;
  v.type = wtype(w, "dense_linear weight");
  v.rows = w.dim(0);
  v.cols = w.numel() / w.dim(0);
  linear(v, bias, x, y);
}

void CudaOps::gather_rows(const sdk::Tensor& table, std::span<const std::int32_t> rows,
                          sdk::Tensor& out) {
  require_device(table, "gather_rows table");
  kc::WeightView v;
  v.data = table.data;
  v.type = wtype(table, "gather_rows table");
  v.rows = table.dim(0);
  v.cols = table.numel() / table.dim(0);
  gather(v, rows, out);
}

CudaOps::PendingOp CudaOps::norm_op(const sdk::Tensor& x, const void* w, kc::WType wt, float eps) {
  PendingOp op;
  op.rows = x.numel() / x.dim(-1);
  op.head_dim = static_cast<int>(x.dim(-1));
  op.w = w;
  op.wt = wt;
  op.eps = eps;
  return op;
}

void CudaOps::rms_norm(const sdk::Tensor& x, const sdk::Tensor& weight, float eps,
                       sdk::Tensor& out) {
  require_f32(x, "rms_norm input");
  require_device(weight, "rms_norm weight");
  const std::int64_t dim = x.dim(-1);
  if (weight.numel() != dim) throw std::invalid_argument("cuda: rms_norm weight length");
  const kc::WType wt = wtype(weight, "rms_norm weight");
  if (pending_.size() == 2 && pending_[0].kind == PendingOp::Kind::linear1) {
    const PendingOp& add = pending_[1];
    const float* residual = residual_of(pending_[0], add);
    // The norm of the sum into another buffer (the GEMV's own output may be reused)
    // waits for the GEMV it feeds.
    if (add.out == x.data && add.count == dim && out.data != x.data && out.data != residual &&
        on_device(out.data)) {
      PendingOp op = norm_op(x, weight.data, wt, eps);
      op.kind = PendingOp::Kind::norm;
      op.nx = x.as<const float>();
      op.out = out.as<float>();
      pending_.push_back(op);
      return;
    }
    run_pending(pending_[0]);
    pending_.erase(pending_.begin());
  }
  if (fuse_add_rms_norm(x, weight.data, wt, dim, eps, out.as<float>())) return;
  if (fuse_ && x.data == out.data) {
    // In place (per-head q/k norms): may join the rope and cache write before attention.
    if (!only_head_ops_pending()) flush_pending();
    PendingOp op = norm_op(x, weight.data, wt, eps);
    op.kind = PendingOp::Kind::head_norm;
    op.x = out.as<float>();
    pending_.push_back(op);
    return;
  }
  flush_pending();
  const int slot = prof_->op_begin(stream_);
  kc::rms_norm(x.as<const float>(), weight.data, wt, x.numel() / dim, dim, eps, out.as<float>(),
               stream_);
  if (slot >= 0) prof_->op_end(slot, stream_, "rms_norm dim=" + std::to_string(dim));
}

void CudaOps::layer_norm(const sdk::Tensor& x, const sdk::Tensor& weight, const sdk::Tensor* bias,
                         float eps, sdk::Tensor& out) {
  require_f32(x, "layer_norm input");
  require_f32(weight, "layer_norm weight");
  if (bias != nullptr) require_f32(*bias, "layer_norm bias");
  const std::int64_t dim = x.dim(-1);
  flush_pending();
  kc::layer_norm(x.as<const float>(), weight.as<const float>(),
                 bias != nullptr ? bias->as<const float>() : nullptr, x.numel() / dim, dim, eps,
                 out.as<float>(), stream_);
}

const float* CudaOps::inv_freq_for(int head_dim, const sdk::RopeParams& p, float* position_scale,
                                   float* x_scale, int* rotary_dim, bool* traditional) {
  std::vector<float> key = backend_cpu::rope_key(head_dim, p);
  for (const auto& r : ropes_) {
    if (r.key == key) {
      *position_scale = r.position_scale;
      *x_scale = r.x_scale;
      *rotary_dim = r.rotary_dim;
      *traditional = r.traditional;
      return static_cast<const float*>(r.inv_freq.get());
    }
  }
  // The frequency schedule is the CPU backend's, computed once on the host.
  const kernels::rope::Rope rope(backend_cpu::rope_config(head_dim, p, "cuda"));
  RopeEntry e;
  e.key = std::move(key);
  e.inv_freq = device_alloc(rope.inv_freq().size() * sizeof(float));
  check(cudaMemcpy(e.inv_freq.get(), rope.inv_freq().data(), rope.inv_freq().size() * sizeof(float),
                   cudaMemcpyHostToDevice),
        "rope table");
  e.position_scale = rope.position_scale();
  e.x_scale = rope.x_scale();
  e.rotary_dim = rope.rotary_dim();
  e.traditional = rope.traditional();
  ropes_.push_back(std::move(e));
  return inv_freq_for(head_dim, p, position_scale, x_scale, rotary_dim, traditional);
}

void CudaOps::rope(sdk::Tensor& x, std::span<const std::int32_t> positions,
                   const sdk::RopeParams& p) {
  require_f32(x, "rope input");
  const int heads = static_cast<int>(x.dim(1));
  const int head_dim = static_cast<int>(x.dim(2));
  if (static_cast<std::int64_t>(positions.size()) != x.dim(0)) {
    throw std::invalid_argument("cuda: rope needs one position per row");
  }
  float ps = 1.0f, xs = 1.0f;
  int rd = 0;
  bool trad = false;
  const float* inv = inv_freq_for(head_dim, p, &ps, &xs, &rd, &trad);
  if (positions.empty()) return;
  const std::int32_t* pos = to_device(positions);
  if (fuse_) {
    if (!only_head_ops_pending()) flush_pending();
    PendingOp op;
    op.kind = PendingOp::Kind::rope;
    op.x = x.as<float>();
    op.rows = x.dim(0);
    op.dim = heads;
    op.head_dim = head_dim;
    op.rope.rotary_dim = rd;
    op.rope.traditional = trad;
    op.rope.inv_freq = inv;
    op.rope.position_scale = ps;
    op.rope.x_scale = xs;
    op.rope.positions = pos;
    pending_.push_back(op);
    return;
  }
  const int slot = prof_->op_begin(stream_);
  kc::rope(x.as<float>(), x.dim(0), heads, head_dim, rd, trad, inv, ps, xs, pos, stream_);
  if (slot >= 0) prof_->op_end(slot, stream_, "rope heads=" + std::to_string(heads));
}

void CudaOps::glu(const sdk::Tensor& gate, const sdk::Tensor& up, bool gelu_tanh,
                  sdk::Tensor& out) {
  if (!gelu_tanh && fuse_gate_up_glu(gate, up, out)) return;
  flush_pending();
  const int slot = prof_->op_begin(stream_);
  kc::glu(gate.as<const float>(), up.as<const float>(), gate.numel(), gelu_tanh, out.as<float>(),
          stream_);
  prof_->op_end(slot, stream_, "glu");
}

void CudaOps::add(const sdk::Tensor& a, const sdk::Tensor& b, sdk::Tensor& out) {
  if (a.numel() != b.numel() || a.numel() != out.numel()) {
    throw std::invalid_argument("cuda: add shapes disagree");
  }
  require_f32(a, "add operand");
  require_f32(b, "add operand");
  const bool after_linear = pending_.size() == 1 && pending_[0].kind == PendingOp::Kind::linear1 &&
                            (a.data == pending_[0].g) != (b.data == pending_[0].g) &&
                            a.numel() == pending_[0].lin.rows && out.data != pending_[0].in;
  if (!after_linear) flush_pending();
  if (fuse_) {
    // Waits for a following RMSNorm of the sum (fuse_add_rms_norm).
    PendingOp op;
    op.kind = PendingOp::Kind::add;
    op.a = a.as<const float>();
    op.b = b.as<const float>();
    op.out = out.as<float>();
    op.count = a.numel();
    pending_.push_back(op);
    return;
  }
  const int slot = prof_->op_begin(stream_);
  kc::add(a.as<const float>(), b.as<const float>(), a.numel(), out.as<float>(), stream_);
  prof_->op_end(slot, stream_, "add");
}

void CudaOps::attention(const sdk::Tensor& q, const sdk::Tensor& k, const sdk::Tensor& v,
                        const sdk::KvLayerView& kv, std::span<const sdk::AttentionSeq> seqs,
                        const sdk::AttentionParams& p, sdk::Tensor& out) {
  for (const sdk::KvCodec* c : {kv.k_codec, kv.v_codec}) {
    if (c != nullptr && c->name() != "f16") {
      throw std::invalid_argument("cuda: KV codec '" + c->name() +
                                  "' is not supported by the CUDA backend (only f16)");
    }
  }
  if (!on_device(kv.k_blocks) || !on_device(kv.v_blocks)) {
    throw std::invalid_argument("cuda: the KV cache is not in device memory");
  }
  if (p.n_kv_heads != kv.n_kv_heads || p.head_dim != kv.head_dim) {
    throw std::invalid_argument("cuda: attention shapes disagree with the KV cache");
  }
  const int n_rows = static_cast<int>(q.dim(0));
  std::size_t table_len = 0;
  int max_keys = 0;
  for (const auto& s : seqs) {
    const std::int64_t need =
        (static_cast<std::int64_t>(s.start_pos) + s.n_rows + kv.block_size - 1) / kv.block_size;
    if (static_cast<std::int64_t>(s.block_table.size()) < need || s.first_row < 0 ||
        s.first_row + s.n_rows > n_rows) {
      throw std::invalid_argument("cuda: attention sequence exceeds its block table or the batch");
    }
    table_len += s.block_table.size();
    max_keys = std::max(max_keys, s.start_pos + s.n_rows);
  }
  // One staged array: seqs (4 ints each), then the row->seq map, then the tables.
  const std::size_t n_seq_ints = seqs.size() * 4;
  const std::int32_t* d = nullptr;
  if (recording_ != nullptr) {
    d = recorded_attention(seqs, n_rows, table_len);
  } else {
    std::int32_t* h = stage(n_seq_ints + static_cast<std::size_t>(n_rows) + table_len, &d);
    const std::size_t total = pack_attention(seqs, n_rows, h);
    check(cudaMemcpyAsync(const_cast<std::int32_t*>(d), h, total * sizeof(std::int32_t),
                          cudaMemcpyHostToDevice, stream_),
          "copy attention tables");
  }
  kc::AttnArgs a;
  a.q = q.as<const float>();
  a.k = k.as<const float>();
  a.v = v.as<const float>();
  a.out = out.as<float>();
  a.k_cache = kv.k_blocks;
  a.v_cache = kv.v_blocks;
  a.seqs = reinterpret_cast<const kc::AttnSeq*>(d);
  a.row_seq = d + n_seq_ints;
  a.tables = d + n_seq_ints + n_rows;
  a.n_rows = n_rows;
  a.n_seqs = static_cast<int>(seqs.size());
  a.block_size = kv.block_size;
  a.n_heads = p.n_heads;
  a.n_kv_heads = p.n_kv_heads;
  a.head_dim = p.head_dim;
  a.scale = p.scale;
  a.sliding_window = p.sliding_window;
  a.softcap = p.softcap;
  a.max_keys = max_keys;
  a.splits = kc::attention_splits(n_rows, p.n_heads, p.n_kv_heads, p.head_dim, max_keys);
  const std::int64_t ws = kc::attention_workspace(n_rows, p.n_heads, p.head_dim, a.splits);
  if (ws > 0) a.partial = scratch(sdk::DType::f32, {ws}).as<float>();
  if (a.splits > 1 && !kc::attention_cluster_merge(a.splits) && fuse_ &&
      static_cast<std::int64_t>(n_rows) * p.n_heads <= kTickets) {
    a.tickets = tickets();  // the last split merges: one launch instead of two
  }
  // Rows of a sequence not in `seqs` would have no slot: every row must belong to one.
  std::int64_t covered = 0;
  for (const auto& s : seqs) covered += s.n_rows;
  if (covered != n_rows) throw std::invalid_argument("cuda: attention rows not covered by seqs");
  if (!fuse_prep_heads(a)) {
    flush_pending();
    const int kv_slot = prof_->op_begin(stream_);
    kc::write_kv(a, stream_);
    prof_->op_end(kv_slot, stream_, "attention: write_kv");
  }
  after_attention_ = true;
  const int slot = prof_->op_begin(stream_);
  if (kc::flash_prefill_takes(a)) {
    kc::flash_prefill(a, stream_);
  } else {
    kc::attention(a, stream_);
  }
  if (slot >= 0)
    prof_->op_end(slot, stream_, "attention: split-K (splits=" + std::to_string(a.splits) + ")");
}

}  // namespace rmlx::backend_cuda
