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

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

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
  if (state_.load(std::memory_order_acquire) == kLoaded) {
    last_used_ns_ = now_ns();
    return;
  }
  std::lock_guard lock(mu_);
  load_locked();
}

ModelRuntime::Lease ModelRuntime::acquire() {
  ensure_text();
  std::lock_guard lock(mu_);
  load_locked();
  ++leases_;
  last_used_ns_ = now_ns();
  return Lease(static_cast<void*>(this), [this](void*) { release(); });
}

void ModelRuntime::release() {
  last_used_ns_ = now_ns();
  --leases_;
}

bool ModelRuntime::unload_if_idle(std::chrono::steady_clock::duration idle) {
  if (state_.load() != kLoaded || leases_.load() != 0) return false;
  // A load in progress holds mu_; this model is not idle then.
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  const auto idle_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(idle).count();
  if (state_.load() != kLoaded || leases_.load() != 0 || now_ns() - last_used_ns_.load() < idle_ns)
    return false;
  std::shared_ptr<engine::Engine> engine;
  {
    std::lock_guard engine_lock(engine_mu_);
    engine.swap(engine_);
  }
  state_.store(kUnloaded, std::memory_order_release);
  engine.reset();  // joins the engine thread, frees the weights and the KV pool
  spdlog::info("model '{}' unloaded after {:.1f} s without requests", id_,
               static_cast<double>(idle_ns) / 1e9);
  return true;
}

void ModelRuntime::load_locked() {
  if (state_.load() == kLoaded) return;
  if (state_.load() == kFailed) {
    throw ApiError(ErrorKind::unavailable, "model '" + id_ + "' failed to load: " + error_);
  }
  state_ = kLoading;
  spdlog::info("loading model '{}' from {}", id_, dir_);
  std::shared_ptr<engine::Engine> engine;
  try {
    engine = engine::Engine::load(options_, registry_);
  } catch (const std::exception& e) {
    error_ = e.what();
    state_ = kFailed;
    spdlog::error("model '{}' failed to load: {}", id_, error_);
    throw ApiError(ErrorKind::unavailable, "model '" + id_ + "' failed to load: " + error_);
  }
  {
    std::lock_guard engine_lock(engine_mu_);
    engine_ = std::move(engine);
  }
  spdlog::info("model '{}' loaded ({}, tool parser: {}, reasoning parser: {})", id_,
               engine_->info().architecture, parsers_.tool.empty() ? "none" : parsers_.tool,
               parsers_.reasoning.empty() ? "none" : parsers_.reasoning);
  last_used_ns_ = now_ns();
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
  std::shared_ptr<engine::Engine> engine;
  {
    std::lock_guard engine_lock(engine_mu_);
    engine = engine_;
  }
  if (!engine) return std::nullopt;
  return engine->metrics();
}

}  // namespace rmlx::api
