#include "api/api_error.h"

namespace rmlx::api {

namespace {

const char* openai_type(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_request:
    case ErrorKind::not_found:
    case ErrorKind::too_large:
      return "invalid_request_error";
    case ErrorKind::authentication:
      return "authentication_error";
    case ErrorKind::rate_limited:
      return "rate_limit_error";
    case ErrorKind::not_supported:
      return "not_supported_error";
    case ErrorKind::unavailable:
      return "unavailable_error";
    case ErrorKind::timeout:
      return "timeout_error";
    case ErrorKind::internal:
      break;
  }
  return "server_error";
}

const char* anthropic_type(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_request:
    case ErrorKind::not_supported:
      return "invalid_request_error";
    case ErrorKind::authentication:
      return "authentication_error";
    case ErrorKind::not_found:
      return "not_found_error";
    case ErrorKind::too_large:
      return "request_too_large";
    case ErrorKind::rate_limited:
      return "rate_limit_error";
    case ErrorKind::unavailable:
      return "overloaded_error";
    case ErrorKind::timeout:
      return "timeout_error";
    case ErrorKind::internal:
      break;
  }
  return "api_error";
}

const char* default_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::authentication:
      return "invalid_api_key";
    case ErrorKind::too_large:
      return "request_too_large";
    case ErrorKind::rate_limited:
      return "rate_limit_exceeded";
    case ErrorKind::timeout:
      return "request_timeout";
    default:
      return "";
  }
}

}  // namespace

ApiError::ApiError(ErrorKind kind, std::string message, std::string param, std::string code)
    : std::runtime_error(std::move(message)),
      kind_(kind),
      param_(std::move(param)),
      code_(code.empty() ? default_code(kind) : std::move(code)) {}

int ApiError::status() const {
  return status_of(kind_);
}

int status_of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_request:
      return 400;
    case ErrorKind::authentication:
      return 401;
    case ErrorKind::not_found:
      return 404;
    case ErrorKind::too_large:
      return 413;
    case ErrorKind::rate_limited:
      return 429;
    case ErrorKind::internal:
      return 500;
    case ErrorKind::not_supported:
      return 501;
    case ErrorKind::unavailable:
      return 503;
    case ErrorKind::timeout:
      return 504;
  }
  return 500;
}

ApiError invalid_field(const std::string& field, const std::string& problem) {
  return ApiError(ErrorKind::invalid_request, "'" + field + "' " + problem, field);
}

nlohmann::json error_body(Dialect dialect, const ApiError& error, std::string_view request_id) {
  if (dialect == Dialect::anthropic) {
    return {{"type", "error"},
            {"error", {{"type", anthropic_type(error.kind())}, {"message", error.what()}}},
            {"request_id", std::string(request_id)}};
  }
  nlohmann::json param =
      error.param().empty() ? nlohmann::json(nullptr) : nlohmann::json(error.param());
  nlohmann::json code =
      error.code().empty() ? nlohmann::json(nullptr) : nlohmann::json(error.code());
  return {{"error",
           {{"message", error.what()},
            {"type", openai_type(error.kind())},
            {"param", param},
            {"code", code}}}};
}

nlohmann::json stream_error_body(Dialect dialect, const ApiError& error) {
  if (dialect == Dialect::anthropic) {
    return {{"type", "error"},
            {"error", {{"type", anthropic_type(error.kind())}, {"message", error.what()}}}};
  }
  return error_body(dialect, error, "");
}

}  // namespace rmlx::api
