// One request in flight, as the route handlers see it.
#pragma once

#include <httplib.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/api_error.h"
#include "api/prompt_builder.h"
#include "server/server.h"

namespace rmlx::host {

struct Server::Call {
  const httplib::Request& req;
  httplib::Response& res;
  std::string request_id;
  api::Dialect dialect;
  std::shared_ptr<RequestRecord> record;
  std::chrono::steady_clock::time_point deadline;
};

struct Server::Prepared {
  api::ModelRuntime* model = nullptr;
  api::ModelRuntime::Lease lease;  // keeps the engine loaded while the request runs
  api::GenerationRequest request;
  std::vector<api::PreparedPrompt> prompts;
  api::ParserChoice parsers;
};

struct Server::StreamPlan {
  std::shared_ptr<api::Generation> gen;
  api::ChoiceSink* sink = nullptr;
  std::shared_ptr<void> keep;                          // owns the sink
  std::function<std::string()> take;                   // drains what the sink wrote
  std::function<void()> on_end;                        // closing events
  std::function<void(const api::ApiError&)> on_error;  // an error after the 200
  std::function<void()> on_idle;                       // keep-alive (Anthropic ping)
  std::string model;
};

template <class Writer>
Server::StreamPlan Server::plan_for(std::shared_ptr<api::Generation> gen,
                                    std::shared_ptr<Writer> writer, std::string model) {
  StreamPlan plan;
  plan.gen = std::move(gen);
  plan.sink = writer.get();
  plan.keep = writer;
  plan.model = std::move(model);
  plan.take = [writer] { return writer->take(); };
  return plan;
}

void send_json(httplib::Response& res, int status, const nlohmann::ordered_json& body);
void send_error(Server::Call& call, const api::ApiError& e);

}  // namespace rmlx::host
