// The HTTP server: routes requests to the API dialects. HTTP threads only
// parse, enqueue and stream; the engine thread owns the model.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace httplib {
class Server;
}

namespace rmlx::host {

struct ServedModel {
  std::string id;    // what clients put in "model"
  std::string path;  // the snapshot folder
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::vector<ServedModel> models;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the socket; on failure returns false with the reason in `error`.
  bool bind(std::string& error);
  // Serves until stop(); returns after the listener closed.
  void run();
  void stop();
  int port() const { return options_.port; }

 private:
  void install_routes();

  ServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
  long long started_at_ = 0;
};

}  // namespace rmlx::host
