// POST /v1/embeddings in OpenAI's shape.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "api/json_fields.h"
#include "rmlx/embed/pooling.h"
#include "server/server_call.h"

namespace rmlx::host {

namespace {

using api::Json;

// OpenAI's own limit on inputs per request.
constexpr std::size_t kMaxInputs = 2048;

std::string base64(const std::vector<float>& v) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes(v.size() * sizeof(float), '\0');
  // Little-endian float32, as the OpenAI clients decode it.
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint32_t u;
    std::memcpy(&u, &v[i], sizeof u);
    for (int b = 0; b < 4; ++b)
      bytes[i * 4 + static_cast<std::size_t>(b)] = static_cast<char>((u >> (8 * b)) & 0xff);
  }
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t chunk = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      chunk <<= 8;
      if (j < n) chunk |= static_cast<unsigned char>(bytes[i + j]);
    }
    out += kAlphabet[(chunk >> 18) & 63];
    out += kAlphabet[(chunk >> 12) & 63];
    out += n > 1 ? kAlphabet[(chunk >> 6) & 63] : '=';
    out += n > 2 ? kAlphabet[chunk & 63] : '=';
  }
  return out;
}

// One input as the client sent it: text, or token ids of the text.
struct RawInput {
  bool is_text = true;
  std::string text;
  std::vector<std::int32_t> ids;
  std::string path;  // "input" or "input[i]", for errors
};

std::vector<std::int32_t> token_list(const Json& arr, const std::string& path) {
  if (arr.empty()) throw api::invalid_field(path, "must not be an empty list of token ids");
  std::vector<std::int32_t> ids;
  ids.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const Json& v = arr[i];
    if (!v.is_number_integer()) {
      throw api::invalid_field(api::index_path(path, i),
                               "must be a token id (integer), not " + api::json_type_name(v));
    }
    const auto id = v.get<std::int64_t>();
    if (id < 0 || id > INT32_MAX) {
      throw api::invalid_field(api::index_path(path, i),
                               "token id " + std::to_string(id) + " is outside the vocabulary");
    }
    ids.push_back(static_cast<std::int32_t>(id));
  }
  return ids;
}

std::vector<RawInput> parse_input(const Json& input) {
  std::vector<RawInput> out;
  if (input.is_string()) {
    out.push_back({true, input.get<std::string>(), {}, "input"});
    return out;
  }
  if (!input.is_array()) {
    throw api::invalid_field("input",
                             "must be a string, a list of strings, a list of token ids "
                             "or a list of lists of token ids, not " +
                                 api::json_type_name(input));
  }
  if (input.empty()) throw api::invalid_field("input", "must not be empty");
  const Json& first = input[0];
  if (first.is_number_integer()) {
    if (input.size() > 1000000) throw api::invalid_field("input", "has too many token ids");
    out.push_back({false, {}, token_list(input, "input"), "input"});
    return out;
  }
  if (input.size() > kMaxInputs) {
    throw api::invalid_field("input", "holds " + std::to_string(input.size()) +
                                          " inputs; at most " + std::to_string(kMaxInputs) +
                                          " are allowed per request");
  }
  for (std::size_t i = 0; i < input.size(); ++i) {
    const Json& v = input[i];
    const std::string path = api::index_path("input", i);
    if (first.is_string()) {
      if (!v.is_string()) {
        throw api::invalid_field(path,
                                 "must be a string like the other inputs (a list may not mix "
                                 "strings with other types), not " +
                                     api::json_type_name(v));
      }
      out.push_back({true, v.get<std::string>(), {}, path});
    } else if (first.is_array()) {
      if (!v.is_array()) {
        throw api::invalid_field(path, "must be a list of token ids like the other inputs, not " +
                                           api::json_type_name(v));
      }
      out.push_back({false, {}, token_list(v, path), path});
    } else {
      throw api::invalid_field(path, "must be a string, a token id or a list of token ids, not " +
                                         api::json_type_name(v));
    }
  }
  return out;
}

}  // namespace

void Server::embeddings(Call& call) {
  auto body = api::parse_body(call.req.body);
  api::Fields f(body, "");
  const std::string model_id = f.required_str("model");
  call.record->model = model_id;
  api::ModelRuntime& runtime = find_model(model_id);
  if (!embedding_models_.is_embedding(runtime)) {
    throw api::ApiError(api::ErrorKind::invalid_request,
                        "model '" + model_id +
                            "' cannot embed: it is a generative model; /v1/embeddings needs an "
                            "embedding model",
                        "model", "model_not_embedding");
  }
  const Json* input = f.get("input");
  if (input == nullptr) throw api::invalid_field("input", "is required");
  std::vector<RawInput> raw = parse_input(*input);
  const std::string format = f.str("encoding_format").value_or("float");
  if (format != "float" && format != "base64") {
    throw api::invalid_field("encoding_format",
                             "must be \"float\" or \"base64\", not \"" + format + "\"");
  }
  const bool truncate = f.boolean("truncate").value_or(true);
  const auto dims_field = f.integer("dimensions", INT64_MIN, INT64_MAX);
  (void)f.str("user");

  auto embedder = embedding_models_.get(runtime, registry_, options_.engine.threads);
  const auto& info = embedder->info();
  std::size_t dims = static_cast<std::size_t>(info.dimensions);
  if (dims_field) {
    if (*dims_field < 1 || *dims_field > info.dimensions) {
      throw api::invalid_field(
          "dimensions", "must be between 1 and " + std::to_string(info.dimensions) +
                            " for model '" + model_id + "', not " + std::to_string(*dims_field));
    }
    dims = static_cast<std::size_t>(*dims_field);
  }

  std::vector<std::vector<std::int32_t>> inputs;
  inputs.reserve(raw.size());
  std::int64_t prompt_tokens = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const std::string& path = raw[i].path;
    for (std::size_t j = 0; j < raw[i].ids.size(); ++j) {
      if (raw[i].ids[j] >= info.vocab_size) {
        throw api::invalid_field(api::index_path(path, j),
                                 "token id " + std::to_string(raw[i].ids[j]) +
                                     " is outside the vocabulary [0, " +
                                     std::to_string(info.vocab_size) + ")");
      }
    }
    try {
      inputs.push_back(raw[i].is_text ? embedder->tokenize(raw[i].text, truncate)
                                      : embedder->wrap_ids(std::move(raw[i].ids), truncate));
    } catch (const std::length_error& e) {
      throw api::invalid_field(
          path, std::string("is too long: ") + e.what() + " (send \"truncate\": true to cut it)");
    } catch (const std::out_of_range& e) {
      throw api::invalid_field(path, e.what());
    }
    if (inputs.back().empty()) {
      // A decoder whose tokenizer adds no special tokens gives an empty text none.
      throw api::invalid_field(path, "has no tokens: model '" + model_id +
                                         "' adds no special tokens, so an empty input is nothing "
                                         "to embed");
    }
    prompt_tokens += static_cast<std::int64_t>(inputs.back().size());
  }
  call.record->prompt_tokens = static_cast<int>(prompt_tokens);

  std::vector<std::vector<float>> vectors;
  try {
    vectors = embedder->embed(std::move(inputs));
  } catch (const api::ApiError&) {
    throw;
  } catch (const std::exception& e) {
    throw api::ApiError(api::ErrorKind::internal, std::string("embedding failed: ") + e.what());
  }

  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    auto& v = vectors[i];
    embed::shorten(v, dims);
    nlohmann::ordered_json item;
    item["object"] = "embedding";
    item["index"] = i;
    if (format == "base64") {
      item["embedding"] = base64(v);
    } else {
      item["embedding"] = v;
    }
    data.push_back(std::move(item));
  }
  nlohmann::ordered_json out;
  out["object"] = "list";
  out["data"] = std::move(data);
  out["model"] = model_id;
  out["usage"] = {{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}};
  send_json(call.res, 200, out);
}

}  // namespace rmlx::host
