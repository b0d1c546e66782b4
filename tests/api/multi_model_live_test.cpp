// Several models on one server: --models-dir serves every snapshot folder
// inside it, /v1/models lists each with its state, and a model that fails
// to load fails only its own requests.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "live_server.h"

namespace rmlx::api::test {
namespace {

using nlohmann::json;

// /v1/models with the one field that varies (the start time) checked and
// replaced by 0, so the rest compares exactly.
json models_body(httplib::Client& cli) {
  auto r = cli.Get("/v1/models");
  if (!r || r->status != 200) throw std::runtime_error("GET /v1/models failed");
  json body = json::parse(r->body);
  for (auto& m : body["data"]) {
    EXPECT_TRUE(m["created"].is_number_integer());
    m["created"] = 0;
  }
  return body;
}

json entry(const std::string& id, const std::string& state) {
  return {{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "rmlx"}, {"state", state}};
}

TEST(MultiModel, ModelsDirServesEverySnapshotFolderWithItsState) {
  namespace fs = std::filesystem;
  TempDir root("models-dir");
  // Two weightless snapshots (tokenizer and template, no weights) and a
  // folder that is not a snapshot (no config.json), which is left out.
  const std::string a = write_weightless_model(root.path());
  fs::rename(a, root.path() + "/beta");
  write_weightless_model(root.path());
  fs::rename(root.path() + "/weightless", root.path() + "/alpha");
  fs::create_directories(root.path() + "/notes");
  std::ofstream(root.path() + "/notes/README") << "not a model\n";

  LiveServer server({"--models-dir", root.path()});
  auto cli = server.client();
  EXPECT_EQ(models_body(*cli),
            json({{"object", "list"},
                  {"data", json::array({entry("alpha", "unloaded"), entry("beta", "unloaded")})}}));

  // count_tokens needs only the tokenizer: the model stays unloaded.
  auto count = cli->Post("/v1/messages/count_tokens",
                         R"({"model": "beta", "messages": [{"role": "user", "content": "Hi"}]})",
                         "application/json");
  ASSERT_TRUE(count);
  EXPECT_EQ(count->status, 200) << count->body;
  // Generation needs the weights: alpha fails to load, beta is untouched.
  auto chat = cli->Post("/v1/chat/completions",
                        R"({"model": "alpha", "messages": [{"role": "user", "content": "Hi"}]})",
                        "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->status, 503) << chat->body;
  const std::string message = json::parse(chat->body)["error"]["message"];
  EXPECT_EQ(message.rfind("model 'alpha' failed to load: ", 0), 0u) << message;
  EXPECT_EQ(models_body(*cli),
            json({{"object", "list"},
                  {"data", json::array({entry("alpha", "failed"), entry("beta", "unloaded")})}}));

  // An unknown id names every served model.
  auto unknown = cli->Post("/v1/chat/completions",
                           R"({"model": "gamma", "messages": [{"role": "user", "content": "Hi"}]})",
                           "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(json::parse(unknown->body)["error"]["message"],
            "the model 'gamma' does not exist (served: alpha, beta)");
}

TEST(MultiModel, ModelAndModelsDirTogether) {
  TempDir root("models-dir");
  write_weightless_model(root.path());
  TempDir other("other");
  const std::string extra = other.path() + "/extra";
  std::filesystem::create_directories(extra);
  LiveServer server({"--model", extra, "--models-dir", root.path()});
  auto cli = server.client();
  EXPECT_EQ(
      models_body(*cli),
      json({{"object", "list"},
            {"data", json::array({entry("extra", "unloaded"), entry("weightless", "unloaded")})}}));
}

TEST(MultiModel, BadModelsDirIsAClearError) {
  TempDir empty("empty");
  Process none({RMLX_HOST_BIN, "serve", "--port", "0", "--models-dir", empty.path()});
  EXPECT_EQ(none.wait(), 2);
  EXPECT_EQ(none.err(), "rmlx-host serve: --models-dir " + empty.path() +
                            ": no snapshot folder (with config.json) inside\n");
  Process missing({RMLX_HOST_BIN, "serve", "--port", "0", "--models-dir", empty.path() + "/nope"});
  EXPECT_EQ(missing.wait(), 2);
  EXPECT_EQ(missing.err(),
            "rmlx-host serve: --models-dir " + empty.path() + "/nope: not a directory\n");
  Process negative({RMLX_HOST_BIN, "serve", "--port", "0", "--idle-unload=-1"});
  EXPECT_EQ(negative.wait(), 2);
  EXPECT_EQ(negative.err(), "rmlx-host serve: --idle-unload must be 0 or more\n");
  Process kv({RMLX_HOST_BIN, "serve", "--port", "0", "--kv-memory", "lots"});
  EXPECT_EQ(kv.wait(), 2);
  EXPECT_NE(kv.err().find("--kv-memory: expected a size like 2G or 512M, got 'lots'"),
            std::string::npos)
      << kv.err();
}

}  // namespace
}  // namespace rmlx::api::test
