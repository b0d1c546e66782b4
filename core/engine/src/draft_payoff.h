// Whether speculative decoding pays off for one sequence, judged from what it
// costs here: tokens per CPU-second over the steps taken with drafting on,
// against one-row (plain) steps. A draft that is rarely accepted, a drafter
// that is slow itself (layerskip), or a backend on which a verified row costs
// more than a step (a dense multi-row matmul) makes drafting slower than not
// drafting; the sequence then pauses drafting for a while and tries again
// later (the pause doubles each time drafting loses, up to kMaxPause steps).
// Greedy and sampled output do not depend on it, only the speed does.
#pragma once

#include <algorithm>

namespace rmlx::engine {

class DraftPayoff {
 public:
  static constexpr double kDecay = 0.95;  // the rates follow the last ~20 steps
  static constexpr double kMargin = 0.9;  // drafting must lose clearly, not by noise
  static constexpr int kMinSteps = 8;     // samples of each kind before judging
  static constexpr int kFirstPause = 16, kMaxPause = 256;

  // Called as each decode step of the sequence is planned, with the process
  // CPU time and the tokens generated so far: books the step that ended (its
  // time and tokens) and says whether this step may draft.
  bool plan_step(double cpu_now, int generated) {
    const int tokens = generated - generated_prev_;
    const double cpu = cpu_now - t_prev_;
    if (t_prev_ >= 0 && tokens > 0 && cpu > 0) {
      if (rows_prev_ == 1) add(plain_, tokens, cpu);
      if (enabled_prev_) add(draft_, tokens, cpu);
    }
    t_prev_ = cpu_now;
    generated_prev_ = generated;
    rows_prev_ = 1;
    const bool judged = plain_.steps >= kMinSteps && draft_.steps >= kMinSteps;
    bool on = true;
    if (pause_left_ > 0) {
      --pause_left_;
      on = false;
    } else if (plain_.steps == 0 && draft_.steps >= kMinSteps) {
      // The drafter always proposes: take a few plain steps to compare with.
      pause_left_ = kMinSteps - 1;
      on = false;
    } else if (judged && draft_.tokens * plain_.cpu < kMargin * plain_.tokens * draft_.cpu) {
      pause_left_ = pause_len_ - 1;
      pause_len_ = std::min(2 * pause_len_, kMaxPause);
      draft_ = {};  // judged afresh after the pause
      on = false;
    } else if (judged) {
      pause_len_ = kFirstPause;
    }
    enabled_prev_ = on;
    return on;
  }
  // The rows the planned step feeds for the sequence (1 + its drafts).
  void set_rows(int rows) { rows_prev_ = rows; }
  // A prompt pass (admission, recompute after preemption) is no decode step.
  void interrupt() { t_prev_ = -1.0; }

 private:
  struct Rate {
    double tokens = 0, cpu = 0;
    int steps = 0;  // samples (not decayed)
  };
  static void add(Rate& r, int tokens, double cpu) {
    r.tokens = kDecay * r.tokens + tokens;
    r.cpu = kDecay * r.cpu + cpu;
    ++r.steps;
  }

  double t_prev_ = -1.0;  // CPU time when the previous step was planned
  int generated_prev_ = 0;
  int rows_prev_ = 1;
  bool enabled_prev_ = false;
  Rate plain_, draft_;
  int pause_left_ = 0, pause_len_ = kFirstPause;
};

}  // namespace rmlx::engine
