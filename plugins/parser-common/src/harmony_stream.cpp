#include "rmlx/parsers/harmony_stream.h"

#include <array>

#include "rmlx/parsers/call_ids.h"
#include "rmlx/parsers/json_calls.h"
#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {
namespace {

constexpr std::string_view kStart = "<|start|>";
constexpr std::string_view kChannel = "<|channel|>";
constexpr std::string_view kMessage = "<|message|>";
constexpr std::string_view kEnd = "<|end|>";
constexpr std::string_view kCall = "<|call|>";
constexpr std::string_view kReturn = "<|return|>";
constexpr std::string_view kRecipientInRole = " to=";
constexpr std::array<std::string_view, 5> kBoundaries = {kStart, kChannel, kEnd, kCall, kReturn};
// A header longer than this is not a header: the text was never Harmony.
constexpr std::size_t kMaxHeader = 1024;

// Earliest occurrence of any of `tokens`: (position, token index), or npos.
template <std::size_t N>
std::pair<std::size_t, std::size_t> find_first(std::string_view buf,
                                               const std::array<std::string_view, N>& tokens) {
  std::size_t best = std::string_view::npos;
  std::size_t which = 0;
  for (std::size_t k = 0; k < N; ++k) {
    std::size_t p = buf.find(tokens[k]);
    if (p < best) {
      best = p;
      which = k;
    }
  }
  return {best, which};
}

template <std::size_t N>
std::size_t held(std::string_view buf, const std::array<std::string_view, N>& tokens) {
  std::size_t keep = 0;
  for (auto t : tokens) keep = std::max(keep, partial_suffix(buf, t));
  return keep;
}

std::string_view word_at(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && !is_ws(s[j]) && s.substr(j, 2) != "<|") ++j;
  return s.substr(i, j - i);
}

}  // namespace

void HarmonyStream::reset(std::string_view prompt_tail, std::uint64_t id_seed,
                          std::uint64_t stream) {
  id_seed_ = id_seed;
  stream_ = stream;
  buf_.clear();
  header_.clear();
  body_.clear();
  name_.clear();
  ws_.clear();
  after_message_ = false;
  next_index_ = 0;
  state_ = State::between;
  std::string_view tail = trim_right(prompt_tail);
  std::size_t start = tail.rfind(kStart);
  if (start != std::string_view::npos &&
      tail.substr(start + kStart.size()).find("<|") == std::string_view::npos) {
    state_ = State::start;  // `<|start|>assistant`: the header goes on in the output
  } else if (tail.size() >= kMessage.size() &&
             tail.substr(tail.size() - kMessage.size()) == kMessage) {
    // The prompt forced a header: the output starts inside that message's body.
    // Its header starts at the last <|start|>, or at <|channel|> when that
    // <|start|> belongs to an earlier, finished message.
    std::string_view region = tail.substr(0, tail.size() - kMessage.size());
    std::size_t from = region.rfind(kStart);
    if (from == std::string_view::npos || region.find(kMessage, from) != std::string_view::npos) {
      from = region.rfind(kChannel);
    }
    if (from != std::string_view::npos) {
      header_ = std::string(region.substr(from));
      EventList ignored;
      open_body(ignored);
      state_ = State::body;
    }
  }
}

void HarmonyStream::feed(std::string_view text, EventList& out) {
  buf_.append(text);
  pump(false, out);
}

void HarmonyStream::finish(EventList& out) {
  pump(true, out);
}

void HarmonyStream::pump(bool eof, EventList& out) {
  bool progress = true;
  while (progress) {
    switch (state_) {
      case State::start:
        progress = pump_start(eof);
        break;
      case State::between:
        progress = pump_between(eof, out);
        break;
      case State::header:
        progress = pump_header(eof, out);
        break;
      case State::body:
        progress = pump_body(eof, out);
        break;
    }
  }
  if (eof && state_ == State::between) {
    if (!after_message_) out.content(ws_);
    ws_.clear();
  }
}

bool HarmonyStream::pump_start(bool eof) {
  if (buf_.empty()) return false;
  Match a = match_literal(buf_, kChannel);
  Match b = match_literal(buf_, kRecipientInRole);
  if (a == Match::full || b == Match::full) {
    header_.clear();
    state_ = State::header;
    return true;
  }
  if ((a == Match::partial || b == Match::partial) && !eof) return false;
  state_ = State::between;
  return true;
}

void HarmonyStream::between_text(std::string_view text, EventList& out) {
  if (text.empty()) return;
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
  if (after_message_) v = trim_left(v);
  after_message_ = false;
  out.content(v);
}

bool HarmonyStream::pump_between(bool eof, EventList& out) {
  auto [pos, which] = find_first(buf_, kBoundaries);
  if (pos == std::string::npos) {
    const std::size_t keep = eof ? 0 : held(buf_, kBoundaries);
    between_text(std::string_view(buf_).substr(0, buf_.size() - keep), out);
    buf_.erase(0, buf_.size() - keep);
    return false;
  }
  between_text(std::string_view(buf_).substr(0, pos), out);
  buf_.erase(0, pos);
  ws_.clear();  // whitespace only separated messages
  if (kBoundaries[which] == kStart || kBoundaries[which] == kChannel) {
    header_.clear();
    state_ = State::header;
  } else {
    // A stray end token outside any message carries no text.
    buf_.erase(0, kBoundaries[which].size());
    after_message_ = true;
  }
  return true;
}

bool HarmonyStream::pump_header(bool eof, EventList& out) {
  std::size_t p = buf_.find(kMessage);
  if (p != std::string::npos && header_.size() + p <= kMaxHeader) {
    header_.append(buf_, 0, p);
    buf_.erase(0, p + kMessage.size());
    open_body(out);
    state_ = State::body;
    return true;
  }
  if (!eof && p == std::string::npos &&
      header_.size() + buf_.size() < kMaxHeader + kMessage.size()) {
    const std::size_t keep = partial_suffix(buf_, kMessage);
    header_.append(buf_, 0, buf_.size() - keep);
    buf_.erase(0, buf_.size() - keep);
    return false;
  }
  // Never became a message: its opening token is content, as written, and
  // the rest is scanned again.
  std::string text = header_ + buf_;
  std::size_t open = 0;
  for (auto tok : {kStart, kChannel, kRecipientInRole}) {
    if (text.compare(0, tok.size(), tok) == 0) open = tok.size();
  }
  if (open == 0) open = text.size();
  between_text(std::string_view(text).substr(0, open), out);
  buf_ = text.substr(open);
  header_.clear();
  state_ = State::between;
  return true;
}

void HarmonyStream::open_body(EventList& out) {
  std::string_view h = header_;
  std::string_view channel;
  if (std::size_t c = h.find(kChannel); c != std::string_view::npos) {
    channel = word_at(h, c + kChannel.size());
  }
  std::string_view recipient;
  if (std::size_t t = h.find("to="); t != std::string_view::npos) recipient = word_at(h, t + 3);
  body_.clear();
  name_.clear();
  if (!recipient.empty()) {
    constexpr std::string_view kFunctions = "functions.";
    if (parse_calls_ && recipient.substr(0, kFunctions.size()) == kFunctions &&
        recipient.size() > kFunctions.size()) {
      body_kind_ = Body::call;
      name_ = std::string(recipient.substr(kFunctions.size()));
      return;
    }
    body_kind_ = Body::passthrough;
    out.content(header_);
    out.content(kMessage);
    return;
  }
  body_kind_ = channel == "analysis" ? Body::reasoning : Body::content;
}

void HarmonyStream::body_text(std::string_view text, EventList& out) {
  switch (body_kind_) {
    case Body::reasoning:
      out.reasoning(text);
      break;
    case Body::content:
    case Body::passthrough:
      out.content(text);
      break;
    case Body::call:
      body_.append(text);
      break;
  }
}

bool HarmonyStream::pump_body(bool eof, EventList& out) {
  auto [pos, which] = find_first(buf_, kBoundaries);
  if (pos == std::string::npos) {
    const std::size_t keep = eof ? 0 : held(buf_, kBoundaries);
    body_text(std::string_view(buf_).substr(0, buf_.size() - keep), out);
    buf_.erase(0, buf_.size() - keep);
    if (eof) {
      end_message({}, out);
      return !buf_.empty();
    }
    return false;
  }
  body_text(std::string_view(buf_).substr(0, pos), out);
  buf_.erase(0, pos);
  std::string_view token = kBoundaries[which];
  if (token == kStart || token == kChannel) {
    end_message({}, out);  // the model skipped the end token
  } else {
    buf_.erase(0, token.size());
    end_message(token, out);
  }
  return true;
}

void HarmonyStream::end_message(std::string_view end_token, EventList& out) {
  if (body_kind_ == Body::call) {
    auto args = parse_arguments(body_);
    if (args) {
      ToolCall call{name_, std::move(*args), {}};
      const int index = next_index_++;
      out.call(index, openai_call_id({id_seed_, stream_, index, call.name, call.arguments}), call);
    } else {
      out.content(header_);
      out.content(kMessage);
      out.content(body_);
      out.content(end_token);
    }
  } else if (body_kind_ == Body::passthrough) {
    out.content(end_token);
  }
  body_.clear();
  header_.clear();
  ws_.clear();
  after_message_ = true;
  state_ = State::between;
}

}  // namespace rmlx::parsers
