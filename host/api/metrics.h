// Server metrics in Prometheus text format, named as vLLM names them with
// the prefix "rmlx:". Request counts, token counters and latency histograms
// are kept here; running/waiting sequences and KV blocks come from each
// engine at scrape time.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "rmlx/engine/engine.h"

namespace rmlx::api {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  // Appends `name`_bucket/_sum/_count lines with `labels` (e.g. model_name="m").
  void render(std::string& out, const std::string& name, const std::string& labels) const;
  std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

struct EngineGauges {
  std::string model;
  engine::Metrics metrics;
};

class ServerMetrics {
 public:
  void count_request(const std::string& route, int status);
  void add_tokens(const std::string& model, std::int64_t prompt, std::int64_t generated);
  void observe_ttft(const std::string& model, double seconds);
  void observe_inter_token(const std::string& model, double seconds);
  void observe_e2e(const std::string& model, double seconds);

  std::string render(const std::vector<EngineGauges>& engines) const;

 private:
  struct PerModel {
    std::int64_t prompt_tokens = 0;
    std::int64_t generation_tokens = 0;
    Histogram ttft{{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
                    7.5, 10.0, 20.0, 40.0, 80.0}};
    Histogram itl{{0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05,
                   0.075, 0.1,    0.15,  0.2,  0.3,   0.4,  0.5,   0.75, 1.0,  2.5}};
    Histogram e2e{{0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0,
                   120.0, 240.0, 480.0}};
  };
  PerModel& model(const std::string& name);

  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, PerModel> models_;
};

// Escapes a label value (backslash, quote, newline).
std::string escape_label(const std::string& v);

}  // namespace rmlx::api
