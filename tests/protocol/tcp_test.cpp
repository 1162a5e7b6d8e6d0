// tests/protocol/tcp_test.cpp — TCP segments (RFC 9293): parse, emit, options and MSS, checksums, malformed input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <iterator>

#include "protocol/tcp.hpp"
#include "support/bytes.hpp"

using namespace aw::proto;
using aw::test::byte_vector;
using aw::test::hex;

namespace {

constexpr ipv4_address client = ipv4_address::from_octets(10, 137, 0, 5);
constexpr ipv4_address server = ipv4_address::from_octets(192, 0, 2, 10);

// A Linux client's SYN, 10.137.0.5:45678 -> 192.0.2.10:443, with the usual options.
constexpr std::uint8_t syn[] = {
    0xb2, 0x6e,              // source port 45678
    0x01, 0xbb,              // destination port 443
    0x1f, 0x2e, 0x3d, 0x4c,  // sequence number 0x1f2e3d4c
    0x00, 0x00, 0x00, 0x00,  // acknowledgment number 0
    0xa0,                    // data offset 10 (40-byte header), reserved 0
    0x02,                    // flags: SYN
    0xfa, 0xf0,              // window 64240
    0x39, 0x7b,              // checksum (pseudo-header 10.137.0.5 -> 192.0.2.10, protocol 6, length 40)
    0x00, 0x00,              // urgent pointer 0
    0x02, 0x04, 0x05, 0xb4,  // option MSS (kind 2, length 4): 1460
    0x04, 0x02,              // option SACK permitted (kind 4, length 2)
    0x08, 0x0a,              // option timestamps (kind 8, length 10):
    0x0a, 0x1b, 0x2c, 0x3d,  //   TSval 0x0a1b2c3d
    0x00, 0x00, 0x00, 0x00,  //   TSecr 0
    0x01,                    // option NOP
    0x03, 0x03, 0x07,        // option window scale (kind 3, length 3): 7
};

// The client's request on the established connection.
constexpr std::uint8_t request[] = {
    0xb2, 0x6e,              // source port 45678
    0x01, 0xbb,              // destination port 443
    0x1f, 0x2e, 0x3d, 0x4d,  // sequence number 0x1f2e3d4d
    0x7a, 0x6b, 0x5c, 0x4e,  // acknowledgment number 0x7a6b5c4e
    0x50,                    // data offset 5 (20-byte header, no options), reserved 0
    0x18,                    // flags: PSH, ACK
    0x01, 0xf6,              // window 502
    0x1b, 0x2e,              // checksum (pseudo-header 10.137.0.5 -> 192.0.2.10, protocol 6, length 38)
    0x00, 0x00,              // urgent pointer 0
    'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '0',  // payload
    '\r', '\n', '\r', '\n',                                                  // ... 18 bytes
};
constexpr std::size_t request_payload_offset = 20;

// The fixed header of a SYN, for segments whose options are under test; the
// data offset is filled in by with_options() and the checksum is left zero.
constexpr std::uint8_t base_header[] = {
    0xb2, 0x6e,              // source port 45678
    0x01, 0xbb,              // destination port 443
    0x1f, 0x2e, 0x3d, 0x4c,  // sequence number 0x1f2e3d4c
    0x00, 0x00, 0x00, 0x00,  // acknowledgment number 0
    0x00,                    // data offset: set by with_options()
    0x02,                    // flags: SYN
    0xfa, 0xf0,              // window 64240
    0x00, 0x00,              // checksum: not under test
    0x00, 0x00,              // urgent pointer 0
};

// base_header followed by opts (a multiple of 4 bytes), data offset set to match.
byte_vector with_options(std::initializer_list<std::uint8_t> opts) {
  byte_vector b(std::begin(base_header), std::end(base_header));
  b.insert(b.end(), opts);
  b[tcp_field::offset] = static_cast<std::uint8_t>((b.size() / 4) << 4);
  return b;
}

tcp_view view_of(const byte_vector& b) {
  auto v = tcp_view::make(b);
  REQUIRE(v.has_value());
  return *v;
}

tcp_repr syn_repr() {
  tcp_repr r;
  r.src_port = 45678;
  r.dst_port = 443;
  r.seq = 0x1f2e3d4c;
  r.ack = 0;
  r.flags = tcp_flag::syn;
  r.window = 64240;
  r.urgent = 0;
  r.options_length = 20;
  constexpr std::uint8_t opts[] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x0a, 0x1b,
                                   0x2c, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};
  std::copy(std::begin(opts), std::end(opts), r.options.begin());
  return r;
}

byte_vector copy(bytes b) { return {b.begin(), b.end()}; }

}  // namespace

TEST_CASE("tcp: parses every field of a SYN with options") {
  auto v = tcp_view::make(syn);
  REQUIRE(v.has_value());
  CHECK(v->src_port() == 45678);
  CHECK(v->dst_port() == 443);
  CHECK(v->seq() == 0x1f2e3d4cu);
  CHECK(v->ack() == 0u);
  CHECK(v->header_length() == 40);
  CHECK(v->flags() == tcp_flag::syn);
  CHECK(v->has(tcp_flag::syn));
  CHECK_FALSE(v->has(tcp_flag::ack));
  CHECK_FALSE(v->has(tcp_flag::fin));
  CHECK_FALSE(v->has(tcp_flag::rst));
  CHECK(v->window() == 64240);
  CHECK(v->checksum() == 0x397b);
  CHECK(v->urgent() == 0);
  CHECK(hex(v->options()) == "020405b40402080a0a1b2c3d0000000001030307");
  CHECK(v->payload().empty());
  CHECK(v->raw().size() == 40);
  CHECK(v->mss() == std::uint16_t{1460});
  CHECK(v->options_well_formed());
}

TEST_CASE("tcp: parses every field of a data segment without options") {
  auto v = tcp_view::make(request);
  REQUIRE(v.has_value());
  CHECK(v->src_port() == 45678);
  CHECK(v->dst_port() == 443);
  CHECK(v->seq() == 0x1f2e3d4du);
  CHECK(v->ack() == 0x7a6b5c4eu);
  CHECK(v->header_length() == 20);
  CHECK(v->flags() == (tcp_flag::psh | tcp_flag::ack));
  CHECK(v->has(tcp_flag::psh));
  CHECK(v->has(tcp_flag::ack));
  CHECK_FALSE(v->has(tcp_flag::syn));
  CHECK(v->window() == 502);
  CHECK(v->checksum() == 0x1b2e);
  CHECK(v->urgent() == 0);
  CHECK(v->options().empty());
  CHECK(v->payload().size() == 18);
  CHECK(v->payload().data() == request + request_payload_offset);
  CHECK_FALSE(v->mss().has_value());
  CHECK(v->options_well_formed());
}

TEST_CASE("tcp: a correct checksum verifies") {
  auto s = tcp_view::make(syn);
  REQUIRE(s.has_value());
  CHECK(s->verify_checksum(client, server));
  auto r = tcp_view::make(request);
  REQUIRE(r.has_value());
  CHECK(r->verify_checksum(client, server));
}

TEST_CASE("tcp: the checksum fails after one payload byte flips") {
  auto b = copy(request);
  b[request_payload_offset] ^= 0x20;  // 'G' -> 'g'
  auto v = tcp_view::make(b);
  REQUIRE(v.has_value());
  CHECK_FALSE(v->verify_checksum(client, server));
}

TEST_CASE("tcp: the checksum fails against a different pseudo-header address") {
  auto v = tcp_view::make(request);
  REQUIRE(v.has_value());
  CHECK_FALSE(v->verify_checksum(ipv4_address::from_octets(10, 138, 0, 5), server));
  CHECK_FALSE(v->verify_checksum(client, ipv4_address::from_octets(192, 0, 2, 11)));
}

TEST_CASE("tcp: emits a SYN with options byte for byte") {
  byte_vector b(40, 0xcc);  // 0xcc: any byte left unwritten shows up
  tcp_repr r = syn_repr();
  CHECK(r.header_length() == 40);
  r.emit(b, client, server);
  CHECK(hex(b) == hex(syn));
}

TEST_CASE("tcp: emits a data segment's header and checksum over the payload in place") {
  auto b = copy(request);
  std::fill_n(b.begin(), 20, std::uint8_t{0xcc});
  tcp_repr r;
  r.src_port = 45678;
  r.dst_port = 443;
  r.seq = 0x1f2e3d4d;
  r.ack = 0x7a6b5c4e;
  r.flags = tcp_flag::psh | tcp_flag::ack;
  r.window = 502;
  r.emit(b, client, server);
  CHECK(hex(b) == hex(request));
}

TEST_CASE("tcp: parse then emit reproduces the segment") {
  for (bytes segment : {bytes{syn}, bytes{request}}) {
    auto v = tcp_view::make(segment);
    REQUIRE(v.has_value());
    auto r = tcp_repr::parse(*v);
    auto b = copy(segment);
    std::fill_n(b.begin(), v->header_length(), std::uint8_t{0xcc});
    r.emit(b, client, server);
    CHECK(hex(b) == hex(segment));
  }
}

TEST_CASE("tcp: emit then parse gives back the repr") {
  tcp_repr r = syn_repr();
  r.flags = tcp_flag::syn | tcp_flag::ack | tcp_flag::ece;
  r.ack = 0xfffffffe;
  r.urgent = 7;
  byte_vector b(r.header_length() + 3, 0x00);
  r.emit(b, server, client);
  auto v = tcp_view::make(b);
  REQUIRE(v.has_value());
  CHECK(tcp_repr::parse(*v) == r);
  CHECK(v->verify_checksum(server, client));
}

TEST_CASE("tcp: parse keeps the options verbatim") {
  auto v = tcp_view::make(syn);
  REQUIRE(v.has_value());
  CHECK(tcp_repr::parse(*v) == syn_repr());
}

TEST_CASE("tcp: set_mss replaces the options by one MSS option") {
  // The SYN after MSS clamping to 1360: header 24 bytes.
  constexpr std::uint8_t clamped[] = {
      0xb2, 0x6e,              // source port 45678
      0x01, 0xbb,              // destination port 443
      0x1f, 0x2e, 0x3d, 0x4c,  // sequence number 0x1f2e3d4c
      0x00, 0x00, 0x00, 0x00,  // acknowledgment number 0
      0x60,                    // data offset 6 (24-byte header)
      0x02,                    // flags: SYN
      0xfa, 0xf0,              // window 64240
      0xc0, 0x5d,              // checksum (pseudo-header 10.137.0.5 -> 192.0.2.10, protocol 6, length 24)
      0x00, 0x00,              // urgent pointer 0
      0x02, 0x04, 0x05, 0x50,  // option MSS (kind 2, length 4): 1360
  };
  tcp_repr r = syn_repr();
  r.set_mss(1360);
  CHECK(r.options_length == 4);
  CHECK(r.header_length() == 24);
  byte_vector b(24, 0xcc);
  r.emit(b, client, server);
  CHECK(hex(b) == hex(clamped));
  auto v = tcp_view::make(b);
  REQUIRE(v.has_value());
  CHECK(v->mss() == std::uint16_t{1360});
  CHECK(v->verify_checksum(client, server));
}

TEST_CASE("tcp: finds the MSS option after NOPs") {
  auto b = with_options({
      0x01,                    // NOP
      0x01,                    // NOP
      0x02, 0x04, 0x05, 0x78,  // MSS (kind 2, length 4): 1400
      0x01,                    // NOP
      0x00,                    // end of option list
  });
  auto v = view_of(b);
  CHECK(v.mss() == std::uint16_t{1400});
  CHECK(v.options_well_formed());
}

TEST_CASE("tcp: finds no MSS when the options hold none") {
  auto b = with_options({
      0x01,                    // NOP
      0x01,                    // NOP
      0x08, 0x0a,              // timestamps (kind 8, length 10):
      0x00, 0x00, 0x00, 0x01,  //   TSval 1
      0x00, 0x00, 0x00, 0x00,  //   TSecr 0
  });
  auto v = view_of(b);
  CHECK_FALSE(v.mss().has_value());
  CHECK(v.options_well_formed());
}

TEST_CASE("tcp: ignores whatever follows the end-of-option-list") {
  auto b = with_options({
      0x00,                    // end of option list
      0x02, 0x04, 0x05,        // not options: an MSS-looking tail cut short
  });
  auto v = view_of(b);
  CHECK_FALSE(v.mss().has_value());
  CHECK(v.options_well_formed());
}

TEST_CASE("tcp: ignores an MSS option whose length is not 4") {
  auto b = with_options({
      0x02, 0x03, 0x05,        // MSS (kind 2) with length 3: one value byte
      0x00,                    // end of option list
  });
  auto v = view_of(b);
  CHECK_FALSE(v.mss().has_value());
  CHECK(v.options_well_formed());
}

TEST_CASE("tcp: an option of length 0 makes the options malformed") {
  auto b = with_options({
      0x02, 0x04, 0x05, 0xb4,  // MSS (kind 2, length 4): 1460
      0x08, 0x00,              // timestamps (kind 8) with length 0
      0x00, 0x00,              //
  });
  auto v = view_of(b);
  CHECK_FALSE(v.options_well_formed());
  CHECK_FALSE(v.mss().has_value());  // not trusted, even though seen before the fault
}

TEST_CASE("tcp: an option of length 1 makes the options malformed") {
  auto b = with_options({
      0x01,                    // NOP
      0x02, 0x01,              // MSS (kind 2) with length 1: shorter than its own kind and length
      0x05,                    //
  });
  auto v = view_of(b);
  CHECK_FALSE(v.options_well_formed());
  CHECK_FALSE(v.mss().has_value());
}

TEST_CASE("tcp: an option running past the header makes the options malformed") {
  auto b = with_options({
      0x02, 0x04, 0x05, 0xb4,  // MSS (kind 2, length 4): 1460
      0x01,                    // NOP
      0x01,                    // NOP
      0x08, 0x0a,              // timestamps (kind 8) with length 10, but only 2 bytes remain
  });
  auto v = view_of(b);
  CHECK_FALSE(v.options_well_formed());
  CHECK_FALSE(v.mss().has_value());
}

TEST_CASE("tcp: an option kind without its length byte makes the options malformed") {
  auto b = with_options({
      0x01,                    // NOP
      0x01,                    // NOP
      0x01,                    // NOP
      0x02,                    // MSS kind as the last byte: no length follows
  });
  auto v = view_of(b);
  CHECK_FALSE(v.options_well_formed());
  CHECK_FALSE(v.mss().has_value());
}

TEST_CASE("tcp: payload bytes are not read as options") {
  // Data offset 5: the bytes after the header look like an MSS option but are payload.
  auto b = with_options({});
  b.insert(b.end(), {0x02, 0x04, 0x05, 0xb4});
  auto v = view_of(b);
  CHECK(v.options().empty());
  CHECK(v.payload().size() == 4);
  CHECK_FALSE(v.mss().has_value());
}

TEST_CASE("tcp: rejects a segment shorter than 20 bytes as truncated") {
  auto v = tcp_view::make(bytes{request}.first(19));
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::truncated);
}

TEST_CASE("tcp: rejects an empty buffer as truncated") {
  auto v = tcp_view::make(bytes{});
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::truncated);
}

TEST_CASE("tcp: rejects a data offset below 5") {
  auto b = copy(request);
  b[tcp_field::offset] = 0x40;  // data offset 4 (16 bytes): shorter than the fixed header
  auto v = tcp_view::make(b);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::bad_header_length);
}

TEST_CASE("tcp: rejects a data offset of 0") {
  auto b = copy(request);
  b[tcp_field::offset] = 0x00;  // data offset 0
  auto v = tcp_view::make(b);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::bad_header_length);
}

TEST_CASE("tcp: rejects a data offset beyond the buffer as truncated") {
  auto b = copy(syn);
  b[tcp_field::offset] = 0xb0;  // data offset 11 (44 bytes), but the segment has 40
  auto v = tcp_view::make(b);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::truncated);
}

TEST_CASE("tcp: rejects a SYN cut inside its options as truncated") {
  auto v = tcp_view::make(bytes{syn}.first(39));  // data offset 10 (40 bytes), 39 present
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::truncated);
}
