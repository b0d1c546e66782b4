// A live rmlx-host for the HTTP tests, on a free port, killed at the end.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "process.h"
#include "temp_dir.h"

namespace rmlx::api::test {

class LiveServer {
 public:
  explicit LiveServer(std::vector<std::string> extra) {
    std::vector<std::string> argv = {RMLX_HOST_BIN, "serve", "--port", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<Process>(argv);
    const std::string port = process_->wait_for_stderr(R"(listening on http://127\.0\.0\.1:(\d+))");
    if (port.empty()) throw std::runtime_error("rmlx-host did not start: " + process_->err());
    port_ = std::stoi(port);
  }
  ~LiveServer() {
    process_->signal(SIGTERM);
    process_->wait(10000);
  }
  int port() const { return port_; }
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_read_timeout(120, 0);
    c->set_write_timeout(60, 0);
    return c;
  }
  Process& process() { return *process_; }

 private:
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

// A model folder with the Qwen3 tokenizer and chat template but no weights:
// everything up to the prompt works, generation gets 503.
// Returns the folder (named "weightless", the model id clients use).
inline std::string write_weightless_model(const std::string& parent) {
  namespace fs = std::filesystem;
  const std::string dir = parent + "/weightless";
  fs::create_directories(dir);
  fs::copy_file(fs::path(RMLX_API_TOKENIZER_DIR) / "tokenizer.json",
                fs::path(dir) / "tokenizer.json");
  fs::copy_file(fs::path(RMLX_API_TOKENIZER_DIR) / "tokenizer_config.json",
                fs::path(dir) / "tokenizer_config.json");
  std::ofstream(fs::path(dir) / "config.json")
      << R"({"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3"})";
  return dir;
}

}  // namespace rmlx::api::test
