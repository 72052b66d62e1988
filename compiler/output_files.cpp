#include "output_files.h"

#include "diagnostics.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace tinyc {

void OutputFiles::add(std::string path, std::string contents) {
  files_.emplace_back(std::move(path), std::move(contents));
}

void OutputFiles::commit() {
  std::vector<std::string> temps;
  auto cleanup = [&] {
    for (const auto& t : temps) std::remove(t.c_str());
  };
  for (const auto& [path, contents] : files_) {
    std::string tmp = path + ".tinyc-tmp." + std::to_string(getpid());
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) {
      cleanup();
      fail("cannot write '{}' (does its folder exist and is it writable?)", path);
    }
    temps.push_back(tmp);
    f.write(contents.data(), std::streamsize(contents.size()));
    f.close();
    if (!f) {
      cleanup();
      fail("writing '{}' failed (disk full?)", path);
    }
  }
  // All or nothing: a target that cannot be replaced is found before any file is moved, and a
  // later failure takes back the files already moved, so no half-written set is left.
  for (const auto& [path, contents] : files_) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      cleanup();
      fail("cannot write '{}': it is a directory", path);
    }
  }
  for (size_t i = 0; i < files_.size(); ++i) {
    std::error_code ec;
    std::filesystem::rename(temps[i], files_[i].first, ec);
    if (ec) {
      for (size_t k = 0; k < i; ++k) std::remove(files_[k].first.c_str());
      cleanup();
      fail("cannot move the output into '{}': {}", files_[i].first, ec.message());
    }
  }
}

} // namespace tinyc
