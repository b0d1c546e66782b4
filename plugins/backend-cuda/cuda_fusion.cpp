// Peephole fusion of a decode step's small ops (see CudaOps::PendingOp): the
// architecture issues plain ops; the backend holds back the ones a following op
// can absorb and runs them inside that op's kernel.
#include <string>

#include "cuda_ops.h"

namespace rmlx::backend_cuda {

namespace kc = kernels_cuda;

void CudaOps::run_pending(const PendingOp& op) {
  const int slot = prof_->op_begin(stream_);
  switch (op.kind) {
    case PendingOp::Kind::add:
      kc::add(op.a, op.b, op.count, op.out, stream_);
      prof_->op_end(slot, stream_, "add");
      return;
    case PendingOp::Kind::head_norm:
      kc::rms_norm(op.x, op.w, op.wt, op.rows, op.head_dim, op.eps, op.x, stream_);
      if (slot >= 0) prof_->op_end(slot, stream_, "rms_norm dim=" + std::to_string(op.head_dim));
      return;
    case PendingOp::Kind::rope:
      kc::rope(op.x, op.rows, op.dim, op.head_dim, op.rope.rotary_dim, op.rope.traditional,
               op.rope.inv_freq, op.rope.position_scale, op.rope.x_scale, op.rope.positions,
               stream_);
      if (slot >= 0) prof_->op_end(slot, stream_, "rope heads=" + std::to_string(op.dim));
      return;
    case PendingOp::Kind::gate_up: {
      const kc::WeightView ws[2] = {op.gate, op.up};
      float* const ys[2] = {op.g, op.u};
      if (!kc::linear_shared(ws, 2, op.in, 1, ys, stream_)) {
        throw std::logic_error("cuda: a waiting gate/up no longer takes the shared launch");
      }
      prof_->op_end(slot, stream_, "linear shared x2 (gate/up)");
      return;
    }
    case PendingOp::Kind::linear1:
      launch_linear(op.lin, op.in, 1, op.g);
      if (slot >= 0) prof_->op_end(slot, stream_, "linear n=1");
      return;
    case PendingOp::Kind::norm:
      kc::rms_norm(op.nx, op.w, op.wt, 1, op.head_dim, op.eps, op.out, stream_);
      if (slot >= 0) prof_->op_end(slot, stream_, "rms_norm dim=" + std::to_string(op.head_dim));
      return;
  }
}

bool CudaOps::residual_chain_into(const float* x) const {
  return pending_.size() >= 3 && pending_[0].kind == PendingOp::Kind::linear1 &&
         pending_[1].kind == PendingOp::Kind::add && pending_[2].kind == PendingOp::Kind::norm &&
         pending_[2].out == x;
}

bool CudaOps::run_residual_chain(std::span<const kc::WeightView> ws, std::span<float* const> ys,
                                 float* glu_out) {
  const PendingOp& lin = pending_[0];
  const PendingOp& add = pending_[1];
  const PendingOp& nrm = pending_[2];
  kc::ResidualNorm rn;
  rn.residual = residual_of(lin, add);
  rn.sum = add.out;
  rn.w = nrm.w;
  rn.wt = nrm.wt;
  rn.eps = nrm.eps;
  rn.normed = nrm.out;
  if (lin.after_attention) rn.producer_blocks_per_sm = 2;
  const std::int64_t parts = kc::residual_norm_max_parts(lin.lin);
  if (parts <= 0) return false;
  for (const kc::WeightView& w : ws) {
    if (!kc::residual_norm_applies(lin.lin, w, rn)) return false;
  }
  rn.parts = scratch(sdk::DType::f32, {parts}).as<float>();
  const int slot = prof_->op_begin(stream_);
  if (!kc::linear_residual(lin.lin, lin.in, lin.g, rn, stream_)) return false;
  if (slot >= 0) prof_->op_end(slot, stream_, "linear n=1 + residual (fused)");
  const int slot2 = prof_->op_begin(stream_);
  const bool ran =
      glu_out != nullptr
          ? kc::linear_glu_normed(ws[0], ws[1], rn, ys[0], ys[1], glu_out, stream_, glu_counter())
          : kc::linear_normed(ws.data(), static_cast<int>(ws.size()), rn, ys.data(), stream_);
  if (!ran) throw std::logic_error("cuda: a normed GEMV no longer takes its weights");
  if (slot2 >= 0) prof_->op_end(slot2, stream_, "linear normed (fused rms_norm)");
  pending_.erase(pending_.begin(), pending_.begin() + 3);
  return true;
}

bool CudaOps::only_head_ops_pending() const {
  for (const PendingOp& op : pending_) {
    if (op.kind != PendingOp::Kind::head_norm && op.kind != PendingOp::Kind::rope) return false;
  }
  return true;
}

bool CudaOps::fuse_gate_up_glu(const sdk::Tensor& gate, const sdk::Tensor& up, sdk::Tensor& out) {
  if (pending_.empty() || pending_.back().kind != PendingOp::Kind::gate_up) return false;
  const bool chain = pending_.size() == 4 && residual_chain_into(pending_[3].in);
  if (pending_.size() != 1 && !chain) return false;
  const PendingOp gu = pending_.back();
  if (gu.g != gate.data || gu.u != up.data || out.numel() != gu.gate.rows || !on_device(out.data)) {
    return false;
  }
  // out may be the gate's output (in place) but not the up's or the input.
  if (out.data == up.data || out.data == gu.in) return false;
  if (chain) {
    const kc::WeightView ws[2] = {gu.gate, gu.up};
    float* const ys[2] = {gu.g, gu.u};
    if (run_residual_chain(ws, ys, out.as<float>())) {
      pending_.clear();
      return true;
    }
    pending_.pop_back();
    flush_pending();  // the chain apart, then the gate/up with the GLU below
  }
  const int slot = prof_->op_begin(stream_);
  if (!kc::linear_glu(gu.gate, gu.up, gu.in, gu.g, gu.u, out.as<float>(), stream_, glu_counter())) {
    throw std::logic_error("cuda: a waiting gate/up no longer takes the fused GLU");
  }
  if (slot >= 0) prof_->op_end(slot, stream_, "linear gate/up + glu (fused)");
  pending_.clear();
  return true;
}

void CudaOps::flush_pending() {
  if (pending_.empty()) return;
  // Cleared first: a failing launch must not leave the ops to run again.
  std::vector<PendingOp> ops;
  ops.swap(pending_);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const PendingOp& op = ops[i];
    if (op.kind == PendingOp::Kind::add && i + 1 < ops.size() &&
        ops[i + 1].kind == PendingOp::Kind::norm && ops[i + 1].nx == op.out) {
      // A norm waited behind its add: one pass, as when nothing waits.
      const PendingOp& n = ops[++i];
      const int slot = prof_->op_begin(stream_);
      kc::add_rms_norm(op.a, op.b, op.out, n.w, n.wt, op.count / n.head_dim, n.head_dim, n.eps,
                       n.out, stream_);
      if (slot >= 0) prof_->op_end(slot, stream_, "add+rms_norm (fused)");
      continue;
    }
    run_pending(op);
  }
}

bool CudaOps::fuse_add_rms_norm(const sdk::Tensor& x, const void* w, kc::WType wt, std::int64_t dim,
                                float eps, float* out) {
  if (pending_.size() != 1 || pending_[0].kind != PendingOp::Kind::add) return false;
  const PendingOp& add = pending_[0];
  if (add.out != x.data || add.count != x.numel()) return false;
  // out must not overlap a unless a is the sum itself (each thread reads before it writes).
  if (add.a != add.out && static_cast<const void*>(out) == add.a) return false;
  const int slot = prof_->op_begin(stream_);
  kc::add_rms_norm(add.a, add.b, add.out, w, wt, x.numel() / dim, dim, eps, out, stream_);
  if (slot >= 0) prof_->op_end(slot, stream_, "add+rms_norm (fused) dim=" + std::to_string(dim));
  pending_.clear();
  return true;
}

bool CudaOps::fuse_prep_heads(const kc::AttnArgs& a) {
  if (pending_.empty() || a.head_dim % 4 != 0 || a.head_dim > 1024) return false;
  const PendingOp* norm[2] = {nullptr, nullptr};  // q, k
  const PendingOp* rope[2] = {nullptr, nullptr};
  for (const PendingOp& op : pending_) {
    int which = -1;
    if (op.x == a.q) which = 0;
    if (op.x == a.k) which = 1;
    if (which < 0) return false;
    const int heads = which == 0 ? a.n_heads : a.n_kv_heads;
    if (op.kind == PendingOp::Kind::head_norm) {
      // A norm after the rope, or twice, is not what the fused kernel computes.
      if (norm[which] != nullptr || rope[which] != nullptr) return false;
      if (op.head_dim != a.head_dim || op.rows != static_cast<std::int64_t>(a.n_rows) * heads) {
        return false;
      }
      norm[which] = &op;
    } else if (op.kind == PendingOp::Kind::rope) {
      if (rope[which] != nullptr || op.dim != heads || op.head_dim != a.head_dim ||
          op.rows != a.n_rows) {
        return false;
      }
      rope[which] = &op;
    } else {
      return false;
    }
  }
  // q and k rotate alike or not at all; q and k norms share a type and epsilon.
  if ((rope[0] == nullptr) != (rope[1] == nullptr)) return false;
  if (norm[0] != nullptr && norm[1] != nullptr &&
      (norm[0]->wt != norm[1]->wt || norm[0]->eps != norm[1]->eps)) {
    return false;
  }
  kc::HeadPrep p;
  if (rope[0] != nullptr) {
    const kc::HeadPrep& rq = rope[0]->rope;
    const kc::HeadPrep& rk = rope[1]->rope;
    if (rq.inv_freq != rk.inv_freq || rq.positions != rk.positions ||
        rq.rotary_dim != rk.rotary_dim || rq.traditional != rk.traditional ||
        rq.position_scale != rk.position_scale || rq.x_scale != rk.x_scale) {
      return false;
    }
    p = rq;
  }
  for (int i = 0; i < 2; ++i) {
    if (norm[i] == nullptr) continue;
    (i == 0 ? p.q_norm : p.k_norm) = norm[i]->w;
    p.norm_type = norm[i]->wt;
    p.eps = norm[i]->eps;
  }
  p.early_dependents = prep_early_;
  const int slot = prof_->op_begin(stream_);
  kc::prep_heads_write_kv(a, p, stream_);
  prof_->op_end(slot, stream_, "q/k norm+rope+write_kv (fused)");
  pending_.clear();
  return true;
}

unsigned* CudaOps::glu_counter() {
  if (glu_cursor_ >= kGluCounters) return nullptr;
  return static_cast<unsigned*>(glu_counters_.get()) + glu_cursor_++;
}

unsigned* CudaOps::tickets() {
  if (!tickets_) {
    if (recording_ != nullptr) return nullptr;  // the single-block argmax needs none
    void* p = nullptr;
    check(cudaMalloc(&p, kTickets * sizeof(unsigned)), "cudaMalloc");
    tickets_.reset(p);
    check(cudaMemsetAsync(p, 0, kTickets * sizeof(unsigned), stream_), "cudaMemset");
  }
  return static_cast<unsigned*>(tickets_.get());
}

}  // namespace rmlx::backend_cuda
