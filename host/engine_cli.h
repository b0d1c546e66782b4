// Command-line options shared by the commands that run a model (generate,
// chat, serve, bench): the engine's settings and the sampling flags.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rmlx/engine/engine.h"
#include "rmlx/sampling/params.h"

namespace rmlx::host {

struct SamplingFlags {
  sampling::SamplingParams params;
  int max_tokens = 256;
  long long seed = -1;  // -1: random
  std::vector<std::string> stop;
};

// The engine's settings (backend, threads, context, batch, KV cache, ...).
void add_engine_options(boost::program_options::options_description& desc,
                        engine::EngineOptions& options);
// The same plus --model/-m (one snapshot folder).
void add_engine_options(boost::program_options::options_description& desc,
                        engine::EngineOptions& options, std::string& model);
// "8G", "512M", "64K", "4096" -> bytes; -1 when malformed or negative.
std::int64_t parse_size(const std::string& text);
void add_sampling_options(boost::program_options::options_description& desc, SamplingFlags& flags);
// Copies the seed into params; call after parsing.
void finish_sampling_flags(SamplingFlags& flags);

// The snapshot to load: `model` when given, else the prepared default model.
// Throws std::runtime_error with a hint when neither exists. With
// need_weights false, a folder of tokenizer files is enough.
std::string resolve_model_dir(const std::string& model, bool need_weights = true);

}  // namespace rmlx::host
