// POST /tokenize, /detokenize and /apply-template: the model's tokenizer and
// chat template over HTTP, in vLLM's request and response shapes. They load
// only the tokenizer files (never the weights), so they answer for a folder
// that holds nothing else.
#include <httplib.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string_view>

#include "api/json_fields.h"
#include "server/server_call.h"

namespace rmlx::host {

namespace {

using api::ApiError;
using api::ErrorKind;
using api::Fields;
using api::Json;

// config.json's context length, null when the folder does not say.
Json max_model_len(const std::string& dir) {
  std::ifstream in(std::filesystem::path(dir) / "config.json");
  if (!in) return nullptr;
  try {
    auto config = Json::parse(in);
    for (const char* key : {"max_position_embeddings", "max_seq_len", "n_positions"}) {
      if (config.contains(key) && config[key].is_number_integer()) return config[key];
    }
  } catch (const nlohmann::json::exception&) {
  }
  return nullptr;
}

// The conversation as the template receives it: each message an object with
// a string "role" (everything else is passed through, as transformers does).
const Json& checked_messages(const Fields& f) {
  const Json* messages = f.array("messages");
  if (messages == nullptr) throw api::invalid_field("messages", "is required");
  // As transformers, which refuses an empty conversation before rendering.
  if (messages->empty()) throw api::invalid_field("messages", "must hold at least one message");
  for (std::size_t i = 0; i < messages->size(); ++i) {
    Fields(messages->at(i), api::index_path("messages", i)).required_str("role");
  }
  return *messages;
}

struct ChatOptions {
  Json tools = nullptr;
  Json kwargs = Json::object();
  bool add_generation_prompt = true;
  bool continue_final_message = false;  // end the prompt inside the last message
};

ChatOptions chat_options(const Fields& f) {
  ChatOptions o;
  if (const Json* tools = f.array("tools")) {
    for (std::size_t i = 0; i < tools->size(); ++i) {
      if (!tools->at(i).is_object()) {
        throw api::invalid_field(api::index_path("tools", i),
                                 "must be an object, got " + api::json_type_name(tools->at(i)));
      }
    }
    if (!tools->empty()) o.tools = *tools;
  }
  if (const Json* kwargs = f.object("chat_template_kwargs")) o.kwargs = *kwargs;
  o.continue_final_message = f.boolean("continue_final_message").value_or(false);
  const auto generation_prompt = f.boolean("add_generation_prompt");
  if (o.continue_final_message && generation_prompt.value_or(false)) {
    throw ApiError(ErrorKind::invalid_request,
                   "'continue_final_message' and 'add_generation_prompt' cannot both be true",
                   "continue_final_message");
  }
  o.add_generation_prompt = generation_prompt.value_or(!o.continue_final_message);
  return o;
}

// transformers' continue_final_message: a marker is appended to the last
// message's text (its last text part), the conversation is rendered, and the
// prompt is cut where the marker landed, so the model continues that text.
constexpr std::string_view kContinueTag = "CONTINUE_FINAL_MESSAGE_TAG ";

Json tag_final_message(Json messages) {
  Json& content = messages.back()["content"];
  if (content.is_string()) {
    content = content.get<std::string>() + std::string(kContinueTag);
    return messages;
  }
  if (content.is_array()) {
    for (auto it = content.rbegin(); it != content.rend(); ++it) {
      if (it->is_object() && it->contains("text") && (*it)["text"].is_string()) {
        (*it)["text"] = (*it)["text"].get<std::string>() + std::string(kContinueTag);
        return messages;
      }
    }
  }
  throw api::invalid_field("messages[" + std::to_string(messages.size() - 1) + "].content",
                           "has no text to continue (continue_final_message)");
}

void cut_at_tag(std::string& text) {
  const std::string_view bare = kContinueTag.substr(0, kContinueTag.size() - 1);
  const auto pos = text.rfind(bare);
  if (pos == std::string::npos) {
    throw ApiError(ErrorKind::invalid_request,
                   "continue_final_message: the chat template does not render the final "
                   "message's text",
                   "continue_final_message");
  }
  const bool spacing_kept = text.compare(pos, kContinueTag.size(), kContinueTag) == 0;
  text.resize(pos);
  if (!spacing_kept) {
    // The template trimmed the message; drop the spacing before the marker too.
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  }
}

std::string render(api::ModelRuntime& model, const Json& messages, const ChatOptions& o) {
  if (!model.has_chat_template()) {
    throw ApiError(ErrorKind::invalid_request,
                   "model '" + model.id() + "' has no chat template; send 'prompt' instead",
                   "messages");
  }
  try {
    if (!o.continue_final_message) {
      return tmpl::render_chat(model.templates(), messages, o.tools, o.add_generation_prompt,
                               o.kwargs);
    }
    std::string text = tmpl::render_chat(model.templates(), tag_final_message(messages), o.tools,
                                         o.add_generation_prompt, o.kwargs);
    cut_at_tag(text);
    return text;
  } catch (const tmpl::TemplateError& e) {
    throw ApiError(
        ErrorKind::invalid_request,
        "the chat template of model '" + model.id() + "' rejected the conversation: " + e.message(),
        "messages");
  }
}

}  // namespace

void Server::install_tokenize_routes() {
  // "model" may be left out when one model is served.
  auto model_of = [this](Call& call, const Fields& f) -> api::ModelRuntime& {
    std::optional<std::string> id = f.str("model");
    if (!id) {
      if (models_.size() != 1) throw api::invalid_field("model", "is required");
      id = models_.front()->id();
    }
    auto& model = find_model(*id);
    call.record->model = *id;
    model.ensure_text();
    return model;
  };

  route_post("/tokenize", api::Dialect::openai, [model_of](Call& call) {
    const Json body = api::parse_body(call.req.body);
    const Fields f(body, "");
    const bool chat = f.has("messages");
    if (chat == f.has("prompt")) {
      throw ApiError(ErrorKind::invalid_request,
                     chat ? "give either 'prompt' or 'messages', not both"
                          : "'prompt' or 'messages' is required",
                     chat ? "prompt" : "messages");
    }
    std::string text;
    api::ModelRuntime* model = nullptr;
    if (chat) {
      const Json& messages = checked_messages(f);
      const ChatOptions options = chat_options(f);
      model = &model_of(call, f);
      text = render(*model, messages, options);
    } else {
      text = f.required_str("prompt");
      model = &model_of(call, f);
    }
    // A rendered template already holds its special tokens.
    const bool add_special = f.boolean("add_special_tokens").value_or(!chat);
    const bool token_strs = f.boolean("return_token_strs").value_or(false);
    const auto& tok = model->tokenizer();
    const auto ids = tok.encode(text, add_special);
    call.record->prompt_tokens = static_cast<int>(ids.size());
    Json strs = nullptr;
    if (token_strs) {
      strs = Json::array();
      for (auto id : ids) strs.push_back(tok.id_to_token(id));
    }
    send_json(call.res, 200,
              {{"count", ids.size()},
               {"max_model_len", max_model_len(model->dir())},
               {"tokens", ids},
               {"token_strs", strs}});
  });

  route_post("/detokenize", api::Dialect::openai, [model_of](Call& call) {
    const Json body = api::parse_body(call.req.body);
    const Fields f(body, "");
    const Json* tokens = f.array("tokens");
    if (tokens == nullptr) throw api::invalid_field("tokens", "is required");
    const bool skip_special = f.boolean("skip_special_tokens").value_or(false);
    auto& model = model_of(call, f);
    const auto& tok = model.tokenizer();
    const auto limit = static_cast<std::int64_t>(tok.vocab_size());
    std::vector<std::int32_t> ids;
    ids.reserve(tokens->size());
    for (std::size_t i = 0; i < tokens->size(); ++i) {
      const Json& v = tokens->at(i);
      const std::string field = api::index_path("tokens", i);
      if (!v.is_number_integer()) {
        throw api::invalid_field(field, "must be an integer, got " + api::json_type_name(v));
      }
      const auto id = v.get<std::int64_t>();
      if (id < 0 || id > std::numeric_limits<std::int32_t>::max() ||
          (id >= limit && tok.id_to_token(static_cast<std::int32_t>(id)).empty())) {
        throw api::invalid_field(field, "is not a token id of this tokenizer (0.." +
                                            std::to_string(limit - 1) + "), got " + v.dump());
      }
      ids.push_back(static_cast<std::int32_t>(id));
    }
    send_json(call.res, 200, {{"prompt", tok.decode(ids, skip_special)}});
  });

  route_post("/apply-template", api::Dialect::openai, [model_of](Call& call) {
    const Json body = api::parse_body(call.req.body);
    const Fields f(body, "");
    const Json& messages = checked_messages(f);
    const ChatOptions options = chat_options(f);
    auto& model = model_of(call, f);
    send_json(call.res, 200, {{"prompt", render(model, messages, options)}});
  });
}

}  // namespace rmlx::host
