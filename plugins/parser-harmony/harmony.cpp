// gpt-oss Harmony output, as a ToolParser (calls to `functions.*`, analysis
// as reasoning, the rest content) and as a ReasoningParser (analysis as
// reasoning; call messages passed through verbatim for the tool parser).
#include <rmlx/sdk/plugin.h>

#include "rmlx/parsers/call_ids.h"
#include "rmlx/parsers/harmony_stream.h"

namespace rmlx::parsers {
namespace {

template <typename Interface, bool kParseCalls>
class HarmonyParser final : public Interface {
 public:
  explicit HarmonyParser(std::string_view options_json)
      : id_seed_(kParseCalls ? parse_id_seed(options_json) : 0) {
    if (!kParseCalls) parse_id_seed(options_json);  // same option syntax, checked alike
  }

  std::string name() const override { return "harmony"; }

  void reset(std::string_view /*tools_json*/, std::string_view prompt_tail) override {
    out_ = EventList();
    stream_.reset(prompt_tail, id_seed_, ++stream_number_);
  }

  std::vector<sdk::ParseEvent> feed(std::string_view text) override {
    stream_.feed(text, out_);
    return out_.take();
  }

  std::vector<sdk::ParseEvent> finish() override {
    stream_.finish(out_);
    return out_.take();
  }

 private:
  std::uint64_t id_seed_;
  std::uint64_t stream_number_ = 0;
  HarmonyStream stream_{kParseCalls};
  EventList out_;
};

using HarmonyToolParser = HarmonyParser<sdk::ToolParser, true>;
using HarmonyReasoningParser = HarmonyParser<sdk::ReasoningParser, false>;

}  // namespace
}  // namespace rmlx::parsers

RMLX_PLUGIN(
    "parser-harmony", "0.1.0",
    rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::HarmonyToolParser>("harmony"),
    rmlx::sdk::component<rmlx::sdk::ReasoningParser, rmlx::parsers::HarmonyReasoningParser>(
        "harmony"))
