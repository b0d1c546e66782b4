#include "api/metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace rmlx::api {

namespace {

std::string number(double v) {
  return fmt::format("{}", v);
}

void header(std::string& out, const std::string& name, const char* type, const char* help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
  sum_ += v;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  std::uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, number(bounds_[i]),
                       cumulative);
  }
  cumulative += counts_.back();
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
  out += fmt::format("{}_sum{{{}}} {}\n", name, labels, number(sum_));
  out += fmt::format("{}_count{{{}}} {}\n", name, labels, count_);
}

ServerMetrics::PerModel& ServerMetrics::model(const std::string& name) {
  return models_[name];
}

void ServerMetrics::count_request(const std::string& route, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{route, status}];
}

void ServerMetrics::add_tokens(const std::string& m, std::int64_t prompt, std::int64_t generated) {
  std::lock_guard lock(mu_);
  auto& pm = model(m);
  pm.prompt_tokens += prompt;
  pm.generation_tokens += generated;
}

void ServerMetrics::observe_ttft(const std::string& m, double seconds) {
  std::lock_guard lock(mu_);
  model(m).ttft.observe(seconds);
}

void ServerMetrics::observe_inter_token(const std::string& m, double seconds) {
  std::lock_guard lock(mu_);
  model(m).itl.observe(seconds);
}

void ServerMetrics::observe_e2e(const std::string& m, double seconds) {
  std::lock_guard lock(mu_);
  model(m).e2e.observe(seconds);
}

std::string ServerMetrics::render(const std::vector<EngineGauges>& engines) const {
  std::lock_guard lock(mu_);
  std::string out;
  header(out, "rmlx:requests_total", "counter", "HTTP requests by route and status.");
  for (const auto& [key, n] : requests_) {
    out += fmt::format("rmlx:requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                       escape_label(key.first), key.second, n);
  }
  auto per_model_counter = [&](const char* name, const char* help, auto get) {
    header(out, name, "counter", help);
    for (const auto& [m, pm] : models_) {
      out += fmt::format("{}{{model_name=\"{}\"}} {}\n", name, escape_label(m), get(pm));
    }
  };
  per_model_counter("rmlx:prompt_tokens_total", "Prompt tokens of finished requests.",
                    [](const PerModel& pm) { return pm.prompt_tokens; });
  per_model_counter("rmlx:generation_tokens_total", "Generated tokens of finished requests.",
                    [](const PerModel& pm) { return pm.generation_tokens; });
  auto per_model_histogram = [&](const char* name, const char* help, auto get) {
    header(out, name, "histogram", help);
    for (const auto& [m, pm] : models_) {
      get(pm).render(out, name, fmt::format("model_name=\"{}\"", escape_label(m)));
    }
  };
  per_model_histogram("rmlx:time_to_first_token_seconds", "Time to the first generated token.",
                      [](const PerModel& pm) -> const Histogram& { return pm.ttft; });
  per_model_histogram("rmlx:inter_token_latency_seconds", "Time between generated tokens.",
                      [](const PerModel& pm) -> const Histogram& { return pm.itl; });
  per_model_histogram("rmlx:e2e_request_latency_seconds", "Whole-request latency.",
                      [](const PerModel& pm) -> const Histogram& { return pm.e2e; });

  auto gauge = [&](const char* name, const char* type, const char* help, auto get) {
    header(out, name, type, help);
    for (const auto& e : engines) {
      out +=
          fmt::format("{}{{model_name=\"{}\"}} {}\n", name, escape_label(e.model), get(e.metrics));
    }
  };
  gauge("rmlx:num_requests_running", "gauge", "Sequences in the running batch.",
        [](const engine::Metrics& m) { return m.running; });
  gauge("rmlx:num_requests_waiting", "gauge", "Sequences waiting to be admitted.",
        [](const engine::Metrics& m) { return m.waiting; });
  gauge("rmlx:kv_blocks_used", "gauge", "KV cache blocks in use.",
        [](const engine::Metrics& m) { return m.kv_blocks_used; });
  gauge("rmlx:kv_blocks_free", "gauge", "KV cache blocks free.",
        [](const engine::Metrics& m) { return m.kv_blocks_total - m.kv_blocks_used; });
  gauge("rmlx:kv_cache_usage_perc", "gauge", "Fraction of KV cache blocks in use (0-1).",
        [](const engine::Metrics& m) {
          return number(m.kv_blocks_total > 0 ? static_cast<double>(m.kv_blocks_used) /
                                                    static_cast<double>(m.kv_blocks_total)
                                              : 0.0);
        });
  gauge("rmlx:prefix_cache_queries_total", "counter",
        "Prompt tokens looked up in the prefix cache.",
        [](const engine::Metrics& m) { return m.prefix_cache_queries; });
  gauge("rmlx:prefix_cache_hits_total", "counter", "Prompt tokens served from the prefix cache.",
        [](const engine::Metrics& m) { return m.prefix_cache_hits; });
  gauge("rmlx:spec_decode_num_draft_tokens_total", "counter",
        "Tokens proposed by speculative drafters and verified.",
        [](const engine::Metrics& m) { return m.draft_tokens; });
  gauge("rmlx:spec_decode_num_accepted_tokens_total", "counter",
        "Drafted tokens the target model confirmed.",
        [](const engine::Metrics& m) { return m.draft_tokens_accepted; });
  gauge("rmlx:prefix_cache_hit_rate", "gauge", "Prefix cache hits / queries (0-1).",
        [](const engine::Metrics& m) {
          return number(m.prefix_cache_queries > 0 ? static_cast<double>(m.prefix_cache_hits) /
                                                         static_cast<double>(m.prefix_cache_queries)
                                                   : 0.0);
        });
  return out;
}

}  // namespace rmlx::api
