// tests/qubes/qdb_wire_test.cpp — the QubesDB message format: encoding, incremental decoding, malformed headers.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "qubes/qdb_wire.hpp"
#include "support/bytes.hpp"
#include "qdb_test_support.hpp"

using namespace aw::qubes;
using aw::test::byte_vector;
using aw::test::hex;
using aw::qubes::test::raw_header;

namespace {

// READ /qubes-ip: type 0, the path NUL-padded to 64 bytes, 3 bytes of padding,
// data_len 0 in native byte order (little-endian on x86 and arm64).
byte_vector read_qubes_ip() {
  byte_vector b(72, 0);
  b[0] = 0x00;                                  // type READ
  const char path[] = "/qubes-ip";              // path @1, NUL-terminated
  std::memcpy(b.data() + 1, path, sizeof path - 1);
  // @65..67 padding, @68..71 data_len 0
  return b;
}

qdb_decoder::step feed_all(qdb_decoder& d, aw::proto::bytes in, std::vector<qdb_message>& out) {
  qdb_decoder::step last;
  while (!in.empty()) {
    last = d.feed(in);
    in = in.subspan(last.consumed);
    if (last.message) out.push_back(*last.message);
    if (last.error) break;
  }
  return last;
}

}  // namespace

TEST_CASE("qdb wire: a request is a 72-byte header and no data") {
  byte_vector out;
  auto n = encode(qdb_message{qdb_type::read, "/qubes-ip", {}}, out);
  REQUIRE(n.has_value());
  CHECK(*n == 72);
  CHECK(hex(out) == hex(read_qubes_ip()));
}

TEST_CASE("qdb wire: a write carries data_len bytes of value without a NUL") {
  byte_vector out;
  REQUIRE(encode(qdb_message{qdb_type::write, "/qubes-firewall/10.137.0.5/policy", "drop"}, out).has_value());
  REQUIRE(out.size() == 76);
  CHECK(out[0] == 1);                            // type WRITE
  CHECK(out[1 + 33] == 0);                       // NUL after the 33-character path
  std::uint32_t len = 0;
  std::memcpy(&len, out.data() + 68, 4);         // data_len, native order
  CHECK(len == 4);
  CHECK(std::string(out.begin() + 72, out.end()) == "drop");
}

TEST_CASE("qdb wire: encode refuses paths the daemon would refuse and values over 3072 bytes") {
  byte_vector out;
  CHECK(encode(qdb_message{qdb_type::read, "no-slash", {}}, out).error() == qdb_error::bad_path);
  CHECK(encode(qdb_message{qdb_type::read, "/a b", {}}, out).error() == qdb_error::bad_path);
  CHECK(encode(qdb_message{qdb_type::read, "/" + std::string(63, 'a'), {}}, out).error() == qdb_error::bad_path);
  CHECK(encode(qdb_message{qdb_type::read, "/" + std::string(62, 'a'), {}}, out).has_value());
  CHECK(encode(qdb_message{qdb_type::write, "/k", std::string(3073, 'x')}, out).error() == qdb_error::data_too_long);
  CHECK(encode(qdb_message{qdb_type::write, "/k", std::string(3072, 'x')}, out).has_value());
}

TEST_CASE("qdb wire: key validation follows the daemon's path rules") {
  CHECK(valid_key("/qubes-firewall/10.137.0.5/0001"));
  CHECK(valid_key("/mapped-ip/fd09:24ef:4179::a89:5/visible-ip"));
  CHECK(valid_key("/a_b.c@d-e"));
  CHECK_FALSE(valid_key(""));
  CHECK_FALSE(valid_key("/"));
  CHECK_FALSE(valid_key("/dir/"));
  CHECK_FALSE(valid_key("/tab\there"));
  CHECK_FALSE(valid_key("relative"));
}

TEST_CASE("qdb wire: the decoder reassembles messages fed one byte at a time") {
  byte_vector stream;
  REQUIRE(encode(qdb_message{qdb_type::resp_read, "/qubes-ip", "10.137.0.2"}, stream));
  REQUIRE(encode(qdb_message{qdb_type::resp_watch, "/qubes-firewall/10.137.0.5", {}}, stream));
  REQUIRE(encode(qdb_message{qdb_type::resp_multiread, {}, {}}, stream));
  qdb_decoder d{qdb_decoder::from::daemon};
  std::vector<qdb_message> got;
  for (std::uint8_t b : stream) {
    auto s = d.feed(aw::proto::bytes{&b, 1});
    CHECK(s.consumed == 1);
    REQUIRE_FALSE(s.error);
    if (s.message) got.push_back(*s.message);
  }
  REQUIRE(got.size() == 3);
  CHECK(got[0] == qdb_message{qdb_type::resp_read, "/qubes-ip", "10.137.0.2"});
  CHECK(got[1] == qdb_message{qdb_type::resp_watch, "/qubes-firewall/10.137.0.5", {}});
  CHECK(got[2] == qdb_message{qdb_type::resp_multiread, {}, {}});
  CHECK_FALSE(d.mid_message());
}

TEST_CASE("qdb wire: the decoder stops at the end of each message") {
  byte_vector stream;
  REQUIRE(encode(qdb_message{qdb_type::resp_ok, "/a", {}}, stream));
  REQUIRE(encode(qdb_message{qdb_type::resp_ok, "/b", {}}, stream));
  qdb_decoder d{qdb_decoder::from::daemon};
  auto s = d.feed(stream);
  CHECK(s.consumed == 72);
  REQUIRE(s.message);
  CHECK(s.message->path == "/a");
}

TEST_CASE("qdb wire: rejects an unknown message type") {
  qdb_decoder d{qdb_decoder::from::daemon};
  std::vector<qdb_message> got;
  auto s = feed_all(d, raw_header(42, "/qubes-ip", 0), got);
  CHECK(s.error == qdb_error::unknown_type);
  CHECK(d.failed());
  CHECK(d.feed(raw_header(7, "/a", 0)).error == qdb_error::unknown_type);  // stays failed
  d.reset();
  CHECK(d.feed(raw_header(7, "/a", 0)).message.has_value());
}

TEST_CASE("qdb wire: rejects a request type from the daemon and a reply type from a client") {
  qdb_decoder from_daemon{qdb_decoder::from::daemon};
  std::vector<qdb_message> got;
  CHECK(feed_all(from_daemon, raw_header(0, "/qubes-ip", 0), got).error == qdb_error::unexpected_type);
  qdb_decoder from_client{qdb_decoder::from::client};
  CHECK(feed_all(from_client, raw_header(13, "/qubes-ip", 0), got).error == qdb_error::unexpected_type);
  CHECK(got.empty());
}

TEST_CASE("qdb wire: rejects a path without a NUL in its 64 bytes") {
  qdb_decoder d{qdb_decoder::from::daemon};
  std::vector<qdb_message> got;
  CHECK(feed_all(d, raw_header(10, "/" + std::string(63, 'a'), 0), got).error == qdb_error::path_not_terminated);
}

TEST_CASE("qdb wire: rejects a path with characters QubesDB never stores") {
  qdb_decoder d{qdb_decoder::from::daemon};
  std::vector<qdb_message> got;
  CHECK(feed_all(d, raw_header(10, "/qubes ip", 0), got).error == qdb_error::bad_path);
  d.reset();
  CHECK(feed_all(d, raw_header(10, "qubes-ip", 0), got).error == qdb_error::bad_path);
  d.reset();
  CHECK(feed_all(d, raw_header(10, std::string{"/\xff"}, 0), got).error == qdb_error::bad_path);
}

TEST_CASE("qdb wire: rejects data_len over 3072 before reading any data") {
  qdb_decoder d{qdb_decoder::from::daemon};
  auto s = d.feed(raw_header(10, "/qubes-ip", 3073));
  CHECK(s.consumed == 72);
  CHECK(s.error == qdb_error::data_too_long);
  qdb_decoder huge{qdb_decoder::from::daemon};
  CHECK(huge.feed(raw_header(10, "/qubes-ip", 0xffffffffu)).error == qdb_error::data_too_long);
  qdb_decoder max{qdb_decoder::from::daemon};
  byte_vector ok = raw_header(10, "/qubes-ip", 3072);
  ok.resize(72 + 3072, 'v');
  auto m = max.feed(ok);
  REQUIRE(m.message);
  CHECK(m.message->data.size() == 3072);
}

TEST_CASE("qdb wire: error names are stable") {
  CHECK(to_string(qdb_error::data_too_long) == "qdb_data_too_long");
  CHECK(to_string(qdb_type::resp_watch) == "RESP_WATCH");
}
