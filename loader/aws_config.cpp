#include "loader/aws_config.h"

#include <cstdlib>
#include <fstream>
#include <map>

#include "common/exit_code.h"
#include "common/text_trim.h"

namespace pgload {
namespace {

using Section = std::map<std::string, std::string>;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string home_file(const char* variable, const char* relative) {
  std::string path = env(variable);
  if (!path.empty()) return path;
  const std::string home = env("HOME");
  return home.empty() ? "" : home + "/" + relative;
}

// The INI sections of an AWS shared file: "[name]" -> key = value (keys lower-cased as the CLI treats them).
std::map<std::string, Section> read_ini(const std::string& path) {
  std::map<std::string, Section> out;
  if (path.empty()) return out;
  std::ifstream in(path);
  std::string line, section;
  while (std::getline(in, line)) {
    const std::string l{trim_space(line)};
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    if (l.front() == '[' && l.back() == ']') {
      section = std::string(trim_space(std::string_view(l).substr(1, l.size() - 2)));
      out[section];
      continue;
    }
    const size_t eq = l.find('=');
    if (eq == std::string::npos || section.empty()) continue;
    std::string key{trim_space(std::string_view(l).substr(0, eq))};
    for (char& c : key)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out[section][key] = std::string(trim_space(std::string_view(l).substr(eq + 1)));
  }
  return out;
}

std::string value(const Section* s, const char* key) {
  if (s == nullptr) return "";
  auto it = s->find(key);
  return it == s->end() ? "" : it->second;
}

}  // namespace

AwsConfig find_aws_config(const std::string& region, const std::string& endpoint) {
  AwsConfig out;
  const std::string named = env("AWS_PROFILE");
  out.profile = named.empty() ? "default" : named;
  const auto credentials_file = read_ini(home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"));
  const auto config_file = read_ini(home_file("AWS_CONFIG_FILE", ".aws/config"));
  auto find = [&](const std::map<std::string, Section>& file, const std::string& name) -> const Section* {
    auto it = file.find(name);
    return it == file.end() ? nullptr : &it->second;
  };
  const Section* cred = find(credentials_file, out.profile);
  const Section* conf = find(config_file, out.profile == "default" ? "default" : "profile " + out.profile);
  if (!named.empty() && cred == nullptr && conf == nullptr)
    throw UsageError("AWS_PROFILE names the profile '" + named +
                     "', which is in neither the shared credentials file nor the config file");

  AwsCredentials c{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN")};
  if (c.access_key_id.empty()) {
    // The credentials file first, then the config file, as the CLI reads them.
    for (const Section* s : {cred, conf}) {
      if (value(s, "aws_access_key_id").empty()) continue;
      c = {value(s, "aws_access_key_id"), value(s, "aws_secret_access_key"), value(s, "aws_session_token")};
      break;
    }
  }
  if (!c.access_key_id.empty()) {
    if (c.secret_access_key.empty())
      throw UsageError("an AWS access key id was found (profile '" + out.profile +
                       "' or AWS_ACCESS_KEY_ID) without its secret access key");
    out.credentials = c;
  }

  out.region = region;
  for (const std::string& r : {env("AWS_REGION"), env("AWS_DEFAULT_REGION"), value(conf, "region")})
    if (out.region.empty()) out.region = r;
  if (out.region.empty()) out.region = "us-east-1";

  out.endpoint = endpoint;
  for (const std::string& e : {env("AWS_ENDPOINT_URL_S3"), env("AWS_ENDPOINT_URL"), value(conf, "endpoint_url")})
    if (out.endpoint.empty()) out.endpoint = e;
  while (!out.endpoint.empty() && out.endpoint.back() == '/') out.endpoint.pop_back();
  return out;
}

}  // namespace pgload
