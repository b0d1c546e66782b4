#include "harness.h"

#include <gtest/gtest.h>

#include <boost/dll/import.hpp>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace rmlx::parsers::test {

std::string plugin_path(const std::string& library) {
  return std::string(RMLX_PLUGIN_BUILD_DIR) + "/" + library;
}

const sdk::PluginDescriptor* descriptor(const boost::dll::shared_library& lib) {
  auto entry = lib.get_alias<sdk::EntryPoint>(sdk::kEntryPointName);
  return entry();
}

namespace {

std::shared_ptr<boost::dll::shared_library> open_library(const std::string& library) {
  static std::map<std::string, std::shared_ptr<boost::dll::shared_library>> opened;
  auto& lib = opened[library];
  if (!lib) lib = std::make_shared<boost::dll::shared_library>(plugin_path(library));
  return lib;
}

}  // namespace

LoadedParser::LoadedParser(const std::string& library, sdk::ComponentKind kind,
                           std::string_view name, const std::string& options)
    : lib_(open_library(library)) {
  const sdk::PluginDescriptor* d = descriptor(*lib_);
  if (d->abi_version != sdk::kAbiVersion) throw std::runtime_error(library + ": ABI mismatch");
  for (std::size_t i = 0; i < d->component_count; ++i) {
    const sdk::ComponentFactory& f = d->components[i];
    if (f.kind != kind || name != f.name) continue;
    char error[256] = {0};
    handle_ = f.create(options.c_str(), error, sizeof error);
    if (handle_ == nullptr) throw std::runtime_error(library + ": " + error);
    destroy_ = f.destroy;
    if (kind == sdk::ComponentKind::tool_parser) {
      parser_ = static_cast<sdk::ToolParser*>(handle_);
    } else {
      parser_ = static_cast<sdk::ReasoningParser*>(handle_);
    }
    return;
  }
  throw std::runtime_error(library + ": no component named " + std::string(name));
}

LoadedParser::~LoadedParser() {
  if (handle_ != nullptr) destroy_(handle_);
}

std::vector<sdk::ParseEvent> merge(const std::vector<sdk::ParseEvent>& events) {
  std::vector<sdk::ParseEvent> out;
  for (const auto& e : events) {
    const bool text_kind = e.kind == sdk::EventKind::content ||
                           e.kind == sdk::EventKind::reasoning ||
                           e.kind == sdk::EventKind::tool_call_args;
    if (text_kind && !out.empty() && out.back().kind == e.kind &&
        out.back().tool_index == e.tool_index) {
      out.back().text += e.text;
    } else {
      out.push_back(e);
    }
  }
  return out;
}

std::vector<sdk::ParseEvent> run_chunks(sdk::TextParser& p, std::string_view tools,
                                        std::string_view prompt_tail,
                                        const std::vector<std::string_view>& chunks) {
  p.reset(tools, prompt_tail);
  std::vector<sdk::ParseEvent> all;
  for (auto c : chunks) {
    auto ev = p.feed(c);
    all.insert(all.end(), ev.begin(), ev.end());
  }
  auto ev = p.finish();
  all.insert(all.end(), ev.begin(), ev.end());
  for (const auto& e : all) {
    const bool text_kind = e.kind == sdk::EventKind::content || e.kind == sdk::EventKind::reasoning;
    EXPECT_FALSE(text_kind && e.text.empty()) << "empty text event";
  }
  return merge(all);
}

std::vector<sdk::ParseEvent> Subject::parse(std::string_view text) const {
  // A fresh parser per run: ids also count the streams one instance has seen.
  auto run = [&](const std::vector<std::string_view>& chunks) {
    LoadedParser p(library, kind, name, options);
    return run_chunks(*p, tools, prompt_tail, chunks);
  };
  const auto whole = run({text});
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < text.size(); ++i) bytes.push_back(text.substr(i, 1));
  EXPECT_EQ(describe(run(bytes)), describe(whole)) << "fed one byte at a time";
  for (std::size_t i = 1; i < text.size(); ++i) {
    auto split = run({text.substr(0, i), text.substr(i)});
    if (describe(split) != describe(whole)) {
      ADD_FAILURE() << "split at byte " << i << ":\n"
                    << describe(split) << "\nwhole:\n"
                    << describe(whole);
      break;
    }
  }
  return whole;
}

sdk::ParseEvent content(std::string text) {
  sdk::ParseEvent e;
  e.kind = sdk::EventKind::content;
  e.text = std::move(text);
  return e;
}

sdk::ParseEvent reasoning(std::string text) {
  sdk::ParseEvent e;
  e.kind = sdk::EventKind::reasoning;
  e.text = std::move(text);
  return e;
}

std::vector<sdk::ParseEvent> call(int index, std::string name, std::string args, std::string id) {
  sdk::ParseEvent b;
  b.kind = sdk::EventKind::tool_call_begin;
  b.tool_index = index;
  b.id = std::move(id);
  b.name = std::move(name);
  sdk::ParseEvent a;
  a.kind = sdk::EventKind::tool_call_args;
  a.tool_index = index;
  a.text = std::move(args);
  sdk::ParseEvent e;
  e.kind = sdk::EventKind::tool_call_end;
  e.tool_index = index;
  return {b, a, e};
}

Events seq(std::initializer_list<std::vector<sdk::ParseEvent>> parts) {
  Events out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

bool is_openai_id(std::string_view id) {
  static const std::regex re("call_[0-9A-Za-z]{24}");
  return std::regex_match(id.begin(), id.end(), re);
}

void expect_events(const Events& actual, const Events& expected) {
  Events normalized = actual;
  for (std::size_t i = 0; i < normalized.size() && i < expected.size(); ++i) {
    if (normalized[i].kind == sdk::EventKind::tool_call_begin && expected[i].id.empty() &&
        expected[i].kind == sdk::EventKind::tool_call_begin) {
      EXPECT_TRUE(is_openai_id(normalized[i].id)) << "id " << normalized[i].id;
      normalized[i].id.clear();
    }
    if (normalized[i].kind == sdk::EventKind::tool_call_begin && expected[i].id == kMistralId) {
      static const std::regex re("[0-9A-Za-z]{9}");
      EXPECT_TRUE(std::regex_match(normalized[i].id, re)) << "id " << normalized[i].id;
      normalized[i].id = kMistralId;
    }
  }
  EXPECT_EQ(describe(normalized), describe(expected));
}

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\\')
      out += "\\\\";
    else
      out += c;
  }
  return out + "\"";
}

}  // namespace

std::string describe(const Events& events) {
  std::ostringstream os;
  for (const auto& e : events) {
    switch (e.kind) {
      case sdk::EventKind::content:
        os << "content " << quoted(e.text);
        break;
      case sdk::EventKind::reasoning:
        os << "reasoning " << quoted(e.text);
        break;
      case sdk::EventKind::tool_call_begin:
        os << "begin #" << e.tool_index << " " << e.name << " id=" << e.id;
        break;
      case sdk::EventKind::tool_call_args:
        os << "args #" << e.tool_index << " " << e.text;
        break;
      case sdk::EventKind::tool_call_end:
        os << "end #" << e.tool_index;
        break;
      case sdk::EventKind::invalid:
        os << "invalid";
        break;
    }
    os << "\n";
  }
  return os.str();
}

}  // namespace rmlx::parsers::test
