// One served model: its tokenizer, chat templates, parsers and engine,
// loaded on first use (so start-up is instant and a broken model only fails
// its own requests). The engine (weights and KV cache) can be freed again
// when no request has used it for a while, and reloads on the next one.
// Thread-safe.
#pragma once

#include <rmlx/sdk/parser.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/parser_choice.h"
#include "rmlx/engine/engine.h"
#include "rmlx/grammar/vocabulary.h"
#include "rmlx/template/chat_template.hpp"
#include "rmlx/tokenizer/tokenizer.h"

namespace rmlx::registry {
class Registry;
}

namespace rmlx::api {

class ModelRuntime {
 public:
  ModelRuntime(std::string id, std::string dir, engine::EngineOptions options,
               ParserChoice overrides, registry::Registry& registry);
  ~ModelRuntime();

  const std::string& id() const { return id_; }
  const std::string& dir() const { return dir_; }
  // "unloaded", "loading", "loaded" or "failed".
  std::string state() const;

  // Loads the tokenizer and chat templates once (enough to build and count
  // prompts); throws ApiError (503 naming the model and the reason).
  void ensure_text();
  // Loads the engine too. Prefer acquire(): without a lease, an idle
  // unload may free the engine once it has been unused for the idle time.
  void ensure_loaded();
  // Loads the engine when needed and keeps it loaded until the returned
  // lease is dropped; throws ApiError like ensure_loaded().
  using Lease = std::shared_ptr<void>;
  Lease acquire();
  // Frees the engine and its KV cache when it is loaded, no lease is held
  // and none has been for `idle`; true when it did.
  bool unload_if_idle(std::chrono::steady_clock::duration idle);

  // Valid while a lease is held (or after ensure_loaded()).
  engine::Engine& engine() { return *engine_; }
  const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }
  const tmpl::ChatTemplateConfig& templates() const { return templates_; }
  const ParserChoice& parsers() const { return parsers_; }
  const engine::ModelInfo& info() const { return engine_->info(); }
  bool has_chat_template() const { return !templates_.templates.empty(); }

  // A fresh parser `name` for one choice, reset for this request; nullptr
  // when `name` is empty.
  std::shared_ptr<sdk::TextParser> make_parser(bool tool, const std::string& name,
                                               const std::string& tools_json,
                                               const std::string& prompt_tail,
                                               std::uint64_t id_seed);
  // Engine metrics when loaded.
  std::optional<engine::Metrics> metrics() const;
  // The tokenizer's vocabulary for grammar masks, built on first use and
  // kept (valid after ensure_text()).
  std::shared_ptr<const grammar::Vocabulary> grammar_vocabulary(
      const std::vector<std::int32_t>& eos_ids);

 private:
  std::string id_, dir_;
  engine::EngineOptions options_;
  ParserChoice overrides_;
  registry::Registry& registry_;
  void load_locked();  // with mu_ held
  void release();

  mutable std::mutex mu_;         // loading and unloading
  mutable std::mutex engine_mu_;  // engine_ as /metrics reads it
  std::atomic<int> state_{0};
  std::atomic<int> leases_{0};
  std::atomic<std::int64_t> last_used_ns_{0};  // steady clock
  std::atomic<bool> text_loaded_{false};
  std::string error_, text_error_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  tmpl::ChatTemplateConfig templates_;
  ParserChoice parsers_;
  std::shared_ptr<engine::Engine> engine_;
  std::mutex vocab_mu_;
  std::shared_ptr<const grammar::Vocabulary> vocab_;
};

}  // namespace rmlx::api
