// A CLI11 formatter with a hand-written synopsis instead of CLI11's generated "Usage:" line (the synopsis says which
// options are required and which belong to which command, which CLI11 cannot infer), and wrapped descriptions.
#include "common/cli_format.h"

namespace pgload {
namespace {

constexpr size_t kHelpColumns = 118;  // the docs' code blocks stay within the 120-column house width

// The whole --help layout: synopsis, description, one block per option group, then the footer (exit codes).
class HelpFormatter final : public CLI::Formatter {
 public:
  explicit HelpFormatter(std::string synopsis) : synopsis_(std::move(synopsis)) {}

  std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const override {
    std::string out = synopsis_ + "\n" + app->get_description() + "\n";
    for (const std::string& group : app->get_groups()) {
      if (group.empty()) continue;  // hidden options
      auto options =
          app->get_options([&](const CLI::Option* o) { return o->get_group() == group && o->nonpositional(); });
      if (options.empty()) continue;
      out += "\n" + group + ":\n";
      for (const CLI::Option* o : options) {
        std::string names = o->get_name(false, true);  // "-h,--help"
        for (size_t comma = names.find(','); comma != std::string::npos; comma = names.find(',', comma + 2))
          names.replace(comma, 1, ", ");
        std::string left = "  " + names + make_option_opts(o);
        if (left.size() + 1 > kOptionColumn)
          left += "\n" + std::string(kOptionColumn, ' ');
        else
          left.resize(kOptionColumn, ' ');
        out += left + wrap_help(o->get_description(), kOptionColumn) + "\n";
      }
    }
    return out + "\n" + app->get_footer() + "\n";
  }

 private:
  std::string synopsis_;
};

}  // namespace

std::string wrap_help(const std::string& text, size_t indent) {
  std::string out;
  size_t at = indent;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find(' ', pos);
    if (end == std::string::npos) end = text.size();
    const size_t len = end - pos;
    if (pos > 0 && at + 1 + len > kHelpColumns) {
      out += "\n" + std::string(indent, ' ');
      at = indent;
    } else if (pos > 0) {
      out += ' ';
      ++at;
    }
    out.append(text, pos, len);
    at += len;
    pos = end + 1;
  }
  return out;
}

void configure_cli(CLI::App& app, std::string synopsis) {
  app.formatter(std::make_shared<HelpFormatter>(std::move(synopsis)));
  app.allow_extras();
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

std::string first_unknown_word(const CLI::App& app) {
  const std::vector<std::string> words = app.remaining();
  if (words.empty()) return "";
  const std::string& word = words.front();
  return word.starts_with("--") ? word.substr(0, word.find('=')) : word;
}

std::string cli_error_message(const CLI::Error& e) {
  std::string message = e.what();
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return message;
}

}  // namespace pgload
