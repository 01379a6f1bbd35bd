// bench/serve_file on a free loopback port for the lifetime of the object (the HTTP source's tests).
#pragma once

#include <sys/types.h>

#include <string>

namespace pgload::test {

class ServeFile {
 public:
  // `args` as serve_file takes them (`--file F`, `--status N`, `--cut-after N`, …); its output goes to a file in
  // `log_dir`. Throws when it does not start listening within 10 s.
  ServeFile(const std::string& args, const std::string& log_dir);
  ~ServeFile();
  ServeFile(const ServeFile&) = delete;
  ServeFile& operator=(const ServeFile&) = delete;
  std::string url(const std::string& name = "users.csv") const { return "http://" + host_ + "/" + name; }

 private:
  pid_t pid_ = -1;
  std::string out_, host_;
};

}  // namespace pgload::test
