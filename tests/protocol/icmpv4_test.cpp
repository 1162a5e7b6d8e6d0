// tests/protocol/icmpv4_test.cpp — ICMPv4 (RFC 792): queries, errors with their quoted datagram,
// parse, emit, checksums, malformed input.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>

#include "protocol/icmpv4.hpp"
#include "support/bytes.hpp"

using namespace aw::proto;
using aw::test::byte_vector;
using aw::test::concat;
using aw::test::hex;

namespace {

constexpr ipv4_address client = ipv4_address::from_octets(10, 137, 0, 5);
constexpr ipv4_address far_host = ipv4_address::from_octets(192, 0, 2, 53);

// ping -p: echo request, id 0x1234, seq 1, 16 bytes of data.
constexpr std::uint8_t echo_request[] = {
    0x08,        // type 8: echo request
    0x00,        // code 0
    0xa2, 0x7f,  // checksum
    0x12, 0x34,  // identifier 0x1234
    0x00, 0x01,  // sequence number 1
    'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p',  // data
};

// The answer to echo_request.
constexpr std::uint8_t echo_reply[] = {
    0x00,        // type 0: echo reply
    0x00,        // code 0
    0xaa, 0x7f,  // checksum
    0x12, 0x34,  // identifier 0x1234
    0x00, 0x01,  // sequence number 1
    'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p',  // data
};

// What an ICMP error quotes of a UDP datagram 10.137.0.5:40000 -> 192.0.2.53:33434
// (40 bytes long): its IPv4 header and the first 8 bytes after it.
constexpr std::uint8_t quoted_udp[] = {
    0x45,                    // version 4, IHL 5 (20 bytes)
    0x00,                    // DSCP 0, ECN 0
    0x00, 0x28,              // total length 40 (more than is quoted)
    0x1c, 0x46,              // identification 0x1c46
    0x40, 0x00,              // flags DF, fragment offset 0
    0x39,                    // TTL 57
    0x11,                    // protocol 17: UDP
    0x58, 0xbc,              // header checksum
    0x0a, 0x89, 0x00, 0x05,  // source 10.137.0.5
    0xc0, 0x00, 0x02, 0x35,  // destination 192.0.2.53
    0x9c, 0x40,              // UDP source port 40000
    0x82, 0x9a,              // UDP destination port 33434
    0x00, 0x14,              // UDP length 20
    0x74, 0x82,              // UDP checksum
};

// Port unreachable from 192.0.2.53 for that datagram.
constexpr std::uint8_t port_unreachable[] = {
    0x03,                    // type 3: destination unreachable
    0x03,                    // code 3: port unreachable
    0x69, 0x8b,              // checksum
    0x00, 0x00, 0x00, 0x00,  // unused
    // quoted datagram: as quoted_udp
    0x45, 0x00, 0x00, 0x28, 0x1c, 0x46, 0x40, 0x00, 0x39, 0x11, 0x58, 0xbc,  // IPv4 header ...
    0x0a, 0x89, 0x00, 0x05, 0xc0, 0x00, 0x02, 0x35,                          // ... 10.137.0.5 -> 192.0.2.53
    0x9c, 0x40, 0x82, 0x9a, 0x00, 0x14, 0x74, 0x82,                          // UDP header
};

// ICMP error headers (type, code, checksum, rest) that precede quoted_udp.
constexpr std::uint8_t frag_needed_header[] = {
    0x03,        // type 3: destination unreachable
    0x04,        // code 4: fragmentation needed and DF set
    0x64, 0x12,  // checksum (over this header and quoted_udp)
    0x00, 0x00,  // unused
    0x05, 0x78,  // next-hop MTU 1400 (RFC 1191)
};
constexpr std::uint8_t source_quench_header[] = {
    0x04,                    // type 4: source quench
    0x00,                    // code 0
    0x68, 0x8e,              // checksum (over this header and quoted_udp)
    0x00, 0x00, 0x00, 0x00,  // unused
};
constexpr std::uint8_t redirect_header[] = {
    0x05,                    // type 5: redirect
    0x01,                    // code 1: redirect for the host
    0x5c, 0x06,              // checksum (over this header and quoted_udp)
    0x0a, 0x89, 0x00, 0xfe,  // gateway 10.137.0.254
};

// A traceroute probe that expired: time exceeded in transit, quoting TTL 1.
constexpr std::uint8_t ttl_exceeded[] = {
    0x0b,                    // type 11: time exceeded
    0x00,                    // code 0: TTL exceeded in transit
    0xb7, 0x01,              // checksum
    0x00, 0x00, 0x00, 0x00,  // unused
    // quoted datagram
    0x45,                    // version 4, IHL 5
    0x00,                    // DSCP 0, ECN 0
    0x00, 0x3c,              // total length 60
    0x5a, 0x5a,              // identification 0x5a5a
    0x00, 0x00,              // no flags, fragment offset 0
    0x01,                    // TTL 1
    0x11,                    // protocol 17: UDP
    0x92, 0x94,              // header checksum
    0x0a, 0x89, 0x00, 0x05,  // source 10.137.0.5
    0xc0, 0x00, 0x02, 0x35,  // destination 192.0.2.53
    0xab, 0xe0,              // UDP source port 44000
    0x82, 0x9b,              // UDP destination port 33435
    0x00, 0x28,              // UDP length 40
    0x0f, 0x5a,              // UDP checksum
};

// Parameter problem pointing at a record-route option with a bad length;
// the quoted header carries 4 option bytes (IHL 6).
constexpr std::uint8_t parameter_problem[] = {
    0x0c,                    // type 12: parameter problem
    0x00,                    // code 0: pointer indicates the error
    0xb5, 0xf6,              // checksum
    0x15,                    // pointer 21: the option's length octet
    0x00, 0x00, 0x00,        // unused
    // quoted datagram
    0x46,                    // version 4, IHL 6 (24 bytes)
    0x00,                    // DSCP 0, ECN 0
    0x00, 0x30,              // total length 48
    0x1c, 0x47,              // identification 0x1c47
    0x00, 0x00,              // no flags, fragment offset 0
    0x39,                    // TTL 57
    0x11,                    // protocol 17: UDP
    0x90, 0xb1,              // header checksum
    0x0a, 0x89, 0x00, 0x05,  // source 10.137.0.5
    0xc0, 0x00, 0x02, 0x35,  // destination 192.0.2.53
    0x07, 0x02,              // option record route (kind 7) with length 2: invalid
    0x00, 0x00,              // end of options, padding
    0x9c, 0x40,              // UDP source port 40000
    0x82, 0x9a,              // UDP destination port 33434
    0x00, 0x18,              // UDP length 24
    0x0a, 0x16,              // UDP checksum
};

// A timestamp request and its reply (milliseconds since midnight UT).
constexpr std::uint8_t timestamp_request[] = {
    0x0d,                    // type 13: timestamp
    0x00,                    // code 0
    0xa1, 0xe6,              // checksum
    0x04, 0xd2,              // identifier 1234
    0x00, 0x01,              // sequence number 1
    0x02, 0x36, 0x4a, 0x10,  // originate timestamp 37112336
    0x00, 0x00, 0x00, 0x00,  // receive timestamp 0
    0x00, 0x00, 0x00, 0x00,  // transmit timestamp 0
};
constexpr std::uint8_t timestamp_reply[] = {
    0x0e,                    // type 14: timestamp reply
    0x00,                    // code 0
    0x08, 0x1e,              // checksum
    0x04, 0xd2,              // identifier 1234
    0x00, 0x01,              // sequence number 1
    0x02, 0x36, 0x4a, 0x10,  // originate timestamp 37112336
    0x02, 0x36, 0x4a, 0x2e,  // receive timestamp 37112366
    0x02, 0x36, 0x4a, 0x2e,  // transmit timestamp 37112366
};

byte_vector copy(bytes b) { return {b.begin(), b.end()}; }

byte_vector emit(const icmpv4_repr& r) {
  byte_vector out(r.length(), 0xcc);  // 0xcc: any byte left unwritten shows up
  r.emit(out);
  return out;
}

wire_error make_error(bytes message) {
  auto v = icmpv4_view::make(message);
  REQUIRE_FALSE(v.has_value());
  return v.error();
}

}  // namespace

// --- queries ------------------------------------------------------------------

TEST_CASE("icmpv4: parses every field of an echo request") {
  auto v = icmpv4_view::make(echo_request);
  REQUIRE(v.has_value());
  CHECK(v->type() == icmp_type::echo_request);
  CHECK(v->code() == 0);
  CHECK(v->checksum() == 0xa27f);
  CHECK(v->rest_of_header() == 0x12340001u);
  CHECK(v->query_id() == 0x1234);
  CHECK(v->query_seq() == 1);
  CHECK(hex(v->data()) == "6162636465666768696a6b6c6d6e6f70");
  CHECK(v->raw().size() == 24);
  CHECK(v->verify_checksum());
  CHECK(is_query(v->type()));
  CHECK(is_query_request(v->type()));
  CHECK_FALSE(is_error(v->type()));
}

TEST_CASE("icmpv4: parses every field of an echo reply") {
  auto v = icmpv4_view::make(echo_reply);
  REQUIRE(v.has_value());
  CHECK(v->type() == icmp_type::echo_reply);
  CHECK(v->code() == 0);
  CHECK(v->checksum() == 0xaa7f);
  CHECK(v->query_id() == 0x1234);
  CHECK(v->query_seq() == 1);
  CHECK(v->data().size() == 16);
  CHECK(v->verify_checksum());
  CHECK(is_query(v->type()));
  CHECK_FALSE(is_query_request(v->type()));
}

TEST_CASE("icmpv4: an echo request with no data is 8 bytes and valid") {
  constexpr std::uint8_t bare[] = {
      0x08,        // type 8: echo request
      0x00,        // code 0
      0xe5, 0xca,  // checksum
      0x12, 0x34,  // identifier 0x1234
      0x00, 0x01,  // sequence number 1
  };
  auto v = icmpv4_view::make(bare);
  REQUIRE(v.has_value());
  CHECK(v->data().empty());
  CHECK(v->verify_checksum());
  CHECK(hex(emit(icmpv4_repr::echo(icmp_type::echo_request, 0x1234, 1, {}))) == hex(bare));
}

TEST_CASE("icmpv4: emits an echo request byte for byte") {
  auto r = icmpv4_repr::echo(icmp_type::echo_request, 0x1234, 1, bytes{echo_request}.subspan(8));
  CHECK(r.length() == 24);
  CHECK(hex(emit(r)) == hex(echo_request));
}

TEST_CASE("icmpv4: emits an echo reply byte for byte") {
  auto r = icmpv4_repr::echo(icmp_type::echo_reply, 0x1234, 1, bytes{echo_reply}.subspan(8));
  CHECK(hex(emit(r)) == hex(echo_reply));
}

TEST_CASE("icmpv4: checksums an odd-length message with an implicit zero pad byte") {
  constexpr std::uint8_t odd[] = {
      0x08,                     // type 8: echo request
      0x00,                     // code 0
      0xbc, 0x02,               // checksum
      0x12, 0x34,               // identifier 0x1234
      0x00, 0x02,               // sequence number 2
      'a', 'b', 'c', 'd', 'e',  // data: 5 bytes
  };
  auto v = icmpv4_view::make(odd);
  REQUIRE(v.has_value());
  CHECK(v->verify_checksum());
  auto r = icmpv4_repr::echo(icmp_type::echo_request, 0x1234, 2, bytes{odd}.subspan(8));
  CHECK(hex(emit(r)) == hex(odd));
}

TEST_CASE("icmpv4: the checksum fails after one data byte flips") {
  auto b = copy(echo_request);
  b[8] ^= 0x01;  // 'a' -> '`'
  auto v = icmpv4_view::make(b);
  REQUIRE(v.has_value());  // make() does not verify the checksum
  CHECK_FALSE(v->verify_checksum());
}

TEST_CASE("icmpv4: parse then emit reproduces an echo request") {
  auto v = icmpv4_view::make(echo_request);
  REQUIRE(v.has_value());
  auto r = icmpv4_repr::parse(*v);
  CHECK(r == icmpv4_repr::echo(icmp_type::echo_request, 0x1234, 1, bytes{echo_request}.subspan(8)));
  CHECK(hex(emit(r)) == hex(echo_request));
}

TEST_CASE("icmpv4: emit then parse gives back the repr") {
  constexpr std::uint8_t data[] = {0xde, 0xad, 0xbe, 0xef, 0x01};
  auto r = icmpv4_repr::echo(icmp_type::echo_reply, 0xffff, 0xfffe, data);
  auto out = emit(r);
  auto v = icmpv4_view::make(out);
  REQUIRE(v.has_value());
  CHECK(icmpv4_repr::parse(*v) == r);
  CHECK(v->verify_checksum());
}

TEST_CASE("icmpv4: emit over the parsed buffer turns a request into its reply in place") {
  auto b = copy(echo_request);
  auto v = icmpv4_view::make(b);
  REQUIRE(v.has_value());
  auto r = icmpv4_repr::parse(*v);  // r.data points into b
  r.type = icmp_type::echo_reply;
  r.emit(b);
  CHECK(hex(b) == hex(echo_reply));
}

TEST_CASE("icmpv4: parses a timestamp request of 20 bytes") {
  auto v = icmpv4_view::make(timestamp_request);
  REQUIRE(v.has_value());
  CHECK(v->type() == icmp_type::timestamp);
  CHECK(v->query_id() == 1234);
  CHECK(v->query_seq() == 1);
  CHECK(hex(v->data()) == "02364a100000000000000000");
  CHECK(v->verify_checksum());
  CHECK(is_query_request(v->type()));
  auto r = icmpv4_repr::parse(*v);
  CHECK(hex(emit(r)) == hex(timestamp_request));
}

TEST_CASE("icmpv4: parses a timestamp reply of 20 bytes") {
  auto v = icmpv4_view::make(timestamp_reply);
  REQUIRE(v.has_value());
  CHECK(v->type() == icmp_type::timestamp_reply);
  CHECK(v->query_id() == 1234);
  CHECK(v->query_seq() == 1);
  CHECK(hex(v->data()) == "02364a1002364a2e02364a2e");
  CHECK(v->verify_checksum());
  CHECK(is_query(v->type()));
  CHECK_FALSE(is_query_request(v->type()));
  auto r = icmpv4_repr::parse(*v);
  CHECK(hex(emit(r)) == hex(timestamp_reply));
}

// --- errors -------------------------------------------------------------------

TEST_CASE("icmpv4: parses a port unreachable and the datagram it quotes") {
  auto v = icmpv4_view::make(port_unreachable);
  REQUIRE(v.has_value());
  CHECK(v->type() == icmp_type::dest_unreachable);
  CHECK(v->code() == icmp_unreach::port);
  CHECK(v->checksum() == 0x698b);
  CHECK(v->rest_of_header() == 0u);
  CHECK(v->verify_checksum());
  CHECK(is_error(v->type()));
  CHECK_FALSE(is_query(v->type()));
  CHECK(hex(v->data()) == hex(quoted_udp));
  ipv4_view inner = v->embedded();
  CHECK(inner.version() == 4);
  CHECK(inner.header_length() == 20);
  CHECK(inner.total_length() == 40);
  CHECK(inner.identification() == 0x1c46);
  CHECK(inner.dont_fragment());
  CHECK(inner.ttl() == 57);
  CHECK(inner.protocol() == ip_protocol::udp);
  CHECK(inner.src() == client);
  CHECK(inner.dst() == far_host);
  CHECK(inner.verify_checksum());
  CHECK_FALSE(inner.complete());  // 28 of 40 bytes quoted
  CHECK(hex(inner.payload()) == "9c40829a00147482");
}

TEST_CASE("icmpv4: emits a port unreachable byte for byte") {
  icmpv4_repr r{icmp_type::dest_unreachable, icmp_unreach::port, 0, quoted_udp};
  CHECK(r.length() == 36);
  CHECK(hex(emit(r)) == hex(port_unreachable));
}

TEST_CASE("icmpv4: parse then emit reproduces an error message") {
  for (bytes message : {bytes{port_unreachable}, bytes{ttl_exceeded}, bytes{parameter_problem}}) {
    auto v = icmpv4_view::make(message);
    REQUIRE(v.has_value());
    CHECK(hex(emit(icmpv4_repr::parse(*v))) == hex(message));
  }
}

TEST_CASE("icmpv4: emit then parse gives back an error repr") {
  icmpv4_repr r{icmp_type::dest_unreachable, icmp_unreach::admin_prohibited, 0, quoted_udp};
  auto out = emit(r);
  auto v = icmpv4_view::make(out);
  REQUIRE(v.has_value());
  CHECK(icmpv4_repr::parse(*v) == r);
  CHECK(v->embedded().src() == client);
}

TEST_CASE("icmpv4: fragmentation needed carries the next-hop MTU (RFC 1191)") {
  auto b = concat({frag_needed_header, quoted_udp});
  auto v = icmpv4_view::make(b);
  REQUIRE(v.has_value());
  CHECK(v->type() == icmp_type::dest_unreachable);
  CHECK(v->code() == icmp_unreach::frag_needed);
  CHECK(v->next_hop_mtu() == 1400);
  CHECK(v->verify_checksum());
  CHECK(v->embedded().dont_fragment());
  icmpv4_repr r{icmp_type::dest_unreachable, icmp_unreach::frag_needed, 1400, quoted_udp};
  CHECK(hex(emit(r)) == hex(b));
}

TEST_CASE("icmpv4: parses a time exceeded quoting a TTL-1 probe") {
  auto v = icmpv4_view::make(ttl_exceeded);
  REQUIRE(v.has_value());
  CHECK(v->type() == icmp_type::time_exceeded);
  CHECK(v->code() == icmp_time_exceeded::ttl);
  CHECK(v->checksum() == 0xb701);
  CHECK(v->verify_checksum());
  CHECK(is_error(v->type()));
  ipv4_view inner = v->embedded();
  CHECK(inner.ttl() == 1);
  CHECK(inner.total_length() == 60);
  CHECK(inner.identification() == 0x5a5a);
  CHECK(inner.src() == client);
  CHECK(inner.dst() == far_host);
  CHECK(hex(inner.payload()) == "abe0829b00280f5a");
}

TEST_CASE("icmpv4: parses a parameter problem and its pointer") {
  auto v = icmpv4_view::make(parameter_problem);
  REQUIRE(v.has_value());
  CHECK(v->type() == icmp_type::parameter_problem);
  CHECK(v->code() == 0);
  CHECK(v->pointer() == 21);
  CHECK(v->rest_of_header() == 0x15000000u);
  CHECK(v->verify_checksum());
  ipv4_view inner = v->embedded();
  CHECK(inner.header_length() == 24);
  CHECK(hex(inner.options()) == "07020000");
  CHECK(inner.verify_checksum());
  CHECK(hex(inner.payload()) == "9c40829a00180a16");
}

TEST_CASE("icmpv4: parses a source quench") {
  auto b = concat({source_quench_header, quoted_udp});
  auto v = icmpv4_view::make(b);
  REQUIRE(v.has_value());
  CHECK(v->type() == icmp_type::source_quench);
  CHECK(v->code() == 0);
  CHECK(v->verify_checksum());
  CHECK(is_error(v->type()));
  CHECK(v->embedded().dst() == far_host);
}

TEST_CASE("icmpv4: parses a redirect and its gateway address") {
  auto b = concat({redirect_header, quoted_udp});
  auto v = icmpv4_view::make(b);
  REQUIRE(v.has_value());
  CHECK(v->type() == icmp_type::redirect);
  CHECK(v->code() == 1);
  CHECK(ipv4_address{v->rest_of_header()} == ipv4_address::from_octets(10, 137, 0, 254));
  CHECK(v->verify_checksum());
  CHECK(is_error(v->type()));
  icmpv4_repr r{icmp_type::redirect, 1, 0x0a8900fe, quoted_udp};
  CHECK(hex(emit(r)) == hex(b));
}

TEST_CASE("icmpv4: accepts a quoted header with a wrong checksum") {
  // The quoted header may have been altered on the way; make() does not check it.
  auto b = copy(port_unreachable);
  b[8 + 10] ^= 0xff;  // quoted header checksum
  auto v = icmpv4_view::make(b);
  REQUIRE(v.has_value());
  CHECK_FALSE(v->embedded().verify_checksum());
}

// --- unknown and named types ----------------------------------------------------

TEST_CASE("icmpv4: an unknown type decodes as unknown and keeps its value") {
  constexpr std::uint8_t router_solicitation[] = {
      0x0a,                    // type 10: router solicitation (RFC 1256; not named)
      0x00,                    // code 0
      0xf5, 0xff,              // checksum
      0x00, 0x00, 0x00, 0x00,  // reserved
  };
  auto v = icmpv4_view::make(router_solicitation);
  REQUIRE(v.has_value());
  CHECK(static_cast<std::uint8_t>(v->type()) == 10);
  CHECK(to_string(v->type()) == "unknown");
  CHECK_FALSE(is_error(v->type()));
  CHECK_FALSE(is_query(v->type()));
  CHECK(v->verify_checksum());
  CHECK(hex(emit(icmpv4_repr::parse(*v))) == hex(router_solicitation));
}

TEST_CASE("icmpv4: names the known types") {
  CHECK(to_string(icmp_type::echo_reply) == "echo-reply");
  CHECK(to_string(icmp_type::dest_unreachable) == "dest-unreachable");
  CHECK(to_string(icmp_type::source_quench) == "source-quench");
  CHECK(to_string(icmp_type::redirect) == "redirect");
  CHECK(to_string(icmp_type::echo_request) == "echo-request");
  CHECK(to_string(icmp_type::time_exceeded) == "time-exceeded");
  CHECK(to_string(icmp_type::parameter_problem) == "parameter-problem");
  CHECK(to_string(icmp_type::timestamp) == "timestamp");
  CHECK(to_string(icmp_type::timestamp_reply) == "timestamp-reply");
}

TEST_CASE("icmpv4: types 3, 4, 5, 11 and 12 are errors, 0, 8, 13 and 14 are queries") {
  for (auto t : {icmp_type::dest_unreachable, icmp_type::source_quench, icmp_type::redirect,
                 icmp_type::time_exceeded, icmp_type::parameter_problem}) {
    CHECK(is_error(t));
    CHECK_FALSE(is_query(t));
  }
  for (auto t : {icmp_type::echo_reply, icmp_type::echo_request, icmp_type::timestamp,
                 icmp_type::timestamp_reply}) {
    CHECK(is_query(t));
    CHECK_FALSE(is_error(t));
  }
}

// --- malformed input ------------------------------------------------------------

TEST_CASE("icmpv4: rejects a message shorter than 8 bytes as truncated") {
  CHECK(make_error(bytes{echo_request}.first(7)) == wire_error::truncated);
}

TEST_CASE("icmpv4: rejects an empty buffer as truncated") {
  CHECK(make_error(bytes{}) == wire_error::truncated);
}

TEST_CASE("icmpv4: rejects a timestamp request shorter than 20 bytes as truncated") {
  CHECK(make_error(bytes{timestamp_request}.first(19)) == wire_error::truncated);
}

TEST_CASE("icmpv4: rejects a timestamp reply shorter than 20 bytes as truncated") {
  CHECK(make_error(bytes{timestamp_reply}.first(19)) == wire_error::truncated);
}

TEST_CASE("icmpv4: rejects a destination unreachable quoting 7 bytes after the header") {
  CHECK(make_error(bytes{port_unreachable}.first(8 + 20 + 7)) == wire_error::bad_embedded_packet);
}

TEST_CASE("icmpv4: rejects a source quench quoting 7 bytes after the header") {
  auto b = concat({source_quench_header, bytes{quoted_udp}.first(20 + 7)});
  CHECK(make_error(b) == wire_error::bad_embedded_packet);
}

TEST_CASE("icmpv4: rejects a redirect quoting 7 bytes after the header") {
  auto b = concat({redirect_header, bytes{quoted_udp}.first(20 + 7)});
  CHECK(make_error(b) == wire_error::bad_embedded_packet);
}

TEST_CASE("icmpv4: rejects a time exceeded quoting 7 bytes after the header") {
  CHECK(make_error(bytes{ttl_exceeded}.first(8 + 20 + 7)) == wire_error::bad_embedded_packet);
}

TEST_CASE("icmpv4: rejects a parameter problem quoting 7 bytes after a header with options") {
  // IHL 6: the 8 bytes are counted after the 24-byte header, not after 20.
  CHECK(make_error(bytes{parameter_problem}.first(8 + 24 + 7)) == wire_error::bad_embedded_packet);
}

TEST_CASE("icmpv4: rejects an error that quotes nothing") {
  CHECK(make_error(bytes{port_unreachable}.first(8)) == wire_error::bad_embedded_packet);
}

TEST_CASE("icmpv4: rejects an error quoting less than a 20-byte IPv4 header") {
  CHECK(make_error(bytes{port_unreachable}.first(8 + 19)) == wire_error::bad_embedded_packet);
}

TEST_CASE("icmpv4: rejects an error quoting a header that is not IPv4") {
  auto b = copy(port_unreachable);
  b[8] = 0x65;  // quoted version 6, IHL 5
  CHECK(make_error(b) == wire_error::bad_embedded_packet);
}

TEST_CASE("icmpv4: rejects an error quoting a header with IHL below 5") {
  auto b = copy(port_unreachable);
  b[8] = 0x44;  // quoted version 4, IHL 4 (16 bytes)
  CHECK(make_error(b) == wire_error::bad_embedded_packet);
}

TEST_CASE("icmpv4: rejects an error quoting a header whose IHL runs past the message") {
  auto b = copy(port_unreachable);
  b[8] = 0x4f;  // quoted version 4, IHL 15 (60 bytes), 28 quoted
  CHECK(make_error(b) == wire_error::bad_embedded_packet);
}

TEST_CASE("icmpv4: rejects an error quoting a header with total length below its header length") {
  auto b = copy(port_unreachable);
  b[8 + 2] = 0x00;  // quoted total length 19
  b[8 + 3] = 0x13;
  CHECK(make_error(b) == wire_error::bad_embedded_packet);
}
