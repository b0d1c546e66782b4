#include "rmlx/snapshot/snapshot_writer.h"

#include <cstdio>
#include <fstream>

#include "rmlx/snapshot/error.h"

namespace rmlx::snapshot {

void write_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw SnapshotError(tmp + ": cannot create");
    out << text;
    out.close();
    if (!out) throw SnapshotError(tmp + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw SnapshotError(path + ": cannot rename into place");
  }
}

void write_json_file(const std::string& path, const nlohmann::ordered_json& j) {
  write_text_file(path, j.dump(2, ' ', false) + "\n");
}

}  // namespace rmlx::snapshot
