// The S3 request signature against the worked examples of AWS's SigV4 documentation for S3 ("Signature
// Calculations for the Authorization Header: Transferring Payload in a Single Chunk"): same keys, same time, same
// requests, the published signatures. And the AWS CLI's way of finding credentials, region and endpoint.
#include <gtest/gtest.h>
#include <cstdlib>

#include <string>

#include "common/exit_code.h"
#include "loader/aws_config.h"
#include "loader/aws_sigv4.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload {
namespace {

const AwsCredentials kExampleKeys{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr std::time_t k20130524 = 1369353600;  // 2013-05-24T00:00:00Z

std::string authorization(const std::vector<std::string>& headers) {
  for (const std::string& h : headers)
    if (h.rfind("Authorization: ", 0) == 0) return h.substr(15);
  return "";
}

TEST(AwsSigV4, GetObjectWithRange) {
  AwsRequest r;
  r.host = "examplebucket.s3.amazonaws.com";
  r.path = "/test.txt";
  r.headers = {{"Range", "bytes=0-9"}};
  auto h = sign_s3_request(r, kExampleKeys, "us-east-1", k20130524);
  EXPECT_EQ(authorization(h),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(h[0], "x-amz-date: 20130524T000000Z");
}

TEST(AwsSigV4, ListObjectsWithQuery) {
  AwsRequest r;
  r.host = "examplebucket.s3.amazonaws.com";
  r.path = "/";
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};  // sorted by the signer
  EXPECT_EQ(authorization(sign_s3_request(r, kExampleKeys, "us-east-1", k20130524)),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(AwsSigV4, GetBucketLifecycleWithAnEmptyQueryValue) {
  AwsRequest r;
  r.host = "examplebucket.s3.amazonaws.com";
  r.path = "/";
  r.query = {{"lifecycle", ""}};
  EXPECT_EQ(authorization(sign_s3_request(r, kExampleKeys, "us-east-1", k20130524)),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(AwsSigV4, SessionTokenIsSentAndSigned) {
  AwsRequest r;
  r.host = "examplebucket.s3.amazonaws.com";
  r.path = "/test.txt";
  AwsCredentials c = kExampleKeys;
  c.session_token = "token/with+chars=";
  auto h = sign_s3_request(r, c, "us-east-1", k20130524);
  EXPECT_NE(std::find(h.begin(), h.end(), "x-amz-security-token: token/with+chars="), h.end());
  EXPECT_NE(authorization(h).find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
            std::string::npos);
}

TEST(AwsSigV4, UriEncoding) {
  EXPECT_EQ(aws_uri_encode("2026-12-04/part 1+ü.csv", true), "2026-12-04/part%201%2B%C3%BC.csv");
  EXPECT_EQ(aws_uri_encode("a/b", false), "a%2Fb");
}

// Environment variables are the process's: each test sets what it reads and restores nothing it did not set.
class AwsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                          "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"})
      unsetenv(v);
    dir_ = test::temp_dir("pgload-awsconfig");
    setenv("AWS_SHARED_CREDENTIALS_FILE", (dir_ + "/credentials").c_str(), 1);
    setenv("AWS_CONFIG_FILE", (dir_ + "/config").c_str(), 1);
    test::write_file(dir_ + "/credentials",
                     "[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key = secretdefault\n\n"
                     "[etl]\nAWS_ACCESS_KEY_ID=AKETL\naws_secret_access_key=secretetl\naws_session_token = tok\n");
    test::write_file(dir_ + "/config",
                     "[default]\nregion = eu-west-1\n[profile etl]\nregion=ap-south-1\n"
                     "endpoint_url = http://127.0.0.1:9000/\n");
  }
  std::string dir_;
};

TEST_F(AwsConfigTest, DefaultProfileFromTheSharedFiles) {
  auto c = find_aws_config("", "");
  ASSERT_TRUE(c.credentials);
  EXPECT_EQ(c.credentials->access_key_id, "AKDEFAULT");
  EXPECT_EQ(c.credentials->secret_access_key, "secretdefault");
  EXPECT_EQ(c.region, "eu-west-1");
  EXPECT_EQ(c.endpoint, "");
}

TEST_F(AwsConfigTest, NamedProfileThenEnvironmentThenCommandLine) {
  setenv("AWS_PROFILE", "etl", 1);
  auto c = find_aws_config("", "");
  ASSERT_TRUE(c.credentials);
  EXPECT_EQ(c.credentials->access_key_id, "AKETL");
  EXPECT_EQ(c.credentials->session_token, "tok");
  EXPECT_EQ(c.region, "ap-south-1");
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:9000");
  setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
  setenv("AWS_REGION", "us-west-2", 1);
  setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9001", 1);
  c = find_aws_config("", "");
  EXPECT_EQ(c.credentials->access_key_id, "AKENV");
  EXPECT_EQ(c.credentials->session_token, "");
  EXPECT_EQ(c.region, "us-west-2");
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:9001");
  c = find_aws_config("sa-east-1", "http://127.0.0.1:9002");
  EXPECT_EQ(c.region, "sa-east-1");
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:9002");
}

TEST_F(AwsConfigTest, NoCredentialsMeansAnonymousAndAnUnknownProfileIsAnError) {
  setenv("AWS_SHARED_CREDENTIALS_FILE", (dir_ + "/none").c_str(), 1);
  setenv("AWS_CONFIG_FILE", (dir_ + "/none").c_str(), 1);
  auto c = find_aws_config("", "");
  EXPECT_FALSE(c.credentials);
  EXPECT_EQ(c.region, "us-east-1");
  setenv("AWS_PROFILE", "nosuch", 1);
  EXPECT_THROW(find_aws_config("", ""), UsageError);
  unsetenv("AWS_PROFILE");
  setenv("AWS_ACCESS_KEY_ID", "AKONLY", 1);
  EXPECT_THROW(find_aws_config("", ""), UsageError);
}

}  // namespace
}  // namespace pgload
