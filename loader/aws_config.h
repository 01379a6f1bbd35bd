// Where an S3 request's credentials, region and endpoint come from, found as the AWS CLI finds them: the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION,
// AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL), then the profile (AWS_PROFILE, else "default") in the shared credentials
// file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials) and the config file (AWS_CONFIG_FILE, else
// ~/.aws/config, where a profile's section is "[profile NAME]"). Command-line values win over all of these.
#pragma once

#include <optional>
#include <string>

#include "loader/aws_sigv4.h"

namespace pgload {

struct AwsConfig {
  std::optional<AwsCredentials> credentials;  // nullopt: none found, requests go unsigned (public buckets)
  std::string region;                         // never empty: us-east-1 when nothing names one
  std::string endpoint;                       // "" = AWS itself
  std::string profile;                        // the profile that was read, for messages
};

// `region` and `endpoint` are the command line's (empty: not given). Throws UsageError for a named profile that
// exists in neither file, or a profile with an access key and no secret.
AwsConfig find_aws_config(const std::string& region, const std::string& endpoint);

}  // namespace pgload
