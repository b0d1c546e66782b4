// `rmlx-host list-plugins`: every manifest entry, and with --check whether its
// library really loads.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"

namespace po = boost::program_options;

namespace rmlx::host {

const char* summary_list_plugins() {
  return "list the plugins the registry knows (--check loads each)";
}

namespace {

struct Row {
  std::string name, kind, provides, version, library, state;
};

std::vector<Row> rows_of(const registry::Plugin& p) {
  std::vector<Row> rows;
  std::string state = p.state == registry::PluginState::loaded   ? "OK"
                      : p.state == registry::PluginState::failed ? "FAILED: " + p.error
                                                                 : registry::state_name(p.state);
  // One row per kind the plugin provides.
  std::vector<sdk::ComponentKind> kinds;
  for (const auto& n : p.manifest.provides) {
    if (std::find(kinds.begin(), kinds.end(), n.kind) == kinds.end()) kinds.push_back(n.kind);
  }
  if (kinds.empty()) kinds.push_back(sdk::ComponentKind::invalid);
  for (auto k : kinds) {
    std::string names;
    for (const auto& n : p.manifest.provides) {
      if (n.kind != k) continue;
      if (!names.empty()) names += ",";
      names += n.name;
    }
    rows.push_back(
        {p.manifest.name, std::string(k == sdk::ComponentKind::invalid ? "-" : sdk::kind_name(k)),
         names.empty() ? "-" : names, p.manifest.version.empty() ? "-" : p.manifest.version,
         p.manifest.library, state});
  }
  return rows;
}

}  // namespace

int cmd_list_plugins(CommandContext& ctx) {
  bool help = false, json = false, check = false;
  po::options_description desc("list-plugins options");
  add_common_options(desc, ctx.plugin_dirs, help);
  desc.add_options()("json", po::bool_switch(&json), "print JSON instead of a table")(
      "check", po::bool_switch(&check), "open every library and report OK or its error");
  po::variables_map vm;
  if (!parse_command_line(ctx, desc, nullptr, vm)) return 2;
  if (help) {
    print_command_help(ctx, "[--json] [--check] [--plugins DIR]...", desc);
    return 0;
  }
  auto reg = open_registry(ctx.plugin_dirs);
  int failed = 0;
  if (check) failed = reg->check_all();
  for (const auto& p : reg->plugins()) {
    if (p.state == registry::PluginState::failed && !check) ++failed;
  }

  if (json) {
    auto out = nlohmann::json::array();
    for (const auto& p : reg->plugins()) {
      nlohmann::json provides = nlohmann::json::object();
      for (const auto& n : p.manifest.provides) {
        provides[std::string(sdk::kind_name(n.kind))].push_back(n.name);
      }
      nlohmann::json j = {
          {"name", p.manifest.name},       {"version", p.manifest.version},
          {"library", p.manifest.library}, {"manifest", p.manifest_path},
          {"provides", provides},          {"state", registry::state_name(p.state)}};
      if (p.state == registry::PluginState::loaded) j["state"] = "ok";
      if (!p.error.empty()) j["error"] = p.error;
      out.push_back(std::move(j));
    }
    std::cout << out.dump(2) << "\n";
  } else {
    std::vector<Row> rows;
    for (const auto& p : reg->plugins()) {
      for (auto& r : rows_of(p)) rows.push_back(std::move(r));
    }
    Row header{"NAME", "KIND", "PROVIDES", "VERSION", "LIBRARY", "STATE"};
    std::size_t w[5] = {header.name.size(), header.kind.size(), header.provides.size(),
                        header.version.size(), header.library.size()};
    for (const auto& r : rows) {
      w[0] = std::max(w[0], r.name.size());
      w[1] = std::max(w[1], r.kind.size());
      w[2] = std::max(w[2], r.provides.size());
      w[3] = std::max(w[3], r.version.size());
      w[4] = std::max(w[4], r.library.size());
    }
    auto print = [&](const Row& r) {
      std::cout << fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", r.name, w[0], r.kind,
                               w[1], r.provides, w[2], r.version, w[3], r.library, w[4], r.state);
    };
    print(header);
    for (const auto& r : rows) print(r);
    if (rows.empty()) std::cout << "(no plugins found)\n";
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace rmlx::host
