// verify's parts against their definitions: SHA-256 and MD5 test vectors, the public keys of
// the CloudTrail user guide (their fingerprints are the MD5 of their DER bytes), RSA
// signatures made here with a fresh key, the digest and sidecar formats, gzip members, where
// a key sits in a copied tree; then small signed archives written here, tampered with, and
// hostile inputs (digests, sidecars and key files full of junk): clear verdicts naming the
// file, never a crash. The whole tamper matrix, with the AWS CLI's validator as a second
// opinion, is tests/verify/verify_matrix.py.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "common/time.h"
#include "support/files.h"
#include "verify/archive_index.h"
#include "verify/content.h"
#include "verify/crypto.h"
#include "verify/digest_file.h"
#include "verify/public_keys.h"
#include "verify/verify.h"

namespace trailreplay::verify {
namespace {

// --- Hashes --------------------------------------------------------------------------------

TEST(VerifyHashTest, Sha256AndMd5TestVectors) {
  // FIPS 180-2 and RFC 1321.
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Md5Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  // Incremental hashing of any split is the hash of the whole, and Finish starts over.
  const std::string text(100000, 'q');
  Sha256 hasher;
  hasher.Update(std::string_view(text).substr(0, 4097));
  hasher.Update(std::string_view(text).substr(4097));
  EXPECT_EQ(hasher.FinishHex(), Sha256Hex(text));
  hasher.Update("abc");
  EXPECT_EQ(hasher.FinishHex(), Sha256Hex("abc"));
}

TEST(VerifyHashTest, Base64AndHex) {
  EXPECT_EQ(*DecodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(*DecodeBase64("aGVs\nbG8"), "hello");  // unpadded, wrapped
  EXPECT_EQ(*DecodeBase64(""), "");
  for (const char* bad : {"aGVsbG8*", "a", "aGVsbG8==x", "aGVsbG8==="}) {
    EXPECT_FALSE(DecodeBase64(bad)) << bad;
  }
  EXPECT_EQ(*DecodeHex("00ffA1"), std::string("\x00\xff\xa1", 3));
  EXPECT_FALSE(DecodeHex("abc"));
  EXPECT_FALSE(DecodeHex("zz"));
}

// Standard base64 with padding (the tests' own encoder, to write key files).
std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = std::uint32_t{static_cast<std::uint8_t>(bytes[i])} << 16;
    if (i + 1 < bytes.size()) n |= std::uint32_t{static_cast<std::uint8_t>(bytes[i + 1])} << 8;
    if (i + 2 < bytes.size()) n |= std::uint32_t{static_cast<std::uint8_t>(bytes[i + 2])};
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// --- Public keys ---------------------------------------------------------------------------

// The sample response of `aws cloudtrail list-public-keys` in the CloudTrail user guide
// ("Custom implementations of CloudTrail log file integrity validation"): two keys in PKCS#1
// form, one in SubjectPublicKeyInfo form, each with its fingerprint.
constexpr const char* kGuideKeys = R"({
  "publicKeyList": [
    {"ValidityStartTime": "1436317441.0", "ValidityEndTime": "1438909441.0",
     "Value": "MIIBCgKCAQEAn11L2YZ9h7onug2ILi1MWyHiMRsTQjfWE+pHVRLk1QjfWhirG+lpOa8NrwQ/r7Ah5bNL6HepznOU9XTDSfmmnP97mqyc7z/upfZdS/AHhYcGaz7n6Wc/RRBU6VmiPCrAUojuSk6/GjvA8iOPFsYDuBtviXarvuLPlrT9kAd4Lb+rFfR5peEgBEkhlzc5HuWO7S0y+KunqxX6jQBnXGMtxmPBPP0FylgWGNdFtks/4YSKcgqwH0YDcawP9GGGDAeCIqPWIXDLG1jOjRRzWfCmD0iJUkz8vTsn4hq/5ZxRFE7UBAUiVcGbdnDdvVfhF9C3dQiDq3k7adQIziLT0cShgQIDAQAB",
     "Fingerprint": "8eba5db5bea9b640d1c96a77256fe7f2"},
    {"ValidityStartTime": "1434589460.0", "ValidityEndTime": "1437181460.0",
     "Value": "MIIBCgKCAQEApfYL2FiZhpN74LNWVUzhR+VheYhwhYm8w0n5Gf6i95ylW5kBAWKVEmnAQG7BvS5g9SMqFDQx52fW7NWV44IvfJ2xGXT+wT+DgR6ZQ+6yxskQNqV5YcXj4Aa5Zz4jJfsYjDuO2MDTZNIzNvBNzaBJ+r2WIWAJ/Xq54kyF63B6WE38vKuDE7nSd1FqQuEoNBFLPInvgggYe2Ym1Refe2z71wNcJ2kY+q0h1BSHrSM8RWuJIw7MXwF9iQncg9jYzUlNJomozQzAG5wSRfbplcCYNY40xvGd/aAmO0m+Y+XFMrKwtLCwseHPvj843qVno6x4BJN9bpWnoPo9sdsbGoiK3QIDAQAB",
     "Fingerprint": "8933b39ddc64d26d8e14ffbf6566fee4"},
    {"ValidityStartTime": "1434589370.0", "ValidityEndTime": "1437181370.0",
     "Value": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqlzPJbvZJ42UdcmLfPUqXYNfOs6I8lCfao/tOs8CmzPOEdtLWugB9xoIUz78qVHdKIqxbaG4jWHfJBiOSSFBM0lt8cdVo4TnRa7oG9io5pysS6DJhBBAeXsicufsiFJR+wrUNh8RSLxL4k6G1+BhLX20tJkZ/erT97tDGBujAelqseGg3vPZbTx9SMfOLN65PdLFudLP7Gat0Z9p5jw/rjpclKfo9Bfc3heeBxWGKwBBOKnFAaN9V57pOaosCvPKmHd9bg7jsQkI9Xp22IzGLsTFJZYVA3KiTAElDMu80iFXPHEq9hKNbt9e4URFam+1utKVEiLkR2disdCmPTK0VQIDAQAB",
     "Fingerprint": "31e8b5433410dfb61a9dc45cc65b22ff"}
  ]
})";

TEST(PublicKeysTest, TheUserGuidesKeysHaveTheirStatedFingerprints) {
  std::vector<std::string> warnings;
  auto keys = ParsePublicKeys(kGuideKeys, "guide.json", warnings);
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0].fingerprint, "8eba5db5bea9b640d1c96a77256fe7f2");
  EXPECT_EQ((*keys)[1].fingerprint, "8933b39ddc64d26d8e14ffbf6566fee4");
  EXPECT_EQ((*keys)[2].fingerprint, "31e8b5433410dfb61a9dc45cc65b22ff");
  for (const auto& key : *keys) EXPECT_EQ(key.key.bits(), 2048);
  EXPECT_TRUE(warnings.empty());
}

std::string KeyFile(const std::string& value, const std::string& extra = "") {
  return R"({"PublicKeyList":[{"Value":")" + value + "\"" + extra + "}]}";
}

TEST(PublicKeysTest, JunkIsAnErrorNamingTheFileAndTheEntry) {
  const std::string good =
      "MIIBCgKCAQEAn11L2YZ9h7onug2ILi1MWyHiMRsTQjfWE+pHVRLk1QjfWhirG+lpOa8NrwQ/r7Ah5bNL6HepznOU9"
      "XTDSfmmnP97mqyc7z/upfZdS/AHhYcGaz7n6Wc/RRBU6VmiPCrAUojuSk6/GjvA8iOPFsYDuBtviXarvuLPlrT9k"
      "Ad4Lb+rFfR5peEgBEkhlzc5HuWO7S0y+KunqxX6jQBnXGMtxmPBPP0FylgWGNdFtks/4YSKcgqwH0YDcawP9GGGD"
      "AeCIqPWIXDLG1jOjRRzWfCmD0iJUkz8vTsn4hq/5ZxRFE7UBAUiVcGbdnDdvVfhF9C3dQiDq3k7adQIziLT0cShg"
      "QIDAQAB";
  const std::string junk_der = "AAECAwQFBgcICQ==";
  // The good key's bytes with one more byte after them.
  std::string der = *DecodeBase64(good);
  der += '\x00';
  const std::string trailing = Base64(der);
  const std::map<std::string, std::string> cases = {
      {"not json {", "not JSON"},
      {"42", "expected a JSON object"},
      {R"({"Keys":[]})", "no \"PublicKeyList\""},
      {R"({"PublicKeyList":[]})", "holds no public keys"},
      {R"({"PublicKeyList":[7]})", "key 0: not an object"},
      {R"({"PublicKeyList":[{"Fingerprint":"x"}]})", "key 0: no \"Value\""},
      {KeyFile("@@@"), "key 0: \"Value\" is not base64"},
      {KeyFile(junk_der), "key 0: \"Value\" is not a DER public key"},
      {KeyFile(trailing), "1 bytes follow the DER key"},
  };
  for (const auto& [text, message] : cases) {
    std::vector<std::string> warnings;
    auto keys = ParsePublicKeys(text, "keys.json", warnings);
    ASSERT_FALSE(keys) << text;
    EXPECT_NE(keys.error().message.find("keys.json: "), std::string::npos) << keys.error().message;
    EXPECT_NE(keys.error().message.find(message), std::string::npos)
        << text << " -> " << keys.error().message;
  }
  // A stated fingerprint that is not the key's: the key is used under its own, with a warning.
  std::vector<std::string> warnings;
  auto keys = ParsePublicKeys(KeyFile(good, R"(,"Fingerprint":"00000000000000000000000000000000")"),
                              "lying.json", warnings);
  ASSERT_TRUE(keys);
  EXPECT_EQ((*keys)[0].fingerprint, "8eba5db5bea9b640d1c96a77256fe7f2");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("lying.json: key 0"), std::string::npos) << warnings[0];
}

// --- A signing key made here ---------------------------------------------------------------

class TestSigner {
 public:
  TestSigner() : key_(EVP_RSA_gen(2048)) {}
  ~TestSigner() { EVP_PKEY_free(key_); }
  TestSigner(const TestSigner&) = delete;
  TestSigner& operator=(const TestSigner&) = delete;

  std::string Pkcs1() const { return Der(i2d_PublicKey(key_, nullptr), &i2d_PublicKey); }
  std::string Spki() const { return Der(i2d_PUBKEY(key_, nullptr), &i2d_PUBKEY); }
  std::string Fingerprint() const { return Md5Hex(Pkcs1()); }

  // RSA PKCS#1 v1.5 over SHA-256, hex.
  std::string Sign(std::string_view message) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EXPECT_EQ(EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, key_, nullptr), 1);
    std::size_t size = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(message.data());
    EXPECT_EQ(EVP_DigestSign(ctx, nullptr, &size, data, message.size()), 1);
    std::string signature(size, '\0');
    EXPECT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size, data,
                             message.size()),
              1);
    EVP_MD_CTX_free(ctx);
    signature.resize(size);
    return HexLower(reinterpret_cast<const std::uint8_t*>(signature.data()), signature.size());
  }

  std::string KeyFileJson() const {
    return R"({"PublicKeyList":[{"Value":")" + Base64(Pkcs1()) + R"(","Fingerprint":")" +
           Fingerprint() + "\"}]}";
  }

 private:
  template <typename Encode>
  std::string Der(int size, Encode encode) const {
    EXPECT_GT(size, 0);
    std::string out(static_cast<std::size_t>(size), '\0');
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    EXPECT_EQ(encode(key_, &p), size);
    return out;
  }

  EVP_PKEY* key_;
};

TEST(RsaTest, VerifiesSha256WithRsaInBothDerForms) {
  TestSigner signer;
  const std::string message = "2024-03-01T01:17:28Z\nbucket/key\nabc\nnull";
  const std::string signature = *DecodeHex(signer.Sign(message));
  for (const std::string& der : {signer.Pkcs1(), signer.Spki()}) {
    auto key = RsaPublicKey::FromDer(der);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_TRUE(key->VerifySha256(message, signature));
    EXPECT_FALSE(key->VerifySha256(message + "x", signature));
    std::string flipped = signature;
    flipped[10] ^= 1;
    EXPECT_FALSE(key->VerifySha256(message, flipped));
    EXPECT_FALSE(key->VerifySha256(message, ""));
    EXPECT_FALSE(key->VerifySha256(message, signature.substr(1)));
  }
  // Another key does not verify it.
  TestSigner other;
  EXPECT_FALSE(RsaPublicKey::FromDer(other.Pkcs1())->VerifySha256(message, signature));
  // Not RSA: an EC key is refused, not misused.
  EVP_PKEY* ec = EVP_EC_gen("P-256");
  ASSERT_NE(ec, nullptr);
  std::string ec_der(static_cast<std::size_t>(i2d_PUBKEY(ec, nullptr)), '\0');
  auto* p = reinterpret_cast<unsigned char*>(ec_der.data());
  i2d_PUBKEY(ec, &p);
  EVP_PKEY_free(ec);
  auto refused = RsaPublicKey::FromDer(ec_der);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("not an RSA key"), std::string::npos);
}

// --- Digest files --------------------------------------------------------------------------

// The user guide's sample digest (its field values, reduced to one log file).
std::string GuideDigest(std::string previous_signature = "\"50887ccf\"") {
  return R"({"awsAccountId":"111122223333","digestStartTime":"2015-08-17T14:01:31Z",)"
         R"("digestEndTime":"2015-08-17T15:01:31Z","digestS3Bucket":"S3-bucket-name",)"
         R"("digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/)"
         R"(111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz",)"
         R"("digestPublicKeyFingerprint":"31e8b5433410dfb61a9dc45cc65b22ff",)"
         R"("digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2015-08-17T14:52:27Z",)"
         R"("oldestEventTime":"2015-08-17T14:42:27Z","previousDigestS3Bucket":"S3-bucket-name",)"
         R"("previousDigestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/)"
         R"(111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T140131Z.json.gz",)"
         R"("previousDigestHashValue":"97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d",)"
         R"("previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":)" +
         previous_signature +
         R"(,"logFiles":[{"s3Bucket":"S3-bucket-name","s3Object":"AWSLogs/111122223333/CloudTrail/)"
         R"(us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz",)"
         R"("hashValue":"9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6",)"
         R"("hashAlgorithm":"SHA-256","newestEventTime":"2015-08-17T14:52:27Z",)"
         R"("oldestEventTime":"2015-08-17T14:42:27Z"}]})";
}

TEST(DigestFileTest, ParsesTheUserGuidesSampleAndBuildsTheSignedString) {
  auto digest = ParseDigestFile(GuideDigest());
  ASSERT_TRUE(digest) << digest.error().message;
  EXPECT_EQ(digest->account_id, "111122223333");
  EXPECT_EQ(digest->end_time, *ParseIsoTime("2015-08-17T15:01:31Z"));
  ASSERT_TRUE(digest->previous);
  EXPECT_EQ(digest->previous->signature, "50887ccf");
  ASSERT_EQ(digest->log_files.size(), 1u);
  EXPECT_EQ(digest->log_files[0].hash_value,
            "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6");
  // The format of the guide's "Data_To_Sign_String": end time, bucket/key, hash, previous
  // signature, joined by newlines, nothing after the last.
  EXPECT_EQ(StringToSign(*digest, "4ff0"),
            "2015-08-17T15:01:31Z\nS3-bucket-name/AWSLogs/111122223333/CloudTrail-Digest/us-east-2/"
            "2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_"
            "20150817T150131Z.json.gz\n4ff0\n50887ccf");
  // A starting digest: every previous* field null, and "null" in the signed string.
  std::string start = GuideDigest("null");
  for (const char* field : {"previousDigestS3Bucket\":\"S3-bucket-name\"",
                            "previousDigestHashAlgorithm\":\"SHA-256\""}) {
    const std::string name = std::string(field).substr(0, std::string(field).find('"'));
    start.replace(start.find(field), std::string(field).size(), name + "\":null");
  }
  const std::size_t object = start.find("\"previousDigestS3Object\":");
  start.replace(object, start.find(',', object) - object, "\"previousDigestS3Object\":null");
  const std::size_t hash = start.find("\"previousDigestHashValue\":");
  start.replace(hash, start.find(',', hash) - hash, "\"previousDigestHashValue\":null");
  auto first = ParseDigestFile(start);
  ASSERT_TRUE(first) << first.error().message << "\n" << start;
  EXPECT_FALSE(first->previous);
  EXPECT_EQ(StringToSign(*first, "ab").substr(StringToSign(*first, "ab").size() - 8), "\nab\nnull");
}

TEST(DigestFileTest, EveryMalformedFieldIsNamed) {
  const std::string good = GuideDigest();
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string out = good;
    const std::size_t at = out.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    out.replace(at, from.size(), to);
    return out;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not JSON"},
      {"[1,2]", "not a JSON object"},
      {"{\"awsAccountId\":1}", "\"awsAccountId\" is not a string"},
      {replace("\"digestEndTime\":\"2015-08-17T15:01:31Z\",", ""), "\"digestEndTime\" is missing"},
      {replace("2015-08-17T15:01:31Z", "yesterday"), "\"digestEndTime\" is not an ISO-8601"},
      {replace("31e8b5433410dfb61a9dc45cc65b22ff", "31e8"), "digestPublicKeyFingerprint"},
      {replace("\"50887ccf\"", "\"xyz\""), "\"previousDigestSignature\" is not a hex"},
      {replace("97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d", "97"),
       "\"previousDigestHashValue\" is not a SHA-256"},
      {replace("\"logFiles\":[", "\"logFiles\":\"none\",\"x\":["),
       "\"logFiles\" is missing or not an array"},
      {replace("\"hashValue\":\"9bb6", "\"hashValue\":\"zzz6"), "logFiles[0].hashValue"},
      {replace("\"s3Object\":\"AWSLogs/111122223333/CloudTrail/", "\"s3Objekt\":\"AWSLogs/1/"),
       "\"logFiles[0].s3Object\" is missing"},
      {replace("\"previousDigestSignature\":\"50887ccf\"", "\"previousDigestSignature\":null"),
       "is set in a starting digest"},
  };
  for (const auto& [text, message] : cases) {
    auto digest = ParseDigestFile(text);
    ASSERT_FALSE(digest) << text;
    EXPECT_NE(digest.error().message.find(message), std::string::npos)
        << message << " -> " << digest.error().message;
  }
  // Deep nesting and huge inputs are refused by the parser, not by the stack.
  EXPECT_FALSE(ParseDigestFile(std::string(100000, '[') + std::string(100000, ']')));
}

TEST(DigestFileTest, SidecarsInBothShapesAndJunk) {
  auto metadata = ParseSidecar(R"({"signature":"ABCD","signature-algorithm":"SHA256withRSA"})");
  ASSERT_TRUE(metadata);
  EXPECT_EQ(metadata->signature, "ABCD");
  EXPECT_EQ(metadata->algorithm, "SHA256withRSA");
  auto head = ParseSidecar(
      R"({"AcceptRanges":"bytes","ContentLength":1,"Metadata":{"signature":"00ff","signature-algorithm":"SHA256withRSA"}})");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->signature, "00ff");
  EXPECT_TRUE(ParseSidecar(R"({"x-amz-meta-signature":"00"})"));
  for (const char* junk : {"", "\x01\x02garbage", "[]", "{}", R"({"signature":12})",
                           R"({"signature":"not hex"})", R"({"signature":"abc"})"}) {
    EXPECT_FALSE(ParseSidecar(junk)) << junk;
  }
}

// --- Content -------------------------------------------------------------------------------

TEST(ContentTest, GzipMembersPlainBytesAndBrokenStreams) {
  std::string content;
  auto one = DecodeContent(test::Gzip("hello world"), content, 1 << 20);
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->gzip);
  EXPECT_EQ(content, "hello world");
  EXPECT_EQ(one->member_ends, (std::vector<std::uint64_t>{11}));

  auto two = DecodeContent(test::Gzip("hello ") + test::Gzip("world") + std::string(4, '\0'),
                           content, 1 << 20);
  ASSERT_TRUE(two);
  EXPECT_EQ(content, "hello world");
  EXPECT_EQ(two->member_ends, (std::vector<std::uint64_t>{6, 11}));
  EXPECT_EQ(two->zero_padding, 4u);

  auto plain = DecodeContent("{\"Records\":[]}", content, 1 << 20);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->gzip);
  EXPECT_EQ(content, "{\"Records\":[]}");

  const std::string gz = test::Gzip(std::string(5000, 'a'));
  EXPECT_FALSE(DecodeContent(gz.substr(0, gz.size() - 3), content, 1 << 20));  // truncated
  EXPECT_FALSE(DecodeContent(gz + "garbage", content, 1 << 20));               // trailing bytes
  auto limit = DecodeContent(gz, content, 100);
  ASSERT_FALSE(limit);
  EXPECT_EQ(limit.error().code, ErrorCode::kLimit);
}

// --- Where keys sit ------------------------------------------------------------------------

// A file found at `path` under the PATH `root`.
FoundObject At(const std::string& path, const std::string& root = "/") {
  FoundObject o;
  o.path = path;
  o.relative_from = root.size();
  return o;
}

TEST(ArchiveIndexTest, KeysMatchFromAwsLogsOnOrByTheirTail) {
  const std::string key = "audit/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/f.gz";
  // Re-rooted copies: any directory above, with or without the prefix.
  EXPECT_TRUE(
      SitsAt(At("/x/bucket/audit/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/f.gz"), key));
  EXPECT_TRUE(SitsAt(At("/copy/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/f.gz"), key));
  // Elsewhere in the tree: not where the key says.
  EXPECT_FALSE(SitsAt(At("/copy/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/02/f.gz"), key));
  EXPECT_FALSE(SitsAt(At("/copy/AWSLogs/999999999999/CloudTrail/us-east-1/2024/03/01/f.gz"), key));
  // No AWSLogs in the path: what lies below the PATH must be the key's tail.
  EXPECT_TRUE(SitsAt(At("/d/us-east-1/2024/03/01/f.gz", "/d/"), key));
  EXPECT_TRUE(SitsAt(At("/flat/f.gz", "/flat/"), key));
  EXPECT_FALSE(SitsAt(At("/d/2024/03/02/f.gz", "/d/"), key));
  // In an archive, the member's name is where it is.
  FoundObject member;
  member.path = "/bundles/b.tar";
  member.member = "bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/f.gz";
  EXPECT_TRUE(SitsAt(member, key));

  std::vector<FoundObject> objects = {
      At("/c/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/f.gz"),
      At("/c/audit/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/g.gz")};
  const ArchiveIndex index(objects);
  EXPECT_EQ(index.Find("audit/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/f.gz"),
            (std::vector<std::size_t>{0}));
  EXPECT_TRUE(index.Find("AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/h.gz").empty());
  EXPECT_EQ(index.KeyOf(objects[1], {"audit"}),
            "audit/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/g.gz");
  EXPECT_EQ(index.KeyOf(objects[0], {"audit"}),
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/f.gz");
}

// --- Small signed archives -----------------------------------------------------------------

constexpr const char* kAccount = "111122223333";
constexpr const char* kBucket = "b";

std::string Stamp(std::int64_t t, bool seconds) {
  const std::string iso = FormatIsoTime(t);
  return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2) + "T" + iso.substr(11, 2) +
         iso.substr(14, 2) + (seconds ? iso.substr(17, 2) : "") + "Z";
}

std::string DatePath(std::int64_t t) {
  const std::string iso = FormatIsoTime(t);
  return iso.substr(0, 4) + "/" + iso.substr(5, 2) + "/" + iso.substr(8, 2);
}

// A chain of hourly digests, each naming one log file, written as CloudTrail writes them.
class SignedArchive {
 public:
  explicit SignedArchive(int hours, std::int64_t t0 = 1709252248) : t0_(t0) {
    std::string previous_key, previous_signature, previous_hash;
    for (int h = 1; h <= hours; ++h) {
      const std::int64_t start = t0 + (h - 1) * 3600, end = t0 + h * 3600;
      const std::int64_t delivered = start + 600;
      const std::string log_key = std::string("AWSLogs/") + kAccount + "/CloudTrail/us-east-1/" +
                                  DatePath(delivered) + "/" + kAccount + "_CloudTrail_us-east-1_" +
                                  Stamp(delivered, false) + "_L" + std::to_string(h) + ".json.gz";
      const std::string log = R"({"Records":[{"eventTime":")" + FormatIsoTime(delivered - 60) +
                              R"(","eventID":"e)" + std::to_string(h) + R"("}]})";
      dir_.Write("bucket/" + log_key, test::Gzip(log));
      logs_.push_back(log_key);
      const std::string key = std::string("AWSLogs/") + kAccount + "/CloudTrail-Digest/us-east-1/" +
                              DatePath(end) + "/" + kAccount +
                              "_CloudTrail-Digest_us-east-1_t_us-east-1_" + Stamp(end, true) +
                              ".json.gz";
      auto quoted = [](const std::string& s) { return s.empty() ? "null" : "\"" + s + "\""; };
      const std::string body =
          std::string(R"({"awsAccountId":")") + kAccount + R"(","digestStartTime":")" +
          FormatIsoTime(start) + R"(","digestEndTime":")" + FormatIsoTime(end) +
          R"(","digestS3Bucket":")" + kBucket + R"(","digestS3Object":")" + key +
          R"(","digestPublicKeyFingerprint":")" + signer_.Fingerprint() +
          R"(","digestSignatureAlgorithm":"SHA256withRSA","previousDigestS3Bucket":)" +
          quoted(previous_key.empty() ? "" : kBucket) +
          ",\"previousDigestS3Object\":" + quoted(previous_key) +
          ",\"previousDigestHashValue\":" + quoted(previous_hash) +
          ",\"previousDigestHashAlgorithm\":" + quoted(previous_key.empty() ? "" : "SHA-256") +
          ",\"previousDigestSignature\":" + quoted(previous_signature) +
          R"(,"logFiles":[{"s3Bucket":")" + kBucket + R"(","s3Object":")" + log_key +
          R"(","hashValue":")" + Sha256Hex(log) + R"(","hashAlgorithm":"SHA-256"}]})";
      const std::string signature =
          signer_.Sign(FormatIsoTime(end) + "\n" + kBucket + "/" + key + "\n" + Sha256Hex(body) +
                       "\n" + (previous_signature.empty() ? "null" : previous_signature));
      dir_.Write("bucket/" + key, test::Gzip(body));
      dir_.Write("bucket/" + key + ".metadata.json",
                 R"({"signature":")" + signature + R"(","signature-algorithm":"SHA256withRSA"})");
      digests_.push_back(key);
      previous_key = key;
      previous_signature = signature;
      previous_hash = Sha256Hex(body);
    }
    keys_ = dir_.Write("keys.json", signer_.KeyFileJson());
  }

  Result<VerifyReport> Verify(bool with_keys = true) {
    VerifyOptions options;
    options.paths = {dir_ / "bucket"};
    if (with_keys) options.public_key_files = {keys_};
    options.from = t0_;
    options.to = t0_ + static_cast<std::int64_t>(digests_.size()) * 3600 + 1800;
    options.to_given = true;
    options.threads = 2;
    return RunVerify(options);
  }

  std::string Path(const std::string& key) const { return dir_ / ("bucket/" + key); }
  const test::TempDir& dir() const { return dir_; }
  const std::vector<std::string>& digests() const { return digests_; }
  const std::vector<std::string>& logs() const { return logs_; }

 private:
  test::TempDir dir_;
  TestSigner signer_;
  std::int64_t t0_;
  std::vector<std::string> digests_, logs_;
  std::string keys_;
};

std::map<std::string, std::string> Statuses(const VerifyReport& report) {
  std::map<std::string, std::string> out;
  for (const auto& d : report.digests) out[d.key] = std::string(DigestStatusName(d.status));
  for (const auto& l : report.logs) out[l.key] = std::string(LogStatusName(l.status));
  return out;
}

TEST(VerifyTest, ASignedChainIsValidAndItsTamperingIsFound) {
  SignedArchive archive(3);
  auto report = archive.Verify();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->Problems(), 0u) << ReportJson(*report);
  for (const auto& [key, status] : Statuses(*report)) EXPECT_EQ(status, "valid") << key;
  EXPECT_EQ(report->digests.size(), 3u);
  EXPECT_EQ(report->logs.size(), 3u);

  // Without keys the chain is consistent, not authenticated.
  auto unkeyed = archive.Verify(/*with_keys=*/false);
  ASSERT_TRUE(unkeyed);
  for (const auto& d : unkeyed->digests) {
    EXPECT_EQ(d.status, DigestStatus::kUnauthenticated) << d.key << ": " << d.detail;
  }

  // One byte of a log's content.
  std::ofstream(archive.Path(archive.logs()[1]), std::ios::binary)
      << test::Gzip(R"({"Records":[{"eventTime":"2024-03-01T01:26:28Z","eventID":"X2"}]})");
  auto tampered = archive.Verify();
  ASSERT_TRUE(tampered);
  EXPECT_EQ(Statuses(*tampered)[archive.logs()[1]], "modified");
  EXPECT_EQ(tampered->Problems(), 1u);
}

TEST(VerifyTest, TheNewestDigestsSignatureIsEnoughForTheWholeChain) {
  SignedArchive archive(3);
  for (std::size_t i = 0; i + 1 < archive.digests().size(); ++i) {
    std::filesystem::remove(archive.Path(archive.digests()[i]) + ".metadata.json");
  }
  auto report = archive.Verify();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->Problems(), 0u) << ReportJson(*report);
  for (const auto& d : report->digests) EXPECT_EQ(d.status, DigestStatus::kValid) << d.detail;
}

TEST(VerifyTest, HostileDigestsSidecarsAndKeyFilesAreReportedNamingTheFile) {
  SignedArchive archive(2);
  const std::string dir = "bucket/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/";
  // Named in the digest layout, inside the period verified (00:17:28 to 02:47:28).
  const std::string name = "111122223333_CloudTrail-Digest_us-east-1_x_us-east-1_20240301T0";
  std::map<std::string, std::string> junk = {
      {name + "02000Z.json.gz", "not gzip, not json"},
      {name + "04000Z.json.gz", test::Gzip("\x01\x02\x03 not json")},
      {name + "10000Z.json.gz", test::Gzip("{\"digestStartTime\":7}")},
      {name + "12000Z.json.gz", test::Gzip(std::string(200000, '['))},
      {name + "14000Z.json.gz", test::Gzip("").substr(0, 12)},
      {name + "20000Z.json.gz", test::Gzip(GuideDigest())},  // sits where it does not belong
  };
  for (const auto& [file, content] : junk) archive.dir().Write(dir + file, content);
  // Garbage sidecars beside the newest (real) digest.
  archive.dir().Write("bucket/" + archive.digests()[1] + ".metadata.json", "\xff\xfe{{{");
  auto report = archive.Verify();
  ASSERT_TRUE(report) << report.error().message;
  std::size_t invalid = 0;
  for (const auto& d : report->digests) {
    if (d.path.find("_x_us-east-1_") == std::string::npos) continue;
    EXPECT_EQ(d.status, DigestStatus::kInvalid) << d.path;
    EXPECT_FALSE(d.detail.empty());
    ++invalid;
  }
  EXPECT_EQ(invalid, junk.size()) << ReportJson(*report);
  bool warned = false;
  for (const auto& w : report->warnings) {
    warned = warned || (w.find(".metadata.json: unusable sidecar") != std::string::npos);
  }
  EXPECT_TRUE(warned);
  // The newest digest lost its sidecar, but the chain below it stands.
  const auto statuses = Statuses(*report);
  EXPECT_EQ(statuses.at(archive.digests()[1]), "unauthenticated");
  EXPECT_EQ(statuses.at(archive.digests()[0]), "valid");

  // A key file full of junk is an error naming it.
  VerifyOptions options;
  options.paths = {archive.dir() / "bucket"};
  options.public_key_files = {archive.dir().Write("junk-keys.json", "\x89PNG\r\n")};
  options.to = 2000000000;
  auto refused = RunVerify(options);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("junk-keys.json"), std::string::npos);
  options.public_key_files = {archive.dir() / "no-such-keys.json"};
  refused = RunVerify(options);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("no-such-keys.json"), std::string::npos);
}

}  // namespace
}  // namespace trailreplay::verify
