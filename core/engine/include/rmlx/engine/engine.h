// The engine: one thread owns the scheduler, the KV cache and the backend.
// Callers submit token requests from any thread and read events from their
// stream; a stream that is cancelled (or dropped) frees its KV blocks on the
// next step.
//
//   auto engine = Engine::load(options, registry);
//   auto stream = engine->submit(request);
//   Event ev;
//   while (stream->next(ev)) { ... if (ev.finish != FinishReason::none) break; }
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rmlx/engine/request.h"

namespace rmlx::registry {
class Registry;
}

namespace rmlx::engine {

struct EngineOptions {
  std::string model_dir;
  std::string backend = "cpu";
  int threads = 0;  // 0: the backend's default
  std::string kv_codec = "f16";
  std::int64_t kv_memory_bytes = 0;  // 0: derived from max_model_len and max_batch
  int max_model_len = 0;             // 0: the model's context length, capped at 8192
  int max_batch = 16;                // running sequences at most
  int block_size = 16;               // tokens per KV block
  int prefill_chunk = 512;           // prompt tokens per sequence per step
  bool exact_activations = true;     // float activations in quantized matmuls (MLX-equal)
  // Speculative decoding for requests that do not choose: a drafter plugin
  // name with an optional ":arg" ("ngram", "layerskip:8"); "" or "none": off.
  std::string drafter;
  int draft_tokens = 4;  // tokens proposed per step (1..64)
  // Read the weights into anonymous memory on 2 MiB pages instead of mapping
  // them (snapshot::LoadMode::read): more resident memory, a full read at load.
  bool no_mmap = false;
};

struct ModelInfo {
  std::string id;  // the snapshot folder's name
  std::string architecture;
  std::int64_t vocab_size = 0;
  int max_model_len = 0;
  std::vector<std::int32_t> eos_ids;
};

struct Metrics {
  int running = 0;
  int waiting = 0;
  std::int64_t kv_blocks_total = 0;
  std::int64_t kv_blocks_used = 0;
  std::int64_t prompt_tokens = 0;  // processed so far
  std::int64_t generated_tokens = 0;
  std::int64_t prefix_cache_queries = 0;  // prompt tokens looked up
  std::int64_t prefix_cache_hits = 0;     // of which served from cache
  std::int64_t draft_tokens = 0;          // proposed by drafters and verified
  std::int64_t draft_tokens_accepted = 0; // of which the target confirmed
};

class Stream {
 public:
  virtual ~Stream() = default;
  // Waits for the next event; false when none came within the timeout.
  virtual bool next(Event& out, std::chrono::milliseconds timeout = std::chrono::hours(24)) = 0;
  // Stops generation; the final event has FinishReason::cancelled.
  virtual void cancel() = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  // Loads the snapshot with the plugins that claim it; throws std::runtime_error
  // with one line naming the file/plugin and the problem.
  static std::unique_ptr<Engine> load(const EngineOptions& options, registry::Registry& registry);

  virtual const ModelInfo& info() const = 0;
  // Validates (throws std::invalid_argument naming the field) and queues.
  virtual std::shared_ptr<Stream> submit(Request request) = 0;
  virtual Metrics metrics() const = 0;
};

}  // namespace rmlx::engine
