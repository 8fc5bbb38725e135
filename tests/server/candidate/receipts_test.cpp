#include "server/candidate/receipts.hpp"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace zhiyuan::server {
namespace {

std::string decode64(const std::string& text) {
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return "";
  }
  out.resize(len);
  return out;
}

bool verifies(const receipt_signer& s, const std::string& message, const std::string& sig64) {
  const std::string sig = decode64(sig64);
  const std::string pk = decode64(s.public_key_base64());
  return sig.size() == crypto_sign_BYTES && pk.size() == crypto_sign_PUBLICKEYBYTES &&
         crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(),
                                     reinterpret_cast<const unsigned char*>(pk.data())) == 0;
}

class receipts_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("zhiyuan-receipts-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(receipts_test, a_created_key_is_private_and_survives_a_reload) {
  const std::string path = (dir_ / "sub" / "receipt.key").string();
  const auto a = receipt_signer::load_or_create(path);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto b = receipt_signer::load_or_create(path);
  EXPECT_EQ(a.public_key_base64(), b.public_key_base64());
  EXPECT_EQ(a.sign("hello"), b.sign("hello"));  // Ed25519 is deterministic
  EXPECT_TRUE(verifies(b, "hello", a.sign("hello")));
  EXPECT_FALSE(verifies(b, "hellO", a.sign("hello")));
  EXPECT_FALSE(verifies(receipt_signer::generate(), "hello", a.sign("hello")));
  EXPECT_EQ(a.key_id().size(), 16u);
}

TEST_F(receipts_test, pem_wraps_the_raw_key_in_the_ed25519_spki_prefix) {
  const auto s = receipt_signer::generate();
  const std::string pem = s.public_key_pem();
  ASSERT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u);
  const auto begin = pem.find('\n') + 1;
  const std::string der = decode64(pem.substr(begin, pem.find('\n', begin) - begin));
  ASSERT_EQ(der.size(), 44u);
  EXPECT_EQ(der.substr(12), decode64(s.public_key_base64()));
  EXPECT_EQ(static_cast<unsigned char>(der[0]), 0x30);
}

TEST_F(receipts_test, a_malformed_key_file_is_refused) {
  std::filesystem::create_directories(dir_);
  const std::string path = (dir_ / "bad.key").string();
  std::ofstream(path) << "not base64 at all!\n";
  EXPECT_THROW(receipt_signer::load_or_create(path), std::runtime_error);
}

TEST(receipt_members, the_canonical_text_is_signed_and_names_the_chain) {
  const auto s = receipt_signer::generate();
  receipt_view v;
  v.exam_no = "23430101000001";
  v.version = 2;
  v.accepted_at_us = 1'688'259'599'123'456;
  v.choices_sha256.fill(0xab);
  v.receipt_hash.fill(0x01);
  v.prev_hash.emplace();
  v.prev_hash->fill(0xcd);
  const std::string canonical = canonical_receipt_of(v);
  EXPECT_NE(canonical.find("accepted_at=2023-07-02T00:59:59.123456Z\n"), std::string::npos);
  std::string prev_line = "prev=";
  for (int i = 0; i < 32; ++i) prev_line += "cd";
  EXPECT_NE(canonical.find(prev_line + "\n"), std::string::npos) << canonical;
  std::string body;
  json_writer w(body);
  w.begin_object();
  write_receipt_members(w, v, s);
  w.end_object();
  const std::string sig = s.sign(canonical);
  EXPECT_NE(body.find("\"signature\":\"" + sig + "\""), std::string::npos) << body;
  EXPECT_TRUE(verifies(s, canonical, sig));
}

}  // namespace
}  // namespace zhiyuan::server
