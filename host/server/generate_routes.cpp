// The routes that generate: OpenAI chat completions, completions and
// responses, Anthropic messages (and count_tokens). Each parses its body
// into a GenerationRequest, builds the prompt, starts the engine streams,
// and either waits for the whole reply or streams it as server-sent events.
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "api/anthropic_request.h"
#include "api/anthropic_writer.h"
#include "api/openai_request.h"
#include "api/openai_writer.h"
#include "api/prompt_builder.h"
#include "api/responses_api.h"
#include "api/structured_output.h"
#include "api/wire_util.h"
#include "server/server_call.h"

namespace rmlx::host {

using api::ApiError;
using api::ErrorKind;
using api::Json;

namespace {

constexpr auto kPumpWait = std::chrono::milliseconds(100);
constexpr auto kIdlePing = std::chrono::seconds(10);

ApiError timeout_error(double seconds) {
  return ApiError(ErrorKind::timeout, "the request took longer than the server's limit of " +
                                          Json(seconds).dump() + " s");
}

void check_choice_errors(const api::Generation& gen) {
  for (const auto& r : gen.results()) {
    if (r.finish_reason == "error") throw ApiError(ErrorKind::internal, r.error);
  }
}

}  // namespace

Server::Prepared Server::prepare(Call& call, api::GenerationRequest request) {
  Prepared p;
  p.model = &find_model(request.model);
  embedding_models_.reject_generation(*p.model);
  call.record->model = request.model;
  call.record->stream = request.stream;
  // The prompt is built before the engine loads, so a bad conversation is
  // reported as such even when the model's weights cannot be loaded.
  p.model->ensure_text();
  p.parsers = p.model->parsers();
  const bool tools_on = request.chat && request.tool_choice != api::ToolChoice::none &&
                        request.tools.is_array() && !request.tools.empty();
  if (tools_on && p.parsers.tool.empty()) p.parsers.tool = "hermes";
  if (request.chat) {
    p.prompts.push_back(api::build_chat_prompt(p.model->templates(), p.model->tokenizer(),
                                               p.parsers, request, p.model->id()));
  } else {
    p.prompts = api::build_completion_prompts(p.model->tokenizer(), request);
  }
  p.lease = p.model->acquire();
  const auto& info = p.model->info();
  for (const auto& [id, bias] : request.sampling.logit_bias) {
    (void)bias;
    if (info.vocab_size > 0 && id >= info.vocab_size) {
      throw api::invalid_field("logit_bias", "holds token id " + std::to_string(id) +
                                                 ", outside the vocabulary of " +
                                                 std::to_string(info.vocab_size));
    }
  }
  p.request = std::move(request);
  return p;
}

std::shared_ptr<api::Generation> Server::start_generation(Call&, Prepared& p) {
  api::GenerationBackend backend;
  api::ModelRuntime* model = p.model;
  backend.tokenizer = &model->tokenizer();
  // The backend (and so the lease) lives as long as the generation.
  backend.submit = [model, lease = p.lease](engine::Request r) {
    return model->engine().submit(std::move(r));
  };
  const std::string tools_json = api::tools_json_for_parsers(p.request);
  const std::string tail = p.prompts.empty() ? "" : p.prompts[0].prompt_tail;
  const api::ParserChoice parsers = p.parsers;
  backend.make_parser = [model, tools_json, tail, parsers](bool tool, std::uint64_t seed) {
    return model->make_parser(tool, tool ? parsers.tool : parsers.reasoning, tools_json, tail,
                              seed);
  };
  backend.eos_ids = model->info().eos_ids;
  backend.max_model_len = model->info().max_model_len;
  auto constraints = std::make_shared<api::ConstraintFactory>(
      p.request, p.prompts, p.parsers, model->tokenizer(),
      [model, eos = backend.eos_ids] { return model->grammar_vocabulary(eos); },
      options_.reasoning_budget);
  if (!constraints->empty()) {
    backend.make_constraint = [constraints](std::size_t i) { return constraints->make(i); };
  }
  auto gen = std::make_shared<api::Generation>(std::move(backend), p.request, p.prompts);
  gen->start();
  return gen;
}

void Server::observe(api::Generation& gen, RequestRecord& record, const std::string& model) {
  if (record.ttft_s < 0 && gen.ttft()) {
    record.ttft_s = *gen.ttft();
    metrics_.observe_ttft(model, record.ttft_s);
  }
  for (double gap : gen.take_inter_token_latencies()) metrics_.observe_inter_token(model, gap);
}

void Server::finish_record(api::Generation& gen, RequestRecord& record, const std::string& model) {
  observe(gen, record, model);
  auto usage = gen.usage();
  record.prompt_tokens = usage.prompt_tokens;
  record.completion_tokens = usage.completion_tokens;
  record.cached_tokens = usage.cached_tokens;
  std::string finish;
  for (const auto& r : gen.results()) {
    if (finish.find(r.finish_reason) == std::string::npos) {
      finish += (finish.empty() ? "" : ",") + r.finish_reason;
    }
  }
  record.finish = finish;
  metrics_.add_tokens(model, usage.prompt_tokens, usage.completion_tokens);
  metrics_.observe_e2e(
      model,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - record.started).count());
}

void Server::run_to_end(Call& call, api::Generation& gen, const std::string& model) {
  while (gen.pump(nullptr, kPumpWait)) {
    observe(gen, *call.record, model);
    if (std::chrono::steady_clock::now() > call.deadline) {
      gen.cancel();
      finish_record(gen, *call.record, model);
      throw timeout_error(options_.request_timeout_s);
    }
  }
  finish_record(gen, *call.record, model);
  check_choice_errors(gen);
}

void Server::stream_response(Call& call, StreamPlan plan) {
  call.res.set_header("Cache-Control", "no-cache");
  call.res.set_header("X-Accel-Buffering", "no");
  auto record = call.record;
  auto deadline = call.deadline;
  const double timeout_s = options_.request_timeout_s;
  call.res.set_chunked_content_provider(
      "text/event-stream",
      [this, plan, record, deadline, timeout_s](size_t, httplib::DataSink& sink) {
        auto& gen = *plan.gen;
        auto write = [&sink](const std::string& s) {
          return s.empty() || sink.write(s.data(), s.size());
        };
        auto last_write = std::chrono::steady_clock::now();
        if (!write(plan.take())) {
          gen.cancel();
          return false;
        }
        bool more = true;
        while (more) {
          more = gen.pump(plan.sink, kPumpWait);
          observe(gen, *record, plan.model);
          std::string out = plan.take();
          auto now = std::chrono::steady_clock::now();
          if (out.empty() && plan.on_idle && now - last_write > kIdlePing) {
            plan.on_idle();
            out = plan.take();
          }
          if (!out.empty()) {
            // A failed write means the client went away: stop its generation.
            if (!write(out)) {
              gen.cancel();
              record->finish = "disconnected";
              finish_record(gen, *record, plan.model);
              return false;
            }
            last_write = now;
          } else if (!sink.is_writable()) {
            gen.cancel();
            finish_record(gen, *record, plan.model);
            return false;
          }
          if (more && now > deadline) {
            gen.cancel();
            finish_record(gen, *record, plan.model);
            auto e = timeout_error(timeout_s);
            record->error = e.what();
            plan.on_error(e);
            write(plan.take());
            sink.done();
            return true;
          }
        }
        finish_record(gen, *record, plan.model);
        for (const auto& r : gen.results()) {
          if (r.finish_reason == "error") record->error = r.error;
        }
        plan.on_end();
        write(plan.take());
        sink.done();
        return true;
      },
      [plan](bool success) {
        if (!success) plan.gen->cancel();
      });
}

void Server::chat_completions(Call& call) {
  auto body = api::parse_body(call.req.body);
  auto prepared = prepare(call, api::parse_chat_request(body));
  auto gen = start_generation(call, prepared);
  api::ResponseMeta meta{api::random_id("chatcmpl-"), prepared.request.model, api::unix_time()};
  if (!prepared.request.stream) {
    run_to_end(call, *gen, meta.model);
    send_json(call.res, 200, api::chat_completion_body(meta, gen->results(), gen->usage()));
    return;
  }
  auto writer = std::make_shared<api::ChatStreamWriter>(meta, prepared.request.include_usage);
  writer->begin(static_cast<int>(gen->results().size()));
  auto plan = plan_for(gen, writer, meta.model);
  plan.on_end = [writer, gen] { writer->end(gen->usage()); };
  plan.on_error = [writer](const ApiError& e) { writer->error(e); };
  stream_response(call, std::move(plan));
}

}  // namespace rmlx::host
