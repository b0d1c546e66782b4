// Loads parser plugins from the build tree and runs transcripts through them
// under every split of the text.
#pragma once

#include <rmlx/sdk/component.h>
#include <rmlx/sdk/parser.h>
#include <rmlx/sdk/plugin.h>

#include <boost/dll/shared_library.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rmlx::parsers::test {

// A parser created by a plugin's factory; keeps its library loaded. Each
// library is opened once per test process and shared.
class LoadedParser {
 public:
  LoadedParser(const std::string& library, sdk::ComponentKind kind, std::string_view name,
               const std::string& options = "{}");
  ~LoadedParser();
  LoadedParser(const LoadedParser&) = delete;
  LoadedParser& operator=(const LoadedParser&) = delete;

  sdk::TextParser& operator*() const { return *parser_; }
  sdk::TextParser* operator->() const { return parser_; }

 private:
  std::shared_ptr<boost::dll::shared_library> lib_;
  void* handle_ = nullptr;
  sdk::DestroyFn destroy_ = nullptr;
  sdk::TextParser* parser_ = nullptr;
};

std::string plugin_path(const std::string& library);
const sdk::PluginDescriptor* descriptor(const boost::dll::shared_library& lib);

// Events of one stream fed in the given chunks, adjacent content / reasoning
// / argument events merged.
std::vector<sdk::ParseEvent> run_chunks(sdk::TextParser& p, std::string_view tools,
                                        std::string_view prompt_tail,
                                        const std::vector<std::string_view>& chunks);

std::vector<sdk::ParseEvent> merge(const std::vector<sdk::ParseEvent>& events);

// A parser under test: feeds each transcript whole, one byte at a time and
// split in two at every byte boundary, expects the same events every time
// (gtest failures otherwise) and returns them.
struct Subject {
  std::string library;
  sdk::ComponentKind kind;
  std::string name;
  std::string tools = "[]";
  std::string prompt_tail;
  std::string options = "{}";

  std::vector<sdk::ParseEvent> parse(std::string_view text) const;
};

// Expected events. A call expands to begin / args / end; an empty id means
// "a generated OpenAI-style id" (call_ + 24 alphanumerics), checked by
// expect_events.
sdk::ParseEvent content(std::string text);
sdk::ParseEvent reasoning(std::string text);
std::vector<sdk::ParseEvent> call(int index, std::string name, std::string args,
                                  std::string id = {});
using Events = std::vector<sdk::ParseEvent>;
Events seq(std::initializer_list<std::vector<sdk::ParseEvent>> parts);
inline std::vector<sdk::ParseEvent> one(sdk::ParseEvent e) {
  return {std::move(e)};
}

// Stands for "a generated Mistral id" (9 alphanumerics) in an expected call.
inline constexpr const char* kMistralId = "<mistral id>";

// Compares, accepting a generated id where the expected one is empty (or
// kMistralId).
void expect_events(const Events& actual, const Events& expected);
std::string describe(const Events& events);

bool is_openai_id(std::string_view id);

// The tools the transcripts use.
inline constexpr std::string_view kWeatherTools = R"([
 {"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
 {"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"tz":{"type":"string"}}}}},
 {"type":"function","function":{"name":"set_alarm","parameters":{"type":"object","properties":{
   "hour":{"type":"integer"},"days":{"type":"array"},"loud":{"type":"boolean"},
   "volume":{"type":"number"},"label":{"type":["string","null"]},"meta":{"type":"object"}}}}}
])";

}  // namespace rmlx::parsers::test
