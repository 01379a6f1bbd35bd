// The one error type a load stage raises: the message says what and where; the code is pgload's exit code.
#pragma once

#include <stdexcept>
#include <string>

#include "loader/options.h"

namespace pgload {

class LoadError : public std::runtime_error {
 public:
  LoadError(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

}  // namespace pgload
