// /v1/completions, /v1/responses, /v1/messages and /v1/messages/count_tokens
// (chat completions and the shared machinery are in generate_routes.cpp).
#include <httplib.h>

#include "api/anthropic_request.h"
#include "api/anthropic_writer.h"
#include "api/openai_request.h"
#include "api/openai_writer.h"
#include "api/responses_api.h"
#include "api/wire_util.h"
#include "server/server_call.h"

namespace rmlx::host {

using api::ApiError;
using api::ErrorKind;
using api::Json;

void Server::completions(Call& call) {
  auto body = api::parse_body(call.req.body);
  auto prepared = prepare(call, api::parse_completion_request(body));
  auto gen = start_generation(call, prepared);
  api::ResponseMeta meta{api::random_id("cmpl-"), prepared.request.model, api::unix_time()};
  const bool echo = prepared.request.echo;
  if (!prepared.request.stream) {
    run_to_end(call, *gen, meta.model);
    send_json(call.res, 200,
              api::completion_body(meta, gen->results(), gen->prompts(), echo, gen->usage()));
    return;
  }
  auto writer = std::make_shared<api::CompletionStreamWriter>(
      meta, prepared.request.include_usage, echo, &gen->prompts(), prepared.request.n);
  writer->begin(static_cast<int>(gen->results().size()));
  auto plan = plan_for(gen, writer, meta.model);
  plan.on_end = [writer, gen] { writer->end(gen->usage()); };
  plan.on_error = [writer](const ApiError& e) { writer->error(e); };
  stream_response(call, std::move(plan));
}

void Server::responses(Call& call) {
  auto body = api::parse_body(call.req.body);
  auto rr = api::parse_responses_request(body);
  if (!rr.previous_response_id.empty()) {
    auto history = responses_store_.get(rr.previous_response_id);
    if (!history) {
      throw ApiError(ErrorKind::not_found,
                     "previous response '" + rr.previous_response_id + "' was not found",
                     "previous_response_id", "previous_response_not_found");
    }
    // The new instructions (if any) lead; the old ones are not carried over.
    Json merged = Json::array();
    Json fresh = rr.gen.messages;
    if (!fresh.empty() && fresh[0]["role"] == "system") {
      merged.push_back(fresh[0]);
      fresh.erase(fresh.begin());
    }
    for (const auto& m : *history) {
      if (m["role"] != "system") merged.push_back(m);
    }
    for (const auto& m : fresh) merged.push_back(m);
    rr.gen.messages = std::move(merged);
  }
  auto prepared = prepare(call, std::move(rr.gen));
  auto gen = start_generation(call, prepared);
  api::ResponseState state{api::random_id("resp_"), prepared.request.model, api::unix_time(),
                           rr.echo};
  // Keeps the finished conversation for a later previous_response_id.
  auto remember = [this, store = rr.store, id = state.id,
                   messages = prepared.request.messages](const api::ChoiceResult& c) {
    if (!store) return;
    Json all = messages;
    Json reply = {{"role", "assistant"}, {"content", c.content}};
    if (!c.reasoning.empty()) reply["reasoning_content"] = c.reasoning;
    if (!c.tool_calls.empty()) {
      Json calls = Json::array();
      for (const auto& t : c.tool_calls) {
        calls.push_back(
            {{"id", t.id},
             {"type", "function"},
             {"function",
              {{"name", t.name}, {"arguments", api::arguments_for_template(t.arguments)}}}});
      }
      reply["tool_calls"] = calls;
    }
    all.push_back(reply);
    responses_store_.put(id, std::move(all));
  };
  if (!prepared.request.stream) {
    run_to_end(call, *gen, state.model);
    const auto& c = gen->results().at(0);
    auto usage = gen->usage();
    remember(c);
    send_json(call.res, 200,
              api::response_object(state, &c, &usage, api::response_output(c, state.id.substr(5))));
    return;
  }
  auto writer = std::make_shared<api::ResponsesStreamWriter>(state);
  writer->begin();
  auto plan = plan_for(gen, writer, state.model);
  plan.on_end = [writer, gen, remember] {
    const auto& c = gen->results().at(0);
    writer->end(c, gen->usage());
    remember(c);
  };
  plan.on_error = [writer](const ApiError& e) {
    writer->fail(e.kind() == ErrorKind::timeout ? "timeout" : "server_error", e.what());
  };
  stream_response(call, std::move(plan));
}

void Server::messages(Call& call) {
  auto body = api::parse_body(call.req.body);
  auto prepared = prepare(call, api::parse_messages_request(body));
  auto gen = start_generation(call, prepared);
  api::MessageMeta meta{api::random_id("msg_"), prepared.request.model,
                        static_cast<int>(prepared.prompts.at(0).ids.size())};
  if (!prepared.request.stream) {
    run_to_end(call, *gen, meta.model);
    send_json(call.res, 200, api::message_body(meta, gen->results().at(0), gen->usage()));
    return;
  }
  auto writer = std::make_shared<api::MessageStreamWriter>(meta);
  writer->begin();
  auto plan = plan_for(gen, writer, meta.model);
  plan.on_end = [writer, gen] { writer->end(gen->usage(), gen->results().at(0)); };
  plan.on_error = [writer](const ApiError& e) { writer->error(e); };
  plan.on_idle = [writer] { writer->ping(); };
  stream_response(call, std::move(plan));
}

void Server::count_tokens(Call& call) {
  auto body = api::parse_body(call.req.body);
  auto request = api::parse_messages_request(body, true);
  auto& model = find_model(request.model);
  embedding_models_.reject_generation(model);
  call.record->model = request.model;
  model.ensure_text();
  api::ParserChoice parsers = model.parsers();
  if (request.tools.is_array() && !request.tools.empty() && parsers.tool.empty()) {
    parsers.tool = "hermes";
  }
  auto prompt =
      api::build_chat_prompt(model.templates(), model.tokenizer(), parsers, request, model.id());
  send_json(call.res, 200, {{"input_tokens", prompt.ids.size()}});
}

}  // namespace rmlx::host
