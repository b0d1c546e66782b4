// Small helpers for writing the non-weight files of a snapshot.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace rmlx::snapshot {

// Writes `text` to `path` (through a temporary file renamed into place).
void write_text_file(const std::string& path, const std::string& text);
// Writes JSON indented by 2 as Hugging Face tools do, with a trailing newline.
void write_json_file(const std::string& path, const nlohmann::ordered_json& j);

}  // namespace rmlx::snapshot
