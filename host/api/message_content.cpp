#include "api/message_content.h"

#include "api/api_error.h"
#include "api/openai_request.h"

namespace rmlx::api {

namespace {

void check_image_url_part(const Fields& part) {
  const Json* image = part.object("image_url");
  if (image == nullptr) throw invalid_field(part.name("image_url"), "is required");
  Fields img(*image, part.name("image_url"));
  std::string url = img.required_str("url");
  if (url.empty()) throw invalid_field(img.name("url"), "must not be empty");
  if (url.rfind("data:", 0) == 0 && url.find(";base64,") == std::string::npos) {
    throw invalid_field(img.name("url"), "is a data: URL without ';base64,'");
  }
  if (auto detail = img.str("detail")) {
    if (*detail != "auto" && *detail != "low" && *detail != "high") {
      throw invalid_field(img.name("detail"), "must be \"auto\", \"low\" or \"high\"");
    }
  }
}

}  // namespace

std::string openai_content_text(const Json* content, const std::string& field) {
  if (content == nullptr) return "";
  if (content->is_string()) return content->get<std::string>();
  if (!content->is_array()) {
    throw invalid_field(
        field, "must be a string or an array of content parts, got " + json_type_name(*content));
  }
  std::string text;
  for (std::size_t i = 0; i < content->size(); ++i) {
    Fields part((*content)[i], index_path(field, i));
    std::string type = part.required_str("type");
    if (type == "text" || type == "input_text" || type == "output_text") {
      if (i > 0) text += "\n";
      text += part.required_str("text");
    } else if (type == "image_url") {
      check_image_url_part(part);
      throw ApiError(ErrorKind::invalid_request,
                     "'" + part.name("type") + "': image input is not supported by this model",
                     part.name("type"));
    } else if (type == "input_audio" || type == "file" || type == "input_image" ||
               type == "input_file") {
      throw ApiError(ErrorKind::invalid_request,
                     "'" + part.name("type") + "': " + type + " is not supported by this model",
                     part.name("type"));
    } else {
      throw invalid_field(part.name("type"), "is not a known content part type: \"" + type + "\"");
    }
  }
  return text;
}

Json openai_message_to_template(const Json& message, const std::string& field) {
  Fields m(message, field);
  std::string role = m.required_str("role");
  Json out = Json::object();
  if (role == "developer") role = "system";
  if (role != "system" && role != "user" && role != "assistant" && role != "tool") {
    throw invalid_field(m.name("role"),
                        "must be \"system\", \"developer\", \"user\", \"assistant\" or \"tool\", "
                        "got \"" +
                            role + "\"");
  }
  out["role"] = role;
  const Json* content = m.get("content");
  if (content == nullptr && role != "assistant")
    throw invalid_field(m.name("content"), "is required");
  out["content"] = openai_content_text(content, m.name("content"));
  if (auto name = m.str("name")) out["name"] = *name;
  if (role == "assistant") {
    // Both spellings of the reasoning field are accepted.
    auto reasoning = m.str("reasoning_content");
    if (!reasoning) reasoning = m.str("reasoning");
    if (reasoning) out["reasoning_content"] = *reasoning;
    if (const Json* calls = m.array("tool_calls")) {
      Json tool_calls = Json::array();
      for (std::size_t i = 0; i < calls->size(); ++i) {
        Fields c((*calls)[i], index_path(m.name("tool_calls"), i));
        std::string id = c.str("id").value_or("");
        if (auto type = c.str("type"); type && *type != "function") {
          throw invalid_field(c.name("type"), "must be \"function\", got \"" + *type + "\"");
        }
        const Json* fn = c.object("function");
        if (fn == nullptr) throw invalid_field(c.name("function"), "is required");
        Fields fnf(*fn, c.name("function"));
        std::string name = fnf.required_str("name");
        std::string args = fnf.str("arguments").value_or("{}");
        tool_calls.push_back(
            {{"id", id},
             {"type", "function"},
             {"function", {{"name", name}, {"arguments", arguments_for_template(args)}}}});
      }
      if (!tool_calls.empty()) out["tool_calls"] = tool_calls;
    }
    if (content == nullptr && !out.contains("tool_calls")) {
      throw invalid_field(m.name("content"), "is required when there are no tool_calls");
    }
  }
  if (role == "tool") {
    if (auto id = m.str("tool_call_id")) {
      out["tool_call_id"] = *id;
    } else {
      throw invalid_field(m.name("tool_call_id"), "is required");
    }
  }
  return out;
}

}  // namespace rmlx::api
