// The engine behind the marker-based tool parsers. Content streams through
// until one of the format's start markers appears; from there the subclass
// decides, on as much text as it needs, whether a call block begins at the
// marker. A block that turns out not to be a call gives its marker back as
// content and scanning resumes right after it, so nothing is dropped or
// duplicated, and because a decision is only taken once the text settles it,
// the events do not depend on how the stream was split.
//
// Whitespace that only separates calls (before a call, between calls, after
// the last one) is dropped; all other text is content.
#pragma once

#include <rmlx/sdk/parser.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rmlx/parsers/declared_tools.h"
#include "rmlx/parsers/events.h"
#include "rmlx/parsers/lenient_json.h"
#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {

struct Marker {
  std::string text;
  bool line_start_only = false;  // only where a line begins (whitespace before it allowed)
};

// What a parser recognises besides its own markers. Bare calls are a
// recovery path: models sometimes drop the format's tags and write the call as
// plain JSON or Python at the start of a line. Such text becomes a call only
// when it names a declared tool (or, with any_name_at_start, when it is the
// whole start of the output, where the format itself puts calls).
struct MarkerConfig {
  std::vector<Marker> markers;
  bool bare_json = true;     // {"name": …}, [{…}, …], ```json fences
  bool bare_python = false;  // [name(key=value, …)], ```tool_code fences
  bool any_name_at_start = false;
};

struct BlockResult {
  enum class Kind { need_more, calls, not_a_call };
  Kind kind = Kind::need_more;
  std::size_t consumed = 0;  // bytes from the marker's first byte
  std::vector<ToolCall> calls;

  static BlockResult more() { return {}; }
  static BlockResult reject() { return {Kind::not_a_call, 0, {}}; }
  static BlockResult done(std::size_t n, std::vector<ToolCall> c) {
    return {Kind::calls, n, std::move(c)};
  }
};

struct BlockContext {
  bool eof = false;           // no more text will come
  bool stream_start = false;  // nothing but whitespace precedes the marker
  bool after_call = false;    // a call (or section token) precedes it, whitespace between
  const DeclaredTools* tools = nullptr;
  // Scan progress kept for this block while it streams in; for the one
  // balanced-bracket scan a block does at a fixed offset.
  BalancedScan* scan = nullptr;
};

// The body of a block `OPEN body CLOSE` in `text` (which starts with OPEN, of
// `open_len` bytes). The body ends at CLOSE; at the first of `restarts` (the
// next block's opening marker or the section's end, left unconsumed), since a
// model that forgets a close tag goes on with what follows; or, at eof, at the
// end of the text, less a truncated CLOSE. nullopt: more text is needed.
struct TagBody {
  std::string_view body;
  std::size_t consumed = 0;
  bool closed = false;
};
std::optional<TagBody> tag_body(std::string_view text, std::size_t open_len, std::string_view close,
                                std::initializer_list<std::string_view> restarts, bool eof);

// Section tokens around a run of calls (`<|tool_calls_section_begin|>` …
// `<|tool_calls_section_end|>`) carry no text of their own, but only where
// they really frame calls; elsewhere they stay content. An opener is silent
// when the block after it (whitespace between allowed) starts with
// `call_marker` and `parse_call` accepts it; a closer when it follows a call.
template <typename ParseCall>
BlockResult section_opener(std::string_view text, std::size_t open_len,
                           std::string_view call_marker, const BlockContext& ctx,
                           ParseCall&& parse_call) {
  const std::size_t j = skip_ws(text, open_len);
  if (text.size() - j < call_marker.size()) {
    if (call_marker.substr(0, text.size() - j) != text.substr(j)) return BlockResult::reject();
    return ctx.eof ? BlockResult::reject() : BlockResult::more();
  }
  if (text.substr(j, call_marker.size()) != call_marker) return BlockResult::reject();
  BlockResult first = parse_call(text.substr(j));
  if (first.kind != BlockResult::Kind::calls) return first;
  return BlockResult::done(open_len, {});
}

inline BlockResult section_closer(std::size_t close_len, const BlockContext& ctx) {
  return ctx.after_call ? BlockResult::done(close_len, {}) : BlockResult::reject();
}

class MarkerToolParser : public sdk::ToolParser {
 public:
  MarkerToolParser(std::string_view options_json, MarkerConfig config);

  void reset(std::string_view tools_json, std::string_view prompt_tail) override;
  std::vector<sdk::ParseEvent> feed(std::string_view text) override;
  std::vector<sdk::ParseEvent> finish() override;

 protected:
  // `marker` indexes config.markers; `text` starts at the marker's first
  // byte. The answer may only depend on the text given (need_more when more
  // text could change it); at eof it must not be need_more.
  virtual BlockResult on_block(std::size_t marker, std::string_view text,
                               const BlockContext& ctx) = 0;
  // The id of a call the model gave none: OpenAI style by default.
  virtual std::string generate_id(int index, const ToolCall& call) const;
  std::uint64_t id_seed() const { return id_seed_; }
  std::uint64_t stream_number() const { return stream_; }

 private:
  BlockResult on_bare(std::size_t marker, std::string_view text, const BlockContext& ctx) const;
  BlockResult bare_fence(std::string_view text, const DeclaredTools* tools, bool eof) const;
  void pump(bool eof);
  void emit_content(std::string_view text);
  void emit_calls(std::vector<ToolCall>& calls);
  void note_consumed(std::string_view text);
  bool line_start_at(std::size_t pos) const;
  bool find_marker(std::size_t& pos, std::size_t& marker) const;
  std::size_t held_prefix() const;
  bool longer_marker_pending(std::size_t marker) const;

  std::vector<Marker> markers_;  // the format's, then the bare-call ones
  std::size_t own_markers_ = 0;
  MarkerConfig config_;
  std::uint64_t id_seed_ = 0;
  std::uint64_t stream_ = 0;
  DeclaredTools tools_;
  EventList out_;
  std::string buf_;        // text not yet decided
  std::string ws_;         // trailing whitespace of content, held
  std::size_t block_ = 0;  // marker at buf_[0] when in_block_
  bool in_block_ = false;
  bool block_stream_start_ = false;
  bool block_after_call_ = false;
  BalancedScan block_scan_;
  bool after_call_ = false;
  bool line_start_ = true;
  bool stream_start_ = true;
  int next_index_ = 0;
};

}  // namespace rmlx::parsers
