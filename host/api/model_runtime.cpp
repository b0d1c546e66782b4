#include "api/model_runtime.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/structured_output.h"
#include "rmlx/registry/registry.h"

namespace rmlx::api {

namespace {

enum State { kUnloaded = 0, kLoading, kLoaded, kFailed };

std::string read_architecture(const std::string& dir) {
  std::ifstream in(std::filesystem::path(dir) / "config.json");
  if (!in) return "";
  try {
    auto j = nlohmann::json::parse(in);
    if (j.contains("architectures") && j["architectures"].is_array() &&
        !j["architectures"].empty() && j["architectures"][0].is_string()) {
      return j["architectures"][0].get<std::string>();
    }
  } catch (const nlohmann::json::exception&) {
  }
  return "";
}

}  // namespace

ModelRuntime::ModelRuntime(std::string id, std::string dir, engine::EngineOptions options,
                           ParserChoice overrides, registry::Registry& registry)
    : id_(std::move(id)),
      dir_(std::move(dir)),
      options_(std::move(options)),
      overrides_(std::move(overrides)),
      registry_(registry) {
  options_.model_dir = dir_;
}

ModelRuntime::~ModelRuntime() = default;

std::string ModelRuntime::state() const {
  switch (state_.load()) {
    case kLoading:
      return "loading";
    case kLoaded:
      return "loaded";
    case kFailed:
      return "failed";
    default:
      return "unloaded";
  }
}

void ModelRuntime::ensure_text() {
  if (text_loaded_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(mu_);
  if (text_loaded_.load()) return;
  if (!text_error_.empty()) {
    throw ApiError(ErrorKind::unavailable, "model '" + id_ + "' failed to load: " + text_error_);
  }
  try {
    tokenizer_ = std::make_unique<tokenizer::Tokenizer>(tokenizer::Tokenizer::from_dir(dir_));
    templates_ = tmpl::ChatTemplateConfig::load(dir_);
  } catch (const std::exception& e) {
    text_error_ = e.what();
    spdlog::error("model '{}' failed to load: {}", id_, text_error_);
    throw ApiError(ErrorKind::unavailable, "model '" + id_ + "' failed to load: " + text_error_);
  }
  std::string source;
  if (const std::string* t = templates_.find("default")) source = *t;
  if (const std::string* t = templates_.find("tool_use")) source += *t;
  parsers_ = choose_parsers(source, read_architecture(dir_), overrides_);
  text_loaded_.store(true, std::memory_order_release);
}

void ModelRuntime::ensure_loaded() {
  ensure_text();
  if (state_.load(std::memory_order_acquire) == kLoaded) return;
  std::lock_guard lock(mu_);
  if (state_.load() == kLoaded) return;
  if (state_.load() == kFailed) {
    throw ApiError(ErrorKind::unavailable, "model '" + id_ + "' failed to load: " + error_);
  }
  state_ = kLoading;
  spdlog::info("loading model '{}' from {}", id_, dir_);
  try {
    engine_ = engine::Engine::load(options_, registry_);
  } catch (const std::exception& e) {
    error_ = e.what();
    state_ = kFailed;
    spdlog::error("model '{}' failed to load: {}", id_, error_);
    throw ApiError(ErrorKind::unavailable, "model '" + id_ + "' failed to load: " + error_);
  }
  spdlog::info("model '{}' loaded ({}, tool parser: {}, reasoning parser: {})", id_,
               engine_->info().architecture, parsers_.tool.empty() ? "none" : parsers_.tool,
               parsers_.reasoning.empty() ? "none" : parsers_.reasoning);
  state_.store(kLoaded, std::memory_order_release);
}

std::shared_ptr<sdk::TextParser> ModelRuntime::make_parser(bool tool, const std::string& name,
                                                           const std::string& tools_json,
                                                           const std::string& prompt_tail,
                                                           std::uint64_t id_seed) {
  if (name.empty()) return nullptr;
  std::string options = nlohmann::json{{"id_seed", id_seed}}.dump();
  std::shared_ptr<sdk::TextParser> parser;
  try {
    if (tool) {
      parser = registry_.create<sdk::ToolParser>(name, options);
    } else {
      parser = registry_.create<sdk::ReasoningParser>(name, options);
    }
  } catch (const std::exception& e) {
    throw ApiError(ErrorKind::internal, std::string(tool ? "tool" : "reasoning") + " parser '" +
                                            name + "' is unavailable: " + e.what());
  }
  parser->reset(tools_json, prompt_tail);
  return parser;
}

std::shared_ptr<const grammar::Vocabulary> ModelRuntime::grammar_vocabulary(
    const std::vector<std::int32_t>& eos_ids) {
  std::lock_guard lock(vocab_mu_);
  if (!vocab_) vocab_ = build_grammar_vocabulary(*tokenizer_, eos_ids);
  return vocab_;
}

std::optional<engine::Metrics> ModelRuntime::metrics() const {
  if (state_.load(std::memory_order_acquire) != kLoaded) return std::nullopt;
  return engine_->metrics();
}

}  // namespace rmlx::api
