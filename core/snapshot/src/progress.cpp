#include "rmlx/snapshot/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace rmlx::snapshot {

std::string human_bytes(std::uint64_t n) {
  const double v = static_cast<double>(n);
  if (n >= 1'000'000'000ull) return fmt::format("{:.2f} GB", v / 1e9);
  if (n >= 1'000'000ull) return fmt::format("{:.1f} MB", v / 1e6);
  if (n >= 1'000ull) return fmt::format("{:.1f} kB", v / 1e3);
  return fmt::format("{} B", n);
}

Progress::Progress(std::string label, std::uint64_t total, bool bytes)
    : label_(std::move(label)), total_(total), bytes_(bytes) {
  const char* env = std::getenv("RMLX_PROGRESS");
  live_ = (env != nullptr && std::strcmp(env, "1") == 0) || ::isatty(STDERR_FILENO) != 0;
  if (env != nullptr && std::strcmp(env, "0") == 0) live_ = false;
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
  if (!finished_) finish("(interrupted)");
}

void Progress::add(std::uint64_t n) {
  done_ += n;
  draw(false);
}

void Progress::draw(bool force) {
  if (!live_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  std::string amount = bytes_ ? human_bytes(done_) : std::to_string(done_);
  if (total_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    const int width = 30;
    const int fill = static_cast<int>(frac * width);
    std::string bar(static_cast<std::size_t>(fill), '#');
    bar.append(static_cast<std::size_t>(width - fill), '.');
    amount += " / " + (bytes_ ? human_bytes(total_) : std::to_string(total_));
    std::fprintf(stderr, "\r%s [%s] %3d%% %s", label_.c_str(), bar.c_str(),
                 static_cast<int>(frac * 100), amount.c_str());
  } else {
    std::fprintf(stderr, "\r%s %s", label_.c_str(), amount.c_str());
  }
  std::fflush(stderr);
}

void Progress::finish(const std::string& note) {
  if (finished_) return;
  finished_ = true;
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string line = label_ + ": " + (bytes_ ? human_bytes(done_) : std::to_string(done_)) +
                     fmt::format(" in {:.1f} s", secs);
  if (bytes_ && secs > 0) {
    line +=
        " (" + human_bytes(static_cast<std::uint64_t>(static_cast<double>(done_) / secs)) + "/s)";
  }
  if (!note.empty()) line += " " + note;
  std::fprintf(stderr, "%s%s\n", live_ ? "\r\033[K" : "", line.c_str());
  std::fflush(stderr);
}

}  // namespace rmlx::snapshot
