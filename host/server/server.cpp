#include "server/server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "api/wire_util.h"
#include "server/server_call.h"

namespace rmlx::host {

namespace {

// httplib reports a failed bind without a reason; ask the kernel why.
std::string bind_failure_reason(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 ||
      res == nullptr) {
    return "cannot resolve host '" + host + "'";
  }
  std::string reason = "unknown error";
  int fd = ::socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd >= 0) {
    if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0) reason = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(res);
  return reason;
}

api::Dialect dialect_of_path(const std::string& path) {
  return path.rfind("/v1/messages", 0) == 0 ? api::Dialect::anthropic : api::Dialect::openai;
}

// A route label for metrics: known paths as they are, anything else "other"
// (so that scanners cannot grow the label set).
std::string route_label(const std::string& path) {
  static const char* kKnown[] = {"/health",
                                 "/metrics",
                                 "/v1/models",
                                 "/v1/completions",
                                 "/v1/chat/completions",
                                 "/v1/responses",
                                 "/v1/messages",
                                 "/v1/messages/count_tokens",
                                 "/v1/embeddings",
                                 "/tokenize",
                                 "/detokenize",
                                 "/apply-template"};
  for (const char* k : kKnown) {
    if (path == k) return path;
  }
  return "other";
}

}  // namespace

void send_json(httplib::Response& res, int status, const nlohmann::ordered_json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                  "application/json");
}

void send_error(Server::Call& call, const api::ApiError& e) {
  call.record->error = e.what();
  send_json(call.res, e.status(), api::error_body(call.dialect, e, call.request_id));
  if (e.kind() == api::ErrorKind::rate_limited) {
    call.res.set_header("x-should-retry", "true");
  }
}

Server::Server(ServerOptions options, registry::Registry& registry)
    : options_(std::move(options)),
      registry_(registry),
      http_(std::make_unique<httplib::Server>()),
      limiter_(options_.rate_limit_per_minute),
      cors_(options_.cors_origins) {
  started_at_ = api::unix_time();
  for (const auto& m : options_.models) {
    models_.push_back(std::make_unique<api::ModelRuntime>(m.id, m.path, options_.engine,
                                                          options_.parser_overrides, registry_));
  }
  // httplib's default also sets SO_REUSEPORT, which would let a second
  // server share the port silently; keep only SO_REUSEADDR.
  http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  const int threads = std::max(4, options_.http_threads);
  http_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  http_->set_payload_max_length(options_.max_body_bytes);
  http_->set_read_timeout(std::chrono::seconds(60));
  http_->set_write_timeout(std::chrono::seconds(60));
  install_routes();
  if (options_.idle_unload_s > 0) idle_thread_ = std::thread([this] { unload_idle_models(); });
}

Server::~Server() {
  stop();
  {
    std::lock_guard lock(idle_mu_);
    stopping_ = true;
  }
  idle_cv_.notify_all();
  if (idle_thread_.joinable()) idle_thread_.join();
}

void Server::unload_idle_models() {
  const auto idle = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(options_.idle_unload_s));
  // Checked a few times per idle period, at most every second.
  const auto period =
      std::clamp(idle / 8, std::chrono::steady_clock::duration(std::chrono::milliseconds(50)),
                 std::chrono::steady_clock::duration(std::chrono::seconds(1)));
  std::unique_lock lock(idle_mu_);
  while (!idle_cv_.wait_for(lock, period, [this] { return stopping_; })) {
    lock.unlock();
    for (auto& m : models_) m->unload_if_idle(idle);
    lock.lock();
  }
}

std::chrono::steady_clock::time_point Server::deadline_from_now() const {
  if (options_.request_timeout_s <= 0) return std::chrono::steady_clock::time_point::max();
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
             std::chrono::duration<double>(options_.request_timeout_s));
}

api::ModelRuntime& Server::find_model(const std::string& id) {
  for (auto& m : models_) {
    if (m->id() == id) return *m;
  }
  std::string served;
  for (const auto& m : models_) served += (served.empty() ? "" : ", ") + m->id();
  throw api::ApiError(
      api::ErrorKind::not_found,
      "the model '" + id + "' does not exist (served: " + (served.empty() ? "none" : served) + ")",
      "model", "model_not_found");
}

void Server::run_guarded(const httplib::Request& req, httplib::Response& res,
                         const std::string& path, api::Dialect dialect, const Handler& handler) {
  Call call{req,
            res,
            api::random_id("req_"),
            dialect,
            std::make_shared<RequestRecord>(),
            deadline_from_now()};
  call.record->route = path;
  {
    std::lock_guard lock(records_mu_);
    records_[call.request_id] = call.record;
  }
  res.set_header("request-id", call.request_id);
  res.set_header("x-request-id", call.request_id);
  if (cors_.enabled()) {
    if (auto allow = cors_.allow(req.get_header_value("Origin"))) {
      res.set_header("Access-Control-Allow-Origin", *allow);
      res.set_header("Vary", "Origin");
    }
  }
  try {
    const bool open_route = path == "/health";
    if (!options_.api_key.empty() && !open_route) {
      auto key = api::presented_key(req.get_header_value("Authorization"),
                                    req.get_header_value("x-api-key"));
      if (!key) {
        throw api::ApiError(api::ErrorKind::authentication,
                            "no API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'");
      }
      if (!api::constant_time_equal(*key, options_.api_key)) {
        throw api::ApiError(api::ErrorKind::authentication, "invalid API key");
      }
    }
    if (limiter_.enabled() && !open_route && path != "/metrics") {
      double wait = limiter_.acquire(req.remote_addr);
      if (wait > 0) {
        auto secs = static_cast<long long>(wait) + 1;
        res.set_header("retry-after", std::to_string(secs));
        res.set_header("retry-after-ms", std::to_string(static_cast<long long>(wait * 1000) + 1));
        throw api::ApiError(api::ErrorKind::rate_limited,
                            "rate limit of " + std::to_string(options_.rate_limit_per_minute) +
                                " requests per minute exceeded; try again in " +
                                std::to_string(secs) + " s");
      }
    }
    handler(call);
  } catch (const api::ApiError& e) {
    send_error(call, e);
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", call.request_id, path, e.what());
    send_error(call,
               api::ApiError(api::ErrorKind::internal, std::string("internal error: ") + e.what()));
  }
}

void Server::route_post(const std::string& path, api::Dialect dialect, Handler handler) {
  http_->Post(path,
              [this, path, dialect, handler](const httplib::Request& req, httplib::Response& res) {
                run_guarded(req, res, path, dialect, handler);
              });
}

void Server::route_get(const std::string& path, api::Dialect dialect, Handler handler) {
  http_->Get(path,
             [this, path, dialect, handler](const httplib::Request& req, httplib::Response& res) {
               run_guarded(req, res, path, dialect, handler);
             });
}

void Server::install_routes() {
  using api::Dialect;
  route_get("/health", Dialect::openai, [](Call& c) { send_json(c.res, 200, {{"status", "ok"}}); });
  route_get("/v1/models", Dialect::openai, [this](Call& c) {
    auto data = nlohmann::ordered_json::array();
    for (const auto& m : models_) {
      data.push_back({{"id", m->id()},
                      {"object", "model"},
                      {"created", started_at_},
                      {"owned_by", "rmlx"},
                      {"state", m->state()}});
    }
    send_json(c.res, 200, {{"object", "list"}, {"data", data}});
  });
  route_get("/metrics", Dialect::openai, [this](Call& c) {
    std::vector<api::EngineGauges> engines;
    for (const auto& m : models_) {
      if (auto metrics = m->metrics()) engines.push_back({m->id(), *metrics});
    }
    c.res.status = 200;
    c.res.set_content(metrics_.render(engines), "text/plain; version=0.0.4; charset=utf-8");
  });
  route_post("/v1/chat/completions", Dialect::openai, [this](Call& c) { chat_completions(c); });
  route_post("/v1/completions", Dialect::openai, [this](Call& c) { completions(c); });
  route_post("/v1/responses", Dialect::openai, [this](Call& c) { responses(c); });
  route_post("/v1/messages", Dialect::anthropic, [this](Call& c) { messages(c); });
  route_post("/v1/messages/count_tokens", Dialect::anthropic, [this](Call& c) { count_tokens(c); });
  install_tokenize_routes();
  route_post("/v1/embeddings", Dialect::openai, [this](Call& c) { embeddings(c); });

  http_->Options(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    auto allow = cors_.allow(req.get_header_value("Origin"));
    if (!allow) {
      res.status = 403;
      return;
    }
    res.status = 204;
    res.set_header("Access-Control-Allow-Origin", *allow);
    res.set_header("Vary", "Origin");
    res.set_header("Access-Control-Allow-Methods", api::CorsPolicy::kAllowMethods);
    res.set_header("Access-Control-Allow-Headers", api::CorsPolicy::kAllowHeaders);
    res.set_header("Access-Control-Max-Age", "600");
  });

  // Errors httplib answers itself (unknown route, body too large, bad
  // request line) still get the dialect's error body.
  http_->set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.status == 204) return;
    const api::Dialect dialect = dialect_of_path(req.path);
    const std::string rid = api::random_id("req_");
    res.set_header("request-id", rid);
    std::optional<api::ApiError> e;
    if (res.status == 404) {
      e.emplace(api::ErrorKind::not_found, "no route for " + req.method + " " + req.path, "",
                "not_found");
    } else if (res.status == 413) {
      e.emplace(api::ErrorKind::too_large, "the request body exceeds the limit of " +
                                               std::to_string(options_.max_body_bytes) + " bytes");
    } else if (res.status == 403 && req.method == "OPTIONS") {
      return;
    } else if (res.status == 405) {
      e.emplace(api::ErrorKind::invalid_request,
                "method " + req.method + " is not allowed on " + req.path);
    } else {
      e.emplace(api::ErrorKind::invalid_request, "malformed HTTP request");
    }
    auto body = api::error_body(dialect, *e, rid);
    res.set_content(body.dump(), "application/json");
  });
  http_->set_logger(
      [this](const httplib::Request& req, const httplib::Response& res) { access_log(req, res); });
}

void Server::access_log(const httplib::Request& req, const httplib::Response& res) {
  std::shared_ptr<RequestRecord> rec;
  const std::string rid = res.get_header_value("request-id");
  {
    std::lock_guard lock(records_mu_);
    auto it = records_.find(rid);
    if (it != records_.end()) {
      rec = it->second;
      records_.erase(it);
    }
  }
  const std::string route = route_label(req.path);
  metrics_.count_request(route, res.status);
  nlohmann::ordered_json line = {{"request_id", rid},
                                 {"client", req.remote_addr},
                                 {"method", req.method},
                                 {"path", req.path},
                                 {"status", res.status}};
  if (rec) {
    if (!rec->model.empty()) line["model"] = rec->model;
    if (rec->prompt_tokens > 0 || rec->completion_tokens > 0) {
      line["stream"] = rec->stream;
      line["prompt_tokens"] = rec->prompt_tokens;
      line["cached_tokens"] = rec->cached_tokens;
      line["completion_tokens"] = rec->completion_tokens;
    }
    if (rec->ttft_s >= 0) line["ttft_ms"] = static_cast<long long>(rec->ttft_s * 1000.0);
    if (!rec->finish.empty()) line["finish"] = rec->finish;
    if (!rec->error.empty()) line["error"] = rec->error;
  }
  spdlog::info("access {}",
               line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

bool Server::bind(std::string& error) {
  if (options_.port == 0) {
    int port = http_->bind_to_any_port(options_.host.c_str());
    if (port <= 0) {
      error = "cannot listen on " + options_.host + ": " + bind_failure_reason(options_.host, 0);
      return false;
    }
    options_.port = port;
    return true;
  }
  if (!http_->bind_to_port(options_.host.c_str(), options_.port)) {
    error = "cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " +
            bind_failure_reason(options_.host, options_.port);
    return false;
  }
  return true;
}

void Server::run() {
  http_->listen_after_bind();
}

void Server::stop() {
  if (http_ && http_->is_running()) http_->stop();
}

}  // namespace rmlx::host
