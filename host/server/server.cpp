#include "server/server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

namespace rmlx::host {

namespace {

// httplib reports a failed bind without a reason; ask the kernel why.
std::string bind_failure_reason(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 ||
      res == nullptr) {
    return "cannot resolve host '" + host + "'";
  }
  std::string reason = "unknown error";
  int fd = ::socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd >= 0) {
    if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0) reason = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(res);
  return reason;
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

}  // namespace

Server::Server(ServerOptions options)
    : options_(std::move(options)), http_(std::make_unique<httplib::Server>()) {
  started_at_ = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  // httplib's default also sets SO_REUSEPORT, which would let a second
  // server share the port silently; keep only SO_REUSEADDR.
  http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  install_routes();
}

Server::~Server() {
  stop();
}

void Server::install_routes() {
  http_->Get("/health", [](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"status", "ok"}});
  });
  http_->Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    auto data = nlohmann::json::array();
    for (const auto& m : options_.models) {
      data.push_back(
          {{"id", m.id}, {"object", "model"}, {"created", started_at_}, {"owned_by", "rmlx"}});
    }
    send_json(res, 200, {{"object", "list"}, {"data", data}});
  });
  http_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404) {
      send_json(res, 404,
                {{"error",
                  {{"message", "no route for " + req.method + " " + req.path},
                   {"type", "invalid_request_error"},
                   {"param", nullptr},
                   {"code", "not_found"}}}});
    }
  });
  http_->set_logger([](const httplib::Request& req, const httplib::Response& res) {
    spdlog::info("{} {} {} {}", req.remote_addr, req.method, req.path, res.status);
  });
}

bool Server::bind(std::string& error) {
  if (options_.port == 0) {
    int port = http_->bind_to_any_port(options_.host.c_str());
    if (port <= 0) {
      error = "cannot listen on " + options_.host + ": " + bind_failure_reason(options_.host, 0);
      return false;
    }
    options_.port = port;
    return true;
  }
  if (!http_->bind_to_port(options_.host.c_str(), options_.port)) {
    error = "cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " +
            bind_failure_reason(options_.host, options_.port);
    return false;
  }
  return true;
}

void Server::run() {
  http_->listen_after_bind();
}

void Server::stop() {
  if (http_ && http_->is_running()) http_->stop();
}

}  // namespace rmlx::host
