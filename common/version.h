// The version both tools print for --version (kept equal to project(... VERSION) in CMakeLists.txt).
#pragma once

namespace pgload {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace pgload
