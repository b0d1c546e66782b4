// A child process with its stdout and stderr captured; killed and reaped
// when the object goes away.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

class Process {
 public:
  explicit Process(std::vector<std::string> argv) {
    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    fcntl(out_fd_, F_SETFL, O_NONBLOCK);
    fcntl(err_fd_, F_SETFL, O_NONBLOCK);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  }
  ~Process() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_fd_);
    close(err_fd_);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Waits until stderr matches `pattern` (first group returned) or the timeout.
  std::string wait_for_stderr(const std::string& pattern, int timeout_ms = 20000) {
    std::regex re(pattern);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      pump(100);
      std::smatch m;
      if (std::regex_search(err_, m, re)) return m.size() > 1 ? m[1].str() : m[0].str();
      if (exited_) break;
    }
    return {};
  }

  // Waits for exit; returns the exit code (or -1 on timeout / signal).
  int wait(int timeout_ms = 60000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!exited_ && std::chrono::steady_clock::now() < deadline) pump(50);
    if (!exited_) return -1;
    pump(0);
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }

  void signal(int sig) { kill(pid_, sig); }
  const std::string& out() {
    pump(0);
    return out_;
  }
  const std::string& err() {
    pump(0);
    return err_;
  }

 private:
  void pump(int timeout_ms) {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    poll(fds, 2, timeout_ms);
    char buf[4096];
    ssize_t n;
    while ((n = read(out_fd_, buf, sizeof buf)) > 0) out_.append(buf, static_cast<size_t>(n));
    while ((n = read(err_fd_, buf, sizeof buf)) > 0) err_.append(buf, static_cast<size_t>(n));
    if (!exited_ && waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  int status_ = 0;
  bool exited_ = false;
  std::string out_, err_;
};
