#include "api/openai_request.h"

#include <limits>

#include "api/api_error.h"
#include "api/message_content.h"

namespace rmlx::api {

namespace {

constexpr std::int64_t kMaxTokensLimit = 1 << 24;
constexpr std::int64_t kMaxN = 16;

void read_common_generation(const Fields& f, GenerationRequest& r) {
  r.model = f.required_str("model");
  if (r.model.empty()) throw invalid_field("model", "must not be empty");
  r.stream = f.boolean("stream").value_or(false);
  if (const Json* so = f.object("stream_options")) {
    Fields sof(*so, "stream_options");
    r.include_usage = sof.boolean("include_usage").value_or(false);
  }
  r.n = static_cast<int>(f.integer("n", 1, kMaxN).value_or(1));
  r.stop = f.strings("stop", 16);
  for (std::size_t i = 0; i < r.stop.size(); ++i) {
    if (r.stop[i].empty()) throw invalid_field(index_path("stop", i), "must not be empty");
  }
  read_sampling_fields(f, r);
}

}  // namespace

void check_tool_name(const std::string& name, const std::string& field) {
  if (name.empty() || name.size() > 64) {
    throw invalid_field(field,
                        "must be 1 to 64 characters long, got " + std::to_string(name.size()));
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) throw invalid_field(field, "may only hold a-z, A-Z, 0-9, '_', '-' and '.'");
  }
}

Json arguments_for_template(const std::string& arguments) {
  try {
    Json parsed = Json::parse(arguments);
    if (parsed.is_object()) return parsed;
  } catch (const Json::exception&) {
  }
  return arguments;
}

void read_sampling_fields(const Fields& f, GenerationRequest& r) {
  auto& s = r.sampling;
  if (auto v = f.number("temperature", 0.0, 2.0)) s.temperature = static_cast<float>(*v);
  if (auto v = f.number("top_p", 0.0, 1.0)) s.top_p = static_cast<float>(*v);
  if (auto v = f.integer("top_k", -1, std::numeric_limits<int>::max())) {
    s.top_k = static_cast<int>(*v < 0 ? 0 : *v);
  }
  if (auto v = f.number("min_p", 0.0, 1.0)) s.min_p = static_cast<float>(*v);
  if (auto v = f.number("presence_penalty", -2.0, 2.0)) s.presence_penalty = static_cast<float>(*v);
  if (auto v = f.number("frequency_penalty", -2.0, 2.0)) {
    s.frequency_penalty = static_cast<float>(*v);
  }
  if (auto v = f.number("repetition_penalty", 0.01, 10.0)) {
    s.repetition_penalty = static_cast<float>(*v);
  }
  if (auto v = f.integer("seed", std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max())) {
    s.seed = static_cast<std::uint64_t>(*v);
  }
  if (const Json* bias = f.object("logit_bias")) {
    for (auto it = bias->begin(); it != bias->end(); ++it) {
      const std::string field = "logit_bias." + it.key();
      std::int32_t id = 0;
      try {
        std::size_t used = 0;
        long long v = std::stoll(it.key(), &used);
        if (used != it.key().size() || v < 0 || v > std::numeric_limits<std::int32_t>::max()) {
          throw std::invalid_argument("range");
        }
        id = static_cast<std::int32_t>(v);
      } catch (const std::exception&) {
        throw invalid_field("logit_bias", "keys must be token ids, got \"" + it.key() + "\"");
      }
      if (!it.value().is_number()) {
        throw invalid_field(field, "must be a number, got " + json_type_name(it.value()));
      }
      double b = it.value().get<double>();
      if (b < -100.0 || b > 100.0) {
        throw invalid_field(field, "must be between -100 and 100, got " + it.value().dump());
      }
      s.logit_bias.emplace_back(id, static_cast<float>(b));
    }
  }
  if (const Json* ids = f.array("stop_token_ids")) {
    for (std::size_t i = 0; i < ids->size(); ++i) {
      const Json& v = (*ids)[i];
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0) {
        throw invalid_field(index_path("stop_token_ids", i), "must be a token id");
      }
      r.stop_token_ids.push_back(static_cast<std::int32_t>(v.get<std::int64_t>()));
    }
  }
  r.ignore_eos = f.boolean("ignore_eos").value_or(false);
  r.skip_special_tokens = f.boolean("skip_special_tokens").value_or(true);
  if (auto v = f.integer("reasoning_budget", 0, kMaxTokensLimit)) {
    r.reasoning_budget = static_cast<int>(*v);
  }
  read_speculative(f, r);
}

void read_speculative(const Fields& f, GenerationRequest& r) {
  if (const Json* spec = f.object("speculative")) {
    Fields sf(*spec, f.name("speculative"));
    r.drafter = sf.str("drafter");
    if (auto k = sf.integer("num_draft_tokens", 1, 64)) r.draft_tokens = static_cast<int>(*k);
  }
}

Json read_function_tools(const Fields& f, const char* key, bool flat) {
  const Json* tools = f.array(key);
  if (tools == nullptr) return nullptr;
  Json out = Json::array();
  for (std::size_t i = 0; i < tools->size(); ++i) {
    const std::string path = index_path(key, i);
    Fields t((*tools)[i], path);
    std::string type = t.required_str("type");
    if (type != "function") {
      if (flat) continue;  // Responses API built-in tools (web_search, ...) are not ours to run
      throw invalid_field(t.name("type"), "must be \"function\", got \"" + type + "\"");
    }
    const Json* fn_obj = flat ? &t.json() : t.object("function");
    if (fn_obj == nullptr) throw invalid_field(t.name("function"), "is required");
    Fields fn(*fn_obj, flat ? path : t.name("function"));
    std::string name = fn.required_str("name");
    check_tool_name(name, fn.name("name"));
    Json function = {{"name", name}};
    if (auto d = fn.str("description")) function["description"] = *d;
    if (const Json* p = fn.object("parameters")) {
      function["parameters"] = *p;
    } else {
      function["parameters"] = {{"type", "object"}, {"properties", Json::object()}};
    }
    if (auto s = fn.boolean("strict")) function["strict"] = *s;
    out.push_back({{"type", "function"}, {"function", function}});
  }
  return out;
}

void read_tool_choice(const Fields& f, GenerationRequest& r, bool flat) {
  const bool has_tools = r.tools.is_array() && !r.tools.empty();
  r.tool_choice = has_tools ? ToolChoice::auto_ : ToolChoice::none;
  const Json* tc = f.get("tool_choice");
  if (tc == nullptr) return;
  if (tc->is_string()) {
    std::string s = tc->get<std::string>();
    if (s == "none") {
      r.tool_choice = ToolChoice::none;
    } else if (s == "auto") {
      r.tool_choice = has_tools ? ToolChoice::auto_ : ToolChoice::none;
    } else if (s == "required") {
      if (!has_tools) throw invalid_field("tool_choice", "is \"required\" but no tools were given");
      r.tool_choice = ToolChoice::required;
    } else {
      throw invalid_field(
          "tool_choice",
          "must be \"none\", \"auto\", \"required\" or an object, got \"" + s + "\"");
    }
    return;
  }
  Fields c(*tc, "tool_choice");
  std::string type = c.required_str("type");
  if (type == "allowed_tools") {
    const Json* at = c.object("allowed_tools");
    std::string mode =
        at ? Fields(*at, c.name("allowed_tools")).str("mode").value_or("auto") : "auto";
    r.tool_choice = mode == "required" && has_tools ? ToolChoice::required
                    : has_tools                     ? ToolChoice::auto_
                                                    : ToolChoice::none;
    return;
  }
  if (type != "function") {
    throw invalid_field("tool_choice.type", "must be \"function\", got \"" + type + "\"");
  }
  std::string name;
  if (flat) {
    name = c.required_str("name");
  } else {
    const Json* fn = c.object("function");
    if (fn == nullptr) throw invalid_field("tool_choice.function", "is required");
    name = Fields(*fn, "tool_choice.function").required_str("name");
  }
  bool declared = false;
  if (has_tools) {
    for (const auto& t : r.tools) declared = declared || t["function"]["name"] == name;
  }
  if (!declared) {
    throw invalid_field(flat ? "tool_choice.name" : "tool_choice.function.name",
                        "names \"" + name + "\", which is not among the declared tools");
  }
  r.tool_choice = ToolChoice::named;
  r.tool_choice_name = name;
}

OutputConstraint read_response_format(const Json& format, const std::string& field, bool flat) {
  Fields f(format, field);
  std::string type = f.required_str("type");
  OutputConstraint c;
  if (type == "text") return c;
  if (type == "json_object") {
    c.kind = OutputConstraint::Kind::json_object;
    return c;
  }
  if (type != "json_schema") {
    throw invalid_field(
        f.name("type"),
        "must be \"text\", \"json_object\" or \"json_schema\", got \"" + type + "\"");
  }
  c.kind = OutputConstraint::Kind::json_schema;
  const Json* spec = flat ? &format : f.object("json_schema");
  if (spec == nullptr) throw invalid_field(f.name("json_schema"), "is required");
  Fields s(*spec, flat ? field : f.name("json_schema"));
  c.name = s.required_str("name");
  const Json* schema = s.object("schema");
  c.schema = schema != nullptr ? *schema : Json::object();
  c.strict = s.boolean("strict").value_or(false);
  return c;
}

GenerationRequest parse_chat_request(const Json& body) {
  Fields f(body, "");
  GenerationRequest r;
  read_common_generation(f, r);
  const Json* messages = f.array("messages");
  if (messages == nullptr) throw invalid_field("messages", "is required");
  if (messages->empty()) throw invalid_field("messages", "must hold at least one message");
  for (std::size_t i = 0; i < messages->size(); ++i) {
    r.messages.push_back(openai_message_to_template((*messages)[i], index_path("messages", i)));
  }
  auto max_tokens = f.integer("max_tokens", 1, kMaxTokensLimit);
  auto max_completion = f.integer("max_completion_tokens", 1, kMaxTokensLimit);
  if (max_completion) {
    r.max_tokens = static_cast<int>(*max_completion);
  } else if (max_tokens) {
    r.max_tokens = static_cast<int>(*max_tokens);
  }
  r.sampling.logprobs = f.boolean("logprobs").value_or(false);
  if (auto t = f.integer("top_logprobs", 0, 20)) {
    if (!r.sampling.logprobs && *t > 0) {
      throw invalid_field("top_logprobs", "needs \"logprobs\": true");
    }
    r.sampling.top_logprobs = static_cast<int>(*t);
  }
  r.tools = read_function_tools(f, "tools", false);
  read_tool_choice(f, r, false);
  r.parallel_tool_calls = f.boolean("parallel_tool_calls").value_or(true);
  if (const Json* rf = f.object("response_format")) {
    r.constraint = read_response_format(*rf, "response_format", false);
  }
  if (const Json* kw = f.object("chat_template_kwargs")) r.template_kwargs = *kw;
  r.continue_final_message = f.boolean("continue_final_message").value_or(false);
  return r;
}

GenerationRequest parse_completion_request(const Json& body) {
  Fields f(body, "");
  GenerationRequest r;
  r.chat = false;
  read_common_generation(f, r);
  const Json* prompt = f.get("prompt");
  if (prompt == nullptr) throw invalid_field("prompt", "is required");
  auto read_ids = [](const Json& arr, const std::string& path) {
    std::vector<std::int32_t> ids;
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const Json& v = arr[i];
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0 ||
          v.get<std::int64_t>() > std::numeric_limits<std::int32_t>::max()) {
        throw invalid_field(index_path(path, i), "must be a token id, got " + v.dump());
      }
      ids.push_back(static_cast<std::int32_t>(v.get<std::int64_t>()));
    }
    if (ids.empty()) throw invalid_field(path, "must not be empty");
    return ids;
  };
  if (prompt->is_string()) {
    r.prompt_texts.push_back(prompt->get<std::string>());
  } else if (prompt->is_array() && !prompt->empty() && (*prompt)[0].is_number()) {
    r.prompt_ids.push_back(read_ids(*prompt, "prompt"));
  } else if (prompt->is_array() && !prompt->empty()) {
    for (std::size_t i = 0; i < prompt->size(); ++i) {
      const Json& p = (*prompt)[i];
      if (p.is_string()) {
        if (!r.prompt_ids.empty()) throw invalid_field("prompt", "mixes text and token prompts");
        r.prompt_texts.push_back(p.get<std::string>());
      } else if (p.is_array()) {
        if (!r.prompt_texts.empty()) throw invalid_field("prompt", "mixes text and token prompts");
        r.prompt_ids.push_back(read_ids(p, index_path("prompt", i)));
      } else {
        throw invalid_field(index_path("prompt", i),
                            "must be a string or an array of token ids, got " + json_type_name(p));
      }
    }
  } else {
    throw invalid_field("prompt", prompt->is_array()
                                      ? "must not be empty"
                                      : "must be a string, an array of strings or token ids, got " +
                                            json_type_name(*prompt));
  }
  if (r.prompt_texts.size() + r.prompt_ids.size() > 64) {
    throw invalid_field("prompt", "may hold at most 64 prompts");
  }
  r.max_tokens = static_cast<int>(f.integer("max_tokens", 1, kMaxTokensLimit).value_or(16));
  r.echo = f.boolean("echo").value_or(false);
  if (auto lp = f.integer("logprobs", 0, 20)) {
    r.sampling.logprobs = true;
    r.sampling.top_logprobs = static_cast<int>(*lp);
  }
  if (auto suffix = f.str("suffix"); suffix && !suffix->empty()) {
    throw ApiError(ErrorKind::invalid_request, "'suffix' is not supported", "suffix");
  }
  if (auto best_of = f.integer("best_of", 1, kMaxN); best_of && *best_of != r.n) {
    throw invalid_field("best_of", "must equal n (" + std::to_string(r.n) + ") here");
  }
  if (const Json* rf = f.object("response_format")) {
    r.constraint = read_response_format(*rf, "response_format", false);
  }
  return r;
}

}  // namespace rmlx::api
