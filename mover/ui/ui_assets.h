// The page's files (mover/ui/), embedded in the binary at build time (cmake/embed_ui.cmake writes ui_assets.cpp).
#pragma once

#include <string_view>

namespace pgload {

struct UiAsset {
  std::string_view path;  // "/", "/app.js", "/app.css"
  std::string_view content_type;
  std::string_view body;
};

// The asset served at `path`, or nullptr.
const UiAsset* find_ui_asset(std::string_view path) noexcept;

}  // namespace pgload
