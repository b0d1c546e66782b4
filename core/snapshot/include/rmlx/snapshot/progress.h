// A progress reporter for long work (convert, synth, load): a redrawn bar on
// stderr when stderr is a terminal or RMLX_PROGRESS=1, and always one summary
// line at the end ("<label>: 1.23 GB in 4.5 s (273 MB/s)").
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace rmlx::snapshot {

class Progress {
 public:
  // `total` in units of work (bytes when `bytes` is true); 0 when unknown.
  Progress(std::string label, std::uint64_t total, bool bytes = true);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  // Prints the summary if finish() was not called.
  ~Progress();

  void add(std::uint64_t n);
  // Prints the final summary line once; `note` is appended when non-empty.
  void finish(const std::string& note = "");
  std::uint64_t done() const { return done_; }
  bool live() const { return live_; }

 private:
  void draw(bool force);
  std::string label_;
  std::uint64_t total_ = 0;
  std::uint64_t done_ = 0;
  bool bytes_ = true;
  bool live_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1.23 GB", "456 MB", "789 B" (decimal units).
std::string human_bytes(std::uint64_t n);

}  // namespace rmlx::snapshot
