// What a plugin library exports: one entry point (a Boost.DLL alias named
// rmlx_plugin_entry) returning a descriptor of plain data. The descriptor
// starts with the ABI version and its own size so the host can refuse a
// mismatched library before reading anything else.
//
//   #include <rmlx/sdk/plugin.h>
//   RMLX_PLUGIN("parser-mine", "1.0.0",
//               rmlx::sdk::component<rmlx::sdk::ToolParser, MyParser>("mine"))
#pragma once

#include <boost/dll/alias.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string_view>
#include <type_traits>

#include "rmlx/sdk/abi.h"
#include "rmlx/sdk/architecture.h"
#include "rmlx/sdk/backend.h"
#include "rmlx/sdk/component.h"
#include "rmlx/sdk/drafter.h"
#include "rmlx/sdk/kv_codec.h"
#include "rmlx/sdk/parser.h"
#include "rmlx/sdk/weight_format.h"

namespace rmlx::sdk {

// Creates a component. Returns nullptr and writes a message into `error`
// (NUL-terminated, at most error_size bytes) on failure: exceptions never
// cross the library boundary.
using CreateFn = void* (*)(const char* options_json, char* error, std::size_t error_size);
using DestroyFn = void (*)(void* component);

struct ComponentFactory {
  ComponentKind kind = ComponentKind::invalid;
  const char* name = nullptr;
  CreateFn create = nullptr;
  DestroyFn destroy = nullptr;
};

struct PluginDescriptor {
  std::uint32_t abi_version = 0;
  std::uint32_t struct_size = 0;
  const char* name = nullptr;
  const char* version = nullptr;
  const ComponentFactory* components = nullptr;
  std::size_t component_count = 0;
};

using EntryPoint = const PluginDescriptor*();

template <typename Interface>
constexpr ComponentKind kind_of() {
  if constexpr (std::is_same_v<Interface, Architecture>) return ComponentKind::architecture;
  else if constexpr (std::is_same_v<Interface, WeightFormat>) return ComponentKind::weight_format;
  else if constexpr (std::is_same_v<Interface, KvCodec>) return ComponentKind::kv_codec;
  else if constexpr (std::is_same_v<Interface, Drafter>) return ComponentKind::drafter;
  else if constexpr (std::is_same_v<Interface, ToolParser>) return ComponentKind::tool_parser;
  else if constexpr (std::is_same_v<Interface, ReasoningParser>) return ComponentKind::reasoning_parser;
  else if constexpr (std::is_same_v<Interface, Backend>) return ComponentKind::backend;
  else static_assert(sizeof(Interface) == 0, "not an rmlx component interface");
}

namespace detail {

inline void write_error(char* error, std::size_t size, const char* msg) {
  if (error != nullptr && size > 0) std::snprintf(error, size, "%s", msg);
}

// Impl is constructed from the options JSON when it has such a constructor.
template <typename Interface, typename Impl>
void* create(const char* options_json, char* error, std::size_t error_size) {
  try {
    Interface* p = nullptr;
    if constexpr (std::is_constructible_v<Impl, std::string_view>) {
      p = new Impl(std::string_view(options_json != nullptr ? options_json : "{}"));
    } else {
      p = new Impl();
    }
    return static_cast<void*>(p);
  } catch (const std::exception& e) {
    write_error(error, error_size, e.what());
  } catch (...) {
    write_error(error, error_size, "unknown exception");
  }
  return nullptr;
}

template <typename Interface>
void destroy(void* p) {
  delete static_cast<Interface*>(p);
}

}  // namespace detail

// The factory entry for one component: Impl implements Interface.
template <typename Interface, typename Impl>
constexpr ComponentFactory component(const char* name) {
  static_assert(std::is_base_of_v<Interface, Impl>);
  return ComponentFactory{kind_of<Interface>(), name, &detail::create<Interface, Impl>,
                          &detail::destroy<Interface>};
}

}  // namespace rmlx::sdk

// Defines the plugin's entry point. Use once per library, at namespace scope.
#define RMLX_PLUGIN(plugin_name, plugin_version, ...)                                     \
  namespace rmlx_plugin_generated {                                                       \
  const ::rmlx::sdk::PluginDescriptor* describe() {                                       \
    static const ::rmlx::sdk::ComponentFactory components[] = {__VA_ARGS__};             \
    static const ::rmlx::sdk::PluginDescriptor descriptor{                                \
        ::rmlx::sdk::kAbiVersion, sizeof(::rmlx::sdk::PluginDescriptor), plugin_name,     \
        plugin_version, components, sizeof(components) / sizeof(components[0])};          \
    return &descriptor;                                                                   \
  }                                                                                       \
  }                                                                                       \
  BOOST_DLL_ALIAS(rmlx_plugin_generated::describe, rmlx_plugin_entry)
