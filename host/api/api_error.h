// Errors a request can end with, and their shape in each API dialect.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rmlx::api {

enum class Dialect { openai, anthropic };

enum class ErrorKind {
  invalid_request,  // 400
  authentication,   // 401
  not_found,        // 404
  too_large,        // 413
  rate_limited,     // 429
  internal,         // 500
  not_supported,    // 501
  unavailable,      // 503
  timeout,          // 504
};

class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorKind kind, std::string message, std::string param = {}, std::string code = {});
  ErrorKind kind() const { return kind_; }
  int status() const;
  const std::string& param() const { return param_; }
  const std::string& code() const { return code_; }

 private:
  ErrorKind kind_;
  std::string param_;
  std::string code_;
};

// 400 naming the offending field.
ApiError invalid_field(const std::string& field, const std::string& problem);

int status_of(ErrorKind kind);
// The dialect's error body: OpenAI {"error":{message,type,param,code}};
// Anthropic {"type":"error","error":{type,message},"request_id"}.
nlohmann::json error_body(Dialect dialect, const ApiError& error, std::string_view request_id);
// The body of an error sent inside an already started event stream.
nlohmann::json stream_error_body(Dialect dialect, const ApiError& error);

}  // namespace rmlx::api
