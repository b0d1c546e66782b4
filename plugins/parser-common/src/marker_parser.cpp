#include "rmlx/parsers/marker_parser.h"

#include "rmlx/parsers/call_ids.h"
#include "rmlx/parsers/json_calls.h"
#include "rmlx/parsers/python_calls.h"
#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {

namespace {

constexpr std::string_view kFence = "```";

// After a bare JSON call: whitespace and one ';' (Llama's parallel-call
// separator) belong to the call syntax. npos: need more text.
std::size_t skip_separator(std::string_view text, std::size_t i, bool eof) {
  std::size_t j = skip_ws(text, i);
  if (j == text.size()) return eof ? i : std::string_view::npos;
  return text[j] == ';' ? j + 1 : i;
}

}  // namespace

std::optional<TagBody> tag_body(std::string_view text, std::size_t open_len, std::string_view close,
                                std::initializer_list<std::string_view> restarts, bool eof) {
  std::string_view rest = text.substr(open_len);
  std::size_t c = rest.find(close);
  std::size_t r = std::string_view::npos;
  for (auto restart : restarts) r = std::min(r, rest.find(restart));
  if (c != std::string_view::npos && c <= r) {
    return TagBody{rest.substr(0, c), open_len + c + close.size(), true};
  }
  if (r != std::string_view::npos) return TagBody{rest.substr(0, r), open_len + r, false};
  if (!eof) return std::nullopt;
  std::string_view body = rest.substr(0, rest.size() - partial_suffix(rest, close));
  return TagBody{body, text.size(), false};
}

MarkerToolParser::MarkerToolParser(std::string_view options_json, MarkerConfig config)
    : markers_(config.markers),
      own_markers_(config.markers.size()),
      config_(std::move(config)),
      id_seed_(parse_id_seed(options_json)) {
  if (config_.bare_json) markers_.push_back({"{", true});
  if (config_.bare_json || config_.bare_python) {
    markers_.push_back({"[", true});
    markers_.push_back({std::string(kFence), true});
  }
}

BlockResult MarkerToolParser::on_bare(std::size_t marker, std::string_view text,
                                      const BlockContext& ctx) const {
  const DeclaredTools* tools = config_.any_name_at_start && ctx.stream_start ? nullptr : &tools_;
  if (tools != nullptr && tools->empty()) return BlockResult::reject();
  const std::string& m = markers_[marker].text;
  if (m == kFence) return bare_fence(text, &tools_, ctx.eof);
  Prefix pj = config_.bare_json ? call_object_prefix(text, tools) : Prefix::reject;
  PyPrefix pp =
      config_.bare_python && m == "[" ? python_list_prefix(text, tools) : PyPrefix::reject;
  if (pj == Prefix::reject && pp == PyPrefix::reject) return BlockResult::reject();
  if (pj == Prefix::need_more || pp == PyPrefix::need_more) {
    return ctx.eof ? BlockResult::reject() : BlockResult::more();
  }
  std::size_t end = find_balanced_end(text, *ctx.scan);
  if (end == std::string_view::npos) return ctx.eof ? BlockResult::reject() : BlockResult::more();
  auto calls = pj == Prefix::match ? parse_json_calls(text.substr(0, end))
                                   : parse_python_calls(text.substr(0, end), false);
  if (!calls) return BlockResult::reject();
  if (tools != nullptr) {
    for (const auto& c : *calls) {
      if (!tools->has(c.name)) return BlockResult::reject();
    }
  }
  std::size_t consumed = skip_separator(text, end, ctx.eof);
  if (consumed == std::string_view::npos) return BlockResult::more();
  return BlockResult::done(consumed, std::move(*calls));
}

// ```lang\n<calls>\n``` where the calls are JSON, or Python for tool_code fences.
BlockResult MarkerToolParser::bare_fence(std::string_view text, const DeclaredTools* tools,
                                         bool eof) const {
  auto wait = [&] { return eof ? BlockResult::reject() : BlockResult::more(); };
  std::size_t i = kFence.size();
  while (i < text.size() && (is_name_char(text[i]) || text[i] == '+')) ++i;
  std::string_view lang = text.substr(kFence.size(), i - kFence.size());
  i = skip_ws(text, i);
  if (i >= text.size()) return wait();
  std::string_view inner_start = text.substr(i);
  std::size_t inner_end = std::string_view::npos;
  if (config_.bare_json && (inner_start[0] == '{' || inner_start[0] == '[')) {
    Prefix p = call_object_prefix(inner_start, tools);
    if (p == Prefix::need_more) return wait();
    if (p == Prefix::match) {
      std::size_t end = find_balanced_end(inner_start);
      if (end == std::string_view::npos) return wait();
      inner_end = i + end;
    }
  }
  const bool python = inner_end == std::string_view::npos && config_.bare_python &&
                      (lang == "tool_code" || lang == "python" || lang == "py");
  if (inner_end == std::string_view::npos && !python) return BlockResult::reject();
  if (python) {
    // Only a call of a declared tool, not any Python snippet, is held back.
    std::string probe = "[";
    probe.append(inner_start.substr(inner_start[0] == '[' ? 1 : 0, 256));
    switch (python_list_prefix(probe, tools)) {
      case PyPrefix::reject:
        return BlockResult::reject();
      case PyPrefix::need_more:
        return wait();
      case PyPrefix::match:
        break;
    }
  }
  std::size_t close = python ? text.find(kFence, i) : skip_ws(text, inner_end);
  if (close == std::string_view::npos || close >= text.size()) return wait();
  switch (match_literal(text.substr(close), kFence)) {
    case Match::no:
      return BlockResult::reject();
    case Match::partial:
      return wait();
    case Match::full:
      break;
  }
  std::string_view inner = text.substr(i, (python ? close : inner_end) - i);
  auto calls = python ? parse_python_calls(inner, true) : parse_json_calls(inner);
  if (!calls) return BlockResult::reject();
  if (tools != nullptr) {
    for (const auto& c : *calls) {
      if (!tools->has(c.name)) return BlockResult::reject();
    }
  }
  return BlockResult::done(close + kFence.size(), std::move(*calls));
}

void MarkerToolParser::reset(std::string_view tools_json, std::string_view /*prompt_tail*/) {
  tools_ = DeclaredTools::parse(tools_json);
  ++stream_;
  out_ = EventList();
  buf_.clear();
  ws_.clear();
  in_block_ = false;
  after_call_ = false;
  line_start_ = true;
  stream_start_ = true;
  next_index_ = 0;
}

std::vector<sdk::ParseEvent> MarkerToolParser::feed(std::string_view text) {
  buf_.append(text);
  pump(false);
  return out_.take();
}

std::vector<sdk::ParseEvent> MarkerToolParser::finish() {
  pump(true);
  return out_.take();
}

std::string MarkerToolParser::generate_id(int index, const ToolCall& call) const {
  return openai_call_id({id_seed_, stream_, index, call.name, call.arguments});
}

void MarkerToolParser::pump(bool eof) {
  while (true) {
    if (in_block_) {
      BlockContext ctx{eof, block_stream_start_, block_after_call_, &tools_, &block_scan_};
      BlockResult r =
          block_ < own_markers_ ? on_block(block_, buf_, ctx) : on_bare(block_, buf_, ctx);
      if (r.kind == BlockResult::Kind::need_more) {
        if (!eof) return;
        r = BlockResult::reject();
      }
      if (r.kind == BlockResult::Kind::calls && (r.consumed == 0 || r.consumed > buf_.size())) {
        r = BlockResult::reject();
      }
      in_block_ = false;
      if (r.kind == BlockResult::Kind::calls) {
        // A call, or a section marker of the call syntax: the whitespace
        // around it only separates calls.
        ws_.clear();
        emit_calls(r.calls);
        after_call_ = true;
        stream_start_ = false;
        line_start_ = true;
        buf_.erase(0, r.consumed);
      } else {
        const std::size_t n = markers_[block_].text.size();
        std::string marker_text = buf_.substr(0, n);
        buf_.erase(0, n);
        emit_content(marker_text);
      }
      continue;
    }
    std::size_t pos = 0;
    std::size_t marker = 0;
    if (find_marker(pos, marker)) {
      emit_content(std::string_view(buf_).substr(0, pos));
      buf_.erase(0, pos);
      if (!eof && longer_marker_pending(marker)) return;
      in_block_ = true;
      block_ = marker;
      block_stream_start_ = stream_start_;
      block_after_call_ = after_call_;
      block_scan_ = BalancedScan();
      continue;
    }
    const std::size_t keep = eof ? 0 : held_prefix();
    const std::size_t n = buf_.size() - keep;
    emit_content(std::string_view(buf_).substr(0, n));
    buf_.erase(0, n);
    if (eof) {
      if (!after_call_) out_.content(ws_);
      ws_.clear();
    }
    return;
  }
}

void MarkerToolParser::emit_content(std::string_view text) {
  if (text.empty()) return;
  note_consumed(text);
  std::size_t last = text.size();
  while (last > 0 && is_ws(text[last - 1])) --last;
  if (last == 0) {
    ws_.append(text);
    return;
  }
  std::string s = ws_;
  s.append(text.substr(0, last));
  ws_ = std::string(text.substr(last));
  std::string_view v = s;
  if (after_call_) v = trim_left(v);
  after_call_ = false;
  out_.content(v);
}

void MarkerToolParser::emit_calls(std::vector<ToolCall>& calls) {
  for (auto& call : calls) {
    const int index = next_index_++;
    std::string id = call.id.empty() ? generate_id(index, call) : call.id;
    out_.call(index, id, call);
  }
}

void MarkerToolParser::note_consumed(std::string_view text) {
  for (char c : text) {
    if (c == '\n') {
      line_start_ = true;
    } else if (!is_hspace(c) && c != '\r') {
      line_start_ = false;
      stream_start_ = false;
    }
  }
}

bool MarkerToolParser::line_start_at(std::size_t pos) const {
  for (std::size_t j = pos; j > 0; --j) {
    char c = buf_[j - 1];
    if (c == '\n') return true;
    if (!is_hspace(c) && c != '\r') return false;
  }
  return line_start_;
}

bool MarkerToolParser::find_marker(std::size_t& pos, std::size_t& marker) const {
  bool found = false;
  for (std::size_t m = 0; m < markers_.size(); ++m) {
    const Marker& mk = markers_[m];
    std::size_t p = buf_.find(mk.text);
    while (p != std::string::npos && mk.line_start_only && !line_start_at(p)) {
      p = buf_.find(mk.text, p + 1);
    }
    if (p == std::string::npos) continue;
    if (!found || p < pos || (p == pos && mk.text.size() > markers_[marker].text.size())) {
      pos = p;
      marker = m;
      found = true;
    }
  }
  return found;
}

// At buf_[0] `marker` matched, but a longer marker ("[TOOL_CALLS]" against
// "[") may still match there once more text arrives.
bool MarkerToolParser::longer_marker_pending(std::size_t marker) const {
  for (const Marker& mk : markers_) {
    if (mk.text.size() > markers_[marker].text.size() &&
        match_literal(buf_, mk.text) == Match::partial) {
      return true;
    }
  }
  return false;
}

std::size_t MarkerToolParser::held_prefix() const {
  std::size_t keep = 0;
  for (const Marker& mk : markers_) {
    std::size_t k = partial_suffix(buf_, mk.text);
    if (k > keep && (!mk.line_start_only || line_start_at(buf_.size() - k))) keep = k;
  }
  return keep;
}

}  // namespace rmlx::parsers
