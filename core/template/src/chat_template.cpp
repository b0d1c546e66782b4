#include "rmlx/template/chat_template.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "interpreter.hpp"
#include "parser.hpp"

namespace rmlx::tmpl {

namespace detail {
struct Program {
  std::string source;
  ProgramData data;
  RenderLimits limits;
};
}  // namespace detail

namespace {

std::string format_error(int line, int column, const std::string& message) {
  return "chat template: line " + std::to_string(line) + ", column " + std::to_string(column) +
         ": " + message;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::ordered_json read_json(const std::filesystem::path& path) {
  try {
    return nlohmann::ordered_json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": invalid JSON: " + e.what());
  }
}

// A special token as transformers stores it: a string, or an AddedToken dict with "content".
std::optional<std::string> token_string(const nlohmann::ordered_json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string())
    return v["content"].get<std::string>();
  return std::nullopt;
}

void set_pair(std::vector<std::pair<std::string, std::string>>& pairs, const std::string& key,
              std::string value) {
  for (auto& kv : pairs) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  }
  pairs.emplace_back(key, std::move(value));
}

const char* const kSpecialTokenNames[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                          "pad_token", "cls_token", "mask_token"};

void read_special_tokens(const nlohmann::ordered_json& cfg, ChatTemplateConfig& out) {
  for (const char* name : kSpecialTokenNames) {
    if (!cfg.contains(name)) continue;
    if (auto s = token_string(cfg[name])) set_pair(out.special_tokens, name, *s);
  }
  if (cfg.contains("extra_special_tokens") && cfg["extra_special_tokens"].is_object()) {
    for (auto it = cfg["extra_special_tokens"].begin(); it != cfg["extra_special_tokens"].end();
         ++it)
      if (auto s = token_string(it.value())) set_pair(out.special_tokens, it.key(), *s);
  }
}

// transformers drops message keys whose value is None, then copies a message's reasoning
// into both "thinking" (first key) and "reasoning_content".
Value normalize_message(const nlohmann::ordered_json& m) {
  if (!m.is_object()) throw std::invalid_argument("chat messages must be JSON objects");
  nlohmann::ordered_json kept = nlohmann::ordered_json::object();
  for (auto it = m.begin(); it != m.end(); ++it)
    if (!it.value().is_null()) kept[it.key()] = it.value();
  const nlohmann::ordered_json* reasoning = nullptr;
  for (const char* key : {"reasoning_content", "thinking", "reasoning"}) {
    if (kept.contains(key)) {
      reasoning = &kept[key];
      break;
    }
  }
  if (!reasoning) return Value::from_json(kept);
  Value r = Value::from_json(*reasoning);
  Dict d;
  d.set(Value("thinking"), r);
  for (auto it = kept.begin(); it != kept.end(); ++it)
    d.set(Value(it.key()), Value::from_json(it.value()));
  d.set(Value("reasoning_content"), r);
  return Value::dict(std::move(d));
}

}  // namespace

TemplateError::TemplateError(Kind kind, int line, int column, std::string message)
    : std::runtime_error(format_error(line, column, message)),
      kind_(kind),
      line_(line),
      column_(column),
      message_(std::move(message)) {}

ChatTemplate ChatTemplate::parse(std::string source, RenderLimits limits) {
  auto program = std::make_shared<detail::Program>();
  program->data = detail::parse_template(source);
  program->source = std::move(source);
  program->limits = limits;
  ChatTemplate t;
  t.program_ = std::move(program);
  return t;
}

const std::string& ChatTemplate::source() const {
  return program_->source;
}

std::string ChatTemplate::render(
    const std::vector<std::pair<std::string, Value>>& variables) const {
  detail::Interpreter interp(program_->limits);
  try {
    return interp.render(program_->data, variables);
  } catch (const detail::EvalError& e) {
    // Every statement converts these; this only guards against a missed path.
    throw TemplateError(e.kind(), 1, 1, e.what());
  }
}

std::string ChatTemplate::render(const nlohmann::ordered_json& context) const {
  if (!context.is_object()) throw std::invalid_argument("template context must be a JSON object");
  std::vector<std::pair<std::string, Value>> vars;
  for (auto it = context.begin(); it != context.end(); ++it)
    vars.emplace_back(it.key(), Value::from_json(it.value()));
  return render(vars);
}

std::string ChatTemplate::render(const nlohmann::json& context) const {
  return render(nlohmann::ordered_json::parse(context.dump()));
}

ChatTemplateConfig ChatTemplateConfig::from_tokenizer_config(const nlohmann::ordered_json& cfg) {
  if (!cfg.is_object()) throw std::invalid_argument("tokenizer_config.json: not a JSON object");
  ChatTemplateConfig out;
  read_special_tokens(cfg, out);
  if (cfg.contains("chat_template")) {
    const auto& ct = cfg["chat_template"];
    if (ct.is_string()) {
      out.templates.emplace_back("default", ct.get<std::string>());
    } else if (ct.is_array()) {
      for (const auto& t : ct) {
        if (!t.is_object() || !t.contains("name") || !t.contains("template") ||
            !t["name"].is_string() || !t["template"].is_string())
          throw std::invalid_argument(
              "tokenizer_config.json: chat_template list entries need string \"name\" and "
              "\"template\"");
        set_pair(out.templates, t["name"].get<std::string>(), t["template"].get<std::string>());
      }
    } else if (!ct.is_null()) {
      throw std::invalid_argument(
          "tokenizer_config.json: chat_template must be a string or a list of templates");
    }
  }
  return out;
}

ChatTemplateConfig ChatTemplateConfig::load(const std::filesystem::path& dir) {
  ChatTemplateConfig out;
  const auto config_path = dir / "tokenizer_config.json";
  nlohmann::ordered_json cfg = nlohmann::ordered_json::object();
  if (std::filesystem::exists(config_path)) {
    cfg = read_json(config_path);
    out = from_tokenizer_config(cfg);
  }
  const auto legacy = dir / "special_tokens_map.json";
  if (!cfg.contains("added_tokens_decoder") && std::filesystem::exists(legacy)) {
    ChatTemplateConfig extra;
    read_special_tokens(read_json(legacy), extra);
    for (auto& [k, v] : extra.special_tokens) set_pair(out.special_tokens, k, v);
  }
  std::vector<std::pair<std::string, std::string>> files;
  if (std::filesystem::exists(dir / "chat_template.jinja"))
    files.emplace_back("default", read_file(dir / "chat_template.jinja"));
  const auto extra_dir = dir / "additional_chat_templates";
  if (std::filesystem::is_directory(extra_dir)) {
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator(extra_dir))
      if (entry.path().extension() == ".jinja") paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) files.emplace_back(p.stem().string(), read_file(p));
  }
  if (!files.empty()) out.templates = std::move(files);
  return out;
}

const std::string* ChatTemplateConfig::find(const std::string& name) const {
  for (const auto& [k, v] : templates)
    if (k == name) return &v;
  return nullptr;
}

const std::string& ChatTemplateConfig::select(bool has_tools) const {
  if (templates.empty()) throw std::runtime_error("the model has no chat template");
  if (has_tools)
    if (const std::string* t = find("tool_use")) return *t;
  if (const std::string* t = find("default")) return *t;
  std::string names;
  for (const auto& [k, v] : templates) names += (names.empty() ? "" : ", ") + k;
  throw std::runtime_error("the model has several chat templates and none is named default: " +
                           names);
}

std::vector<std::pair<std::string, Value>> chat_variables(const ChatTemplateConfig& config,
                                                          const nlohmann::ordered_json& messages,
                                                          const nlohmann::ordered_json& tools,
                                                          bool add_generation_prompt,
                                                          const nlohmann::ordered_json& kwargs) {
  if (!messages.is_array()) throw std::invalid_argument("messages must be a JSON array");
  if (!tools.is_null() && !tools.is_array())
    throw std::invalid_argument("tools must be a JSON array or null");
  if (!kwargs.is_null() && !kwargs.is_object())
    throw std::invalid_argument("template kwargs must be a JSON object");
  std::vector<std::pair<std::string, Value>> vars;
  auto set = [&](const std::string& k, Value v) {
    for (auto& kv : vars) {
      if (kv.first == k) {
        kv.second = std::move(v);
        return;
      }
    }
    vars.emplace_back(k, std::move(v));
  };
  List msgs;
  for (const auto& m : messages) msgs.push_back(normalize_message(m));
  set("messages", Value::list(std::move(msgs)));
  set("tools", Value::from_json(tools));
  set("documents", Value::none());
  set("add_generation_prompt", Value(add_generation_prompt));
  for (const auto& [k, v] : config.special_tokens) set(k, Value(v));
  if (kwargs.is_object()) {
    for (auto it = kwargs.begin(); it != kwargs.end(); ++it) {
      if (it.key() == "messages" || it.key() == "tools" || it.key() == "add_generation_prompt")
        throw std::invalid_argument("template kwargs may not set '" + it.key() + "'");
      set(it.key(), Value::from_json(it.value()));
    }
  }
  return vars;
}

std::string render_chat(const ChatTemplateConfig& config, const nlohmann::ordered_json& messages,
                        const nlohmann::ordered_json& tools, bool add_generation_prompt,
                        const nlohmann::ordered_json& kwargs) {
  ChatTemplate t = ChatTemplate::parse(config.select(!tools.is_null()));
  return t.render(chat_variables(config, messages, tools, add_generation_prompt, kwargs));
}

std::string render_chat(const std::filesystem::path& model_dir,
                        const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools,
                        bool add_generation_prompt, const nlohmann::ordered_json& kwargs) {
  return render_chat(ChatTemplateConfig::load(model_dir), messages, tools, add_generation_prompt,
                     kwargs);
}

}  // namespace rmlx::tmpl
