#include "constraint.h"

#include <exception>
#include <vector>

namespace rmlx::engine {

namespace {

void fill_one(Sequence& s) {
  s.masked = false;
  s.constraint_error.clear();
  if (!s.request.constraint) return;
  try {
    s.masked = s.request.constraint->fill_mask(s.mask);
  } catch (const std::exception& e) {
    s.constraint_error = std::string("constraint: ") + e.what();
  }
}

}  // namespace

MaskStage::MaskStage(std::span<Sequence* const> sampled) {
  std::vector<Sequence*> work;
  for (Sequence* s : sampled) {
    if (s->request.constraint) {
      work.push_back(s);
    } else {
      s->masked = false;
    }
  }
  if (work.empty()) return;
  pending_ = std::async(std::launch::async, [work = std::move(work)] {
    for (Sequence* s : work) fill_one(*s);
  });
}

MaskStage::~MaskStage() {
  if (pending_.valid()) pending_.wait();
}

void MaskStage::wait() {
  if (pending_.valid()) pending_.get();
}

const sampling::TokenMask* step_mask(const Sequence& s) {
  return s.masked ? &s.mask : nullptr;
}

bool constraint_accept(Sequence& s, std::int32_t token) {
  if (!s.request.constraint) return false;
  s.request.constraint->accept(token);
  return s.request.constraint->is_finished();
}

}  // namespace rmlx::engine
