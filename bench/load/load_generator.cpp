// rmlx-load: N concurrent streaming chat clients against a server on this
// machine for T seconds; reports errors, aggregate generated tokens/s, p50/p99
// time to first token and inter-token latency, and the server's RSS before and
// after. Loopback only, bounded in clients and time, stops by itself.
//
//   rmlx-load --server-bin build/bin/rmlx-host --model DIR [--clients 64] [--seconds 120]
//   rmlx-load --port 8080 --pid 1234 --model-name NAME      (a server already running)
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Options {
  std::string server_bin, model, model_name;
  std::vector<std::string> server_args;
  int port = 0;
  int pid = 0;
  int clients = 64;
  int seconds = 120;
  int max_tokens = 64;
  std::string json_out;
};

struct ClientStats {
  std::vector<double> ttft, itl;
  long long tokens = 0;
  int requests = 0;
  int errors = 0;
  std::vector<std::string> error_samples;
};

long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

// One streamed chat completion; returns false on any error.
bool one_request(httplib::Client& cli, const Options& o, int client, int iteration, ClientStats& st,
                 std::string& error) {
  json body = {
      {"model", o.model_name},
      {"stream", true},
      {"stream_options", {{"include_usage", true}}},
      {"max_tokens", o.max_tokens},
      {"temperature", 0.7},
      {"seed", client * 100000 + iteration},
      {"messages",
       {{{"role", "user"},
         {"content", "Client " + std::to_string(client) + ", request " + std::to_string(iteration) +
                         ": write a short story about a lighthouse keeper."}}}}};
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  req.set_header("Content-Type", "application/json");
  req.body = body.dump();
  const auto start = Clock::now();
  auto last = start;
  bool first = true;
  bool done = false;
  long long usage_tokens = -1;
  std::string buffer;
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    buffer.append(data, len);
    std::size_t pos;
    while ((pos = buffer.find("\n\n")) != std::string::npos) {
      std::string event = buffer.substr(0, pos);
      buffer.erase(0, pos + 2);
      if (event.rfind("data: ", 0) != 0) continue;
      std::string payload = event.substr(6);
      if (payload == "[DONE]") {
        done = true;
        continue;
      }
      json j = json::parse(payload, nullptr, false);
      if (j.is_discarded() || j.contains("error")) {
        error = payload.substr(0, 200);
        return false;
      }
      if (j.contains("usage") && j["usage"].is_object()) {
        usage_tokens = j["usage"]["completion_tokens"].get<long long>();
      }
      if (!j["choices"].empty()) {
        const json& delta = j["choices"][0]["delta"];
        bool has_text = (delta.contains("content") && delta["content"].is_string() &&
                         !delta["content"].get<std::string>().empty()) ||
                        delta.contains("reasoning_content");
        if (has_text) {
          auto now = Clock::now();
          if (first) {
            st.ttft.push_back(std::chrono::duration<double>(now - start).count());
            first = false;
          } else {
            st.itl.push_back(std::chrono::duration<double>(now - last).count());
          }
          last = now;
        }
      }
    }
    return true;
  };
  auto res = cli.send(req);
  if (!res) {
    if (error.empty()) error = "transport: " + httplib::to_string(res.error());
    return false;
  }
  if (res->status != 200) {
    error = "status " + std::to_string(res->status);
    return false;
  }
  if (!done || usage_tokens < 0) {
    error = "stream ended without usage and [DONE]";
    return false;
  }
  st.tokens += usage_tokens;
  return true;
}

int run(const Options& o) {
  pid_t server_pid = o.pid;
  int port = o.port;
  int out_pipe[2] = {-1, -1};
  if (!o.server_bin.empty()) {
    std::vector<std::string> argv = {o.server_bin,     "serve",
                                     "--host",         "127.0.0.1",
                                     "--port",         "0",
                                     "--model",        o.model,
                                     "--max-batch",    std::to_string(std::min(o.clients, 256)),
                                     "--http-threads", std::to_string(o.clients + 8)};
    argv.insert(argv.end(), o.server_args.begin(), o.server_args.end());
    if (pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 2);
    posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawn(&server_pid, args[0], &fa, nullptr, args.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + o.server_bin);
    }
    posix_spawn_file_actions_destroy(&fa);
    close(out_pipe[1]);
    std::string log;
    char buf[4096];
    std::regex re(R"(listening on http://127\.0\.0\.1:(\d+))");
    std::smatch m;
    while (true) {
      ssize_t n = read(out_pipe[0], buf, sizeof buf);
      if (n <= 0) throw std::runtime_error("server exited: " + log);
      log.append(buf, static_cast<std::size_t>(n));
      if (std::regex_search(log, m, re)) break;
    }
    port = std::stoi(m[1].str());
    // Keep draining the server's log so it never blocks on a full pipe.
    std::thread([fd = out_pipe[0]] {
      char b[4096];
      while (read(fd, b, sizeof b) > 0) {
      }
    }).detach();
  }
  std::cerr << "rmlx-load: server on 127.0.0.1:" << port << ", " << o.clients << " clients, "
            << o.seconds << " s, max_tokens " << o.max_tokens << "\n";
  {
    // Warm-up: loads the model, so RSS "before" is the loaded server at rest.
    httplib::Client cli("127.0.0.1", port);
    cli.set_read_timeout(600, 0);
    ClientStats warm;
    std::string err;
    if (!one_request(cli, o, -1, 0, warm, err)) {
      std::cerr << "rmlx-load: warm-up request failed: " << err << "\n";
      if (!o.server_bin.empty()) kill(server_pid, SIGTERM);
      return 1;
    }
  }
  const long rss_before = server_pid > 0 ? rss_kib(server_pid) : -1;
  std::vector<ClientStats> stats(static_cast<std::size_t>(o.clients));
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(o.seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_read_timeout(o.seconds + 60, 0);
      auto& st = stats[static_cast<std::size_t>(c)];
      for (int i = 0; Clock::now() < deadline; ++i) {
        std::string err;
        ++st.requests;
        if (!one_request(cli, o, c, i, st, err)) {
          ++st.errors;
          if (st.error_samples.size() < 3) st.error_samples.push_back(err);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const long rss_after = server_pid > 0 ? rss_kib(server_pid) : -1;
  ClientStats all;
  for (auto& st : stats) {
    all.ttft.insert(all.ttft.end(), st.ttft.begin(), st.ttft.end());
    all.itl.insert(all.itl.end(), st.itl.begin(), st.itl.end());
    all.tokens += st.tokens;
    all.requests += st.requests;
    all.errors += st.errors;
    for (auto& e : st.error_samples) {
      if (all.error_samples.size() < 5) all.error_samples.push_back(e);
    }
  }
  json report = {{"clients", o.clients},
                 {"seconds", elapsed},
                 {"requests", all.requests},
                 {"errors", all.errors},
                 {"generated_tokens", all.tokens},
                 {"tokens_per_second", static_cast<double>(all.tokens) / elapsed},
                 {"ttft_p50_ms", percentile(all.ttft, 0.5) * 1000},
                 {"ttft_p99_ms", percentile(all.ttft, 0.99) * 1000},
                 {"itl_p50_ms", percentile(all.itl, 0.5) * 1000},
                 {"itl_p99_ms", percentile(all.itl, 0.99) * 1000},
                 {"rss_before_mib", rss_before / 1024.0},
                 {"rss_after_mib", rss_after / 1024.0},
                 {"error_samples", all.error_samples}};
  std::printf(
      "clients %d  duration %.1f s  requests %d  errors %d\n"
      "generated tokens %lld  aggregate %.1f tok/s\n"
      "TTFT p50 %.1f ms  p99 %.1f ms\n"
      "inter-token p50 %.1f ms  p99 %.1f ms\n"
      "server RSS before %.1f MiB  after %.1f MiB\n",
      o.clients, elapsed, all.requests, all.errors, all.tokens,
      static_cast<double>(all.tokens) / elapsed, percentile(all.ttft, 0.5) * 1000,
      percentile(all.ttft, 0.99) * 1000, percentile(all.itl, 0.5) * 1000,
      percentile(all.itl, 0.99) * 1000, rss_before / 1024.0, rss_after / 1024.0);
  for (const auto& e : all.error_samples) std::printf("error sample: %s\n", e.c_str());
  if (!o.json_out.empty()) std::ofstream(o.json_out) << report.dump(2) << "\n";
  if (!o.server_bin.empty()) {
    kill(server_pid, SIGTERM);
    waitpid(server_pid, nullptr, 0);
  }
  return all.errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string> a(argv + 1, argv + argc);
  auto need = [&](std::size_t& i) -> std::string {
    if (i + 1 >= a.size()) throw std::runtime_error(a[i] + " needs a value");
    return a[++i];
  };
  try {
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] == "--server-bin")
        o.server_bin = need(i);
      else if (a[i] == "--model")
        o.model = need(i);
      else if (a[i] == "--model-name")
        o.model_name = need(i);
      else if (a[i] == "--server-arg")
        o.server_args.push_back(need(i));
      else if (a[i] == "--port")
        o.port = std::stoi(need(i));
      else if (a[i] == "--pid")
        o.pid = std::stoi(need(i));
      else if (a[i] == "--clients")
        o.clients = std::stoi(need(i));
      else if (a[i] == "--seconds")
        o.seconds = std::stoi(need(i));
      else if (a[i] == "--max-tokens")
        o.max_tokens = std::stoi(need(i));
      else if (a[i] == "--json")
        o.json_out = need(i);
      else
        throw std::runtime_error("unknown option " + a[i]);
    }
    if (o.server_bin.empty() == (o.port == 0)) {
      throw std::runtime_error("give either --server-bin with --model, or --port");
    }
    if (!o.server_bin.empty() && o.model.empty()) throw std::runtime_error("--model is required");
    if (o.clients < 1 || o.clients > 256) throw std::runtime_error("--clients must be 1..256");
    if (o.seconds < 1 || o.seconds > 600) throw std::runtime_error("--seconds must be 1..600");
    if (o.max_tokens < 1 || o.max_tokens > 4096)
      throw std::runtime_error("--max-tokens must be 1..4096");
    if (o.model_name.empty()) {
      std::string m = o.model;
      while (!m.empty() && m.back() == '/') m.pop_back();
      o.model_name = m.substr(m.find_last_of('/') + 1);
    }
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "rmlx-load: " << e.what() << "\n";
    return 2;
  }
}
