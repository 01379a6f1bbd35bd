#include "mover/cli/table.h"

#include <algorithm>

namespace pgload {

void print_table(std::ostream& out, const std::vector<std::string>& headers, const std::vector<bool>& right,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(headers.size());
  for (size_t c = 0; c < headers.size(); ++c) {
    width[c] = headers[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  std::string line;
  for (size_t c = 0; c < headers.size(); ++c) {
    size_t pad = width[c] - headers[c].size();
    line += (c ? "|" : "") + std::string(" ") + std::string(pad / 2, ' ') + headers[c] +
            std::string(pad - pad / 2, ' ') + " ";
  }
  out << line << "\n";
  line.clear();
  for (size_t c = 0; c < headers.size(); ++c) line += (c ? "+" : "") + std::string(width[c] + 2, '-');
  out << line << "\n";
  for (const auto& r : rows) {
    line.clear();
    for (size_t c = 0; c < headers.size(); ++c) {
      size_t pad = width[c] - r[c].size();
      bool last = c + 1 == headers.size();
      line += (c ? "|" : "") + std::string(" ");
      if (right[c])
        line += std::string(pad, ' ') + r[c];
      else
        line += r[c] + (last ? "" : std::string(pad, ' '));
      if (!last) line += " ";
    }
    out << line << "\n";
  }
  out << "(" << rows.size() << (rows.size() == 1 ? " row)" : " rows)") << "\n";
}

}  // namespace pgload
