// The HTTP server: routes requests to the API dialects. HTTP threads only
// parse, enqueue and stream; each model's engine thread owns the model.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/access_control.h"
#include "api/api_error.h"
#include "api/embedding_models.h"
#include "api/generation.h"
#include "api/metrics.h"
#include "api/model_runtime.h"
#include "api/parser_choice.h"
#include "api/response_store.h"
#include "rmlx/engine/engine.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace rmlx::registry {
class Registry;
}

namespace rmlx::host {

struct ServedModel {
  std::string id;    // what clients put in "model"
  std::string path;  // the snapshot folder
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::vector<ServedModel> models;
  std::string api_key;                    // empty: no authentication
  std::size_t max_body_bytes = 8u << 20;  // larger bodies get 413
  int rate_limit_per_minute = 0;          // per client address; 0: off
  double request_timeout_s = 600;         // whole request, streaming included; 0: none
  std::vector<std::string> cors_origins;  // "*" allows any
  int http_threads = 64;                  // concurrent connections served
  double idle_unload_s = 0;               // free a model's engine after this long unused; 0: never
  engine::EngineOptions engine;           // per-model engine settings
  api::ParserChoice parser_overrides;     // --tool-call-parser / --reasoning-parser
  std::optional<int> reasoning_budget;    // think-block tokens at most, unless a request says
};

// What the access log and the request metrics need about one request.
struct RequestRecord {
  std::string route;
  std::string model;
  bool stream = false;
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int cached_tokens = 0;
  double ttft_s = -1;
  std::string finish;
  std::string error;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

class Server {
 public:
  Server(ServerOptions options, registry::Registry& registry);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the socket; on failure returns false with the reason in `error`.
  bool bind(std::string& error);
  // Serves until stop(); returns after the listener closed.
  void run();
  void stop();
  int port() const { return options_.port; }

  struct Call;  // one request in flight (server_call.h)

 private:
  using Handler = std::function<void(Call&)>;

  void install_routes();
  void install_tokenize_routes();  // tokenize_routes.cpp
  void route_post(const std::string& path, api::Dialect dialect, Handler handler);
  void route_get(const std::string& path, api::Dialect dialect, Handler handler);
  void run_guarded(const httplib::Request& req, httplib::Response& res, const std::string& path,
                   api::Dialect dialect, const Handler& handler);
  void access_log(const httplib::Request& req, const httplib::Response& res);

  api::ModelRuntime& find_model(const std::string& id);
  std::chrono::steady_clock::time_point deadline_from_now() const;
  void unload_idle_models();  // the idle-unload thread

  // Shared by the generating routes (generate_routes.cpp).
  struct Prepared;
  Prepared prepare(Call& call, api::GenerationRequest request);
  std::shared_ptr<api::Generation> start_generation(Call& call, Prepared& prepared);
  void run_to_end(Call& call, api::Generation& gen, const std::string& model);
  struct StreamPlan;
  // A plan streaming `writer`'s output for `gen` (the dialect adds its
  // closing, error and idle events).
  template <class Writer>
  static StreamPlan plan_for(std::shared_ptr<api::Generation> gen, std::shared_ptr<Writer> writer,
                             std::string model);
  void stream_response(Call& call, StreamPlan plan);
  void observe(api::Generation& gen, RequestRecord& record, const std::string& model);
  void finish_record(api::Generation& gen, RequestRecord& record, const std::string& model);

  // Dialect handlers (generate_routes.cpp).
  void chat_completions(Call& call);
  void completions(Call& call);
  void responses(Call& call);
  void messages(Call& call);
  void count_tokens(Call& call);
  // POST /v1/embeddings (embeddings_routes.cpp).
  void embeddings(Call& call);

  ServerOptions options_;
  registry::Registry& registry_;
  std::unique_ptr<httplib::Server> http_;
  std::vector<std::unique_ptr<api::ModelRuntime>> models_;
  api::ServerMetrics metrics_;
  api::RateLimiter limiter_;
  api::CorsPolicy cors_;
  api::ResponseStore responses_store_;
  api::EmbeddingModels embedding_models_;
  std::mutex records_mu_;
  std::map<std::string, std::shared_ptr<RequestRecord>> records_;  // by request id, until logged
  long long started_at_ = 0;
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
  bool stopping_ = false;
  std::thread idle_thread_;
};

}  // namespace rmlx::host
