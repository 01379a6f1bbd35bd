#include "tests/support/serve_file.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <regex>
#include <stdexcept>
#include <thread>

#include "tests/support/files.h"

namespace pgload::test {

ServeFile::ServeFile(const std::string& args, const std::string& log_dir) {
  static int counter = 0;
  out_ = log_dir + "/serve." + std::to_string(getpid()) + "." + std::to_string(counter++) + ".out";
  pid_ = fork();
  if (pid_ == 0) {
    std::string cmd = "exec " + std::string(SERVE_FILE_BIN) + " " + args + " >" + out_ + " 2>&1";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const std::regex re(R"(listening on (127\.0\.0\.1:\d+))");
  for (int i = 0; i < 200 && host_.empty(); ++i) {
    std::smatch m;
    const std::string text = read_file(out_);
    if (std::regex_search(text, m, re))
      host_ = m[1];
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (host_.empty()) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    throw std::runtime_error("serve_file did not start: " + args);
  }
}

ServeFile::~ServeFile() {
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
}

}  // namespace pgload::test
