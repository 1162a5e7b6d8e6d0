// tests/protocol/dns_test.cpp — DNS messages (RFC 1035): query emit, response parse, compression, malformed input.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <variant>

#include "protocol/dns.hpp"
#include "support/bytes.hpp"

using namespace aw::proto;
using namespace aw::proto::dns;
using aw::test::byte_vector;
using aw::test::concat;
using aw::test::hex;

namespace {

// The resolver's query for www.qubes-os.org A, id 0xbeef.
constexpr std::uint8_t www_query[] = {
    0xbe, 0xef,                                    // ID 0xbeef
    0x01, 0x00,                                    // flags: QR=0 opcode=0 RD=1
    0x00, 0x01,                                    // QDCOUNT 1
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,            // AN/NS/AR 0
    0x03, 'w', 'w', 'w',                           // @12 label "www"
    0x08, 'q', 'u', 'b', 'e', 's', '-', 'o', 's',  // @16 label "qubes-os"
    0x03, 'o', 'r', 'g',                           // @25 label "org"
    0x00,                                          // @29 root
    0x00, 0x01,                                    // QTYPE A
    0x00, 0x01,                                    // QCLASS IN
};

// A recursive resolver's answer to www_query, with compressed names:
//   www.qubes-os.org    CNAME qubes-os.github.io  TTL 3600
//   qubes-os.github.io  CNAME cdn.github.io       TTL 300
//   cdn.github.io       A 185.199.108.153         TTL 60
//   cdn.github.io       A 185.199.109.153         TTL 3600
//   github.io           A 140.82.121.4            TTL 60   (not on the chain: ignored)
constexpr std::uint8_t www_response[] = {
    0xbe, 0xef,                                    // ID 0xbeef
    0x81, 0x80,                                    // flags: QR=1 opcode=0 AA=0 TC=0 RD=1 RA=1 rcode=0
    0x00, 0x01,                                    // QDCOUNT 1
    0x00, 0x05,                                    // ANCOUNT 5
    0x00, 0x00,                                    // NSCOUNT 0
    0x00, 0x00,                                    // ARCOUNT 0
    // question
    0x03, 'w', 'w', 'w',                           // @12 "www"
    0x08, 'q', 'u', 'b', 'e', 's', '-', 'o', 's',  // @16 "qubes-os"
    0x03, 'o', 'r', 'g',                           // @25 "org"
    0x00,                                          // @29 root
    0x00, 0x01,                                    // @30 QTYPE A
    0x00, 0x01,                                    // @32 QCLASS IN
    // answer 1 @34
    0xc0, 0x0c,                                    // name: pointer to @12 (www.qubes-os.org)
    0x00, 0x05,                                    // TYPE CNAME
    0x00, 0x01,                                    // CLASS IN
    0x00, 0x00, 0x0e, 0x10,                        // TTL 3600
    0x00, 0x14,                                    // RDLENGTH 20
    0x08, 'q', 'u', 'b', 'e', 's', '-', 'o', 's',  // @46 "qubes-os"
    0x06, 'g', 'i', 't', 'h', 'u', 'b',            // @55 "github"
    0x02, 'i', 'o',                                // @62 "io"
    0x00,                                          // @65 root
    // answer 2 @66
    0xc0, 0x2e,                                    // name: pointer to @46 (qubes-os.github.io)
    0x00, 0x05,                                    // TYPE CNAME
    0x00, 0x01,                                    // CLASS IN
    0x00, 0x00, 0x01, 0x2c,                        // TTL 300
    0x00, 0x06,                                    // RDLENGTH 6
    0x03, 'c', 'd', 'n',                           // @78 "cdn"
    0xc0, 0x37,                                    // @82 pointer to @55 (github.io)
    // answer 3 @84
    0xc0, 0x4e,                                    // name: pointer to @78 (cdn.github.io)
    0x00, 0x01,                                    // TYPE A
    0x00, 0x01,                                    // CLASS IN
    0x00, 0x00, 0x00, 0x3c,                        // TTL 60
    0x00, 0x04,                                    // RDLENGTH 4
    185, 199, 108, 153,                            // @96 185.199.108.153
    // answer 4 @100
    0xc0, 0x4e,                                    // name: pointer to @78 (cdn.github.io)
    0x00, 0x01,                                    // TYPE A
    0x00, 0x01,                                    // CLASS IN
    0x00, 0x00, 0x0e, 0x10,                        // TTL 3600
    0x00, 0x04,                                    // RDLENGTH 4
    185, 199, 109, 153,                            // @112 185.199.109.153
    // answer 5 @116
    0xc0, 0x37,                                    // name: pointer to @55 (github.io)
    0x00, 0x01,                                    // TYPE A
    0x00, 0x01,                                    // CLASS IN
    0x00, 0x00, 0x00, 0x3c,                        // TTL 60
    0x00, 0x04,                                    // RDLENGTH 4
    140, 82, 121, 4,                               // @128 140.82.121.4
};

// The same question answered NXDOMAIN, with the zone's SOA in the authority section.
constexpr std::uint8_t nxdomain_response[] = {
    0xbe, 0xef,                                    // ID 0xbeef
    0x81, 0x83,                                    // flags: QR=1 RD=1 RA=1 rcode=3 (NXDOMAIN)
    0x00, 0x01,                                    // QDCOUNT 1
    0x00, 0x00,                                    // ANCOUNT 0
    0x00, 0x01,                                    // NSCOUNT 1
    0x00, 0x00,                                    // ARCOUNT 0
    0x03, 'w', 'w', 'w',                           // @12 "www"
    0x08, 'q', 'u', 'b', 'e', 's', '-', 'o', 's',  // @16 "qubes-os"
    0x03, 'o', 'r', 'g', 0x00,                     // @25 "org", root
    0x00, 0x01, 0x00, 0x01,                        // A IN
    0xc0, 0x10,                                    // authority: name qubes-os.org (pointer to @16)
    0x00, 0x06, 0x00, 0x01,                        // SOA IN
    0x00, 0x00, 0x03, 0x84,                        // TTL 900
    0x00, 0x1b,                                    // RDLENGTH 27
    0x02, 'n', 's', 0xc0, 0x10,                    // MNAME ns.qubes-os.org
    0xc0, 0x10,                                    // RNAME qubes-os.org
    0x78, 0x4a, 0x1c, 0x01,                        // SERIAL
    0x00, 0x00, 0x1c, 0x20,                        // REFRESH 7200
    0x00, 0x00, 0x0e, 0x10,                        // RETRY 3600
    0x00, 0x12, 0x75, 0x00,                        // EXPIRE 1209600
    0x00, 0x00, 0x03, 0x84,                        // MINIMUM 900
};

// SERVFAIL: the header and the question echoed, nothing else.
constexpr std::uint8_t servfail_response[] = {
    0xbe, 0xef,                                    // ID 0xbeef
    0x81, 0x82,                                    // flags: QR=1 RD=1 RA=1 rcode=2 (SERVFAIL)
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // QD 1, AN/NS/AR 0
    0x03, 'w', 'w', 'w',                           // @12 "www"
    0x08, 'q', 'u', 'b', 'e', 's', '-', 'o', 's',  // @16 "qubes-os"
    0x03, 'o', 'r', 'g', 0x00,                     // "org", root
    0x00, 0x01, 0x00, 0x01,                        // A IN
};

query www_a() { return *query::make(0xbeef, "www.qubes-os.org", record_type::a); }

byte_vector copy(bytes b) { return {b.begin(), b.end()}; }

// The header and question of www_response with ANCOUNT = n, followed by `answers`.
byte_vector response_with(std::uint16_t ancount, bytes answers) {
  byte_vector m(www_response, www_response + 34);
  store16(m.data() + field::ancount, ancount);
  m.insert(m.end(), answers.begin(), answers.end());
  return m;
}

}  // namespace

TEST_CASE("dns: a query for an A record is emitted byte for byte") {
  auto q = query::make(0xbeef, "www.qubes-os.org", record_type::a);
  REQUIRE(q.has_value());
  CHECK(q->buffer_len() == sizeof(www_query));
  CHECK(hex(q->to_bytes()) == hex(www_query));
}

TEST_CASE("dns: an AAAA query differs only in QTYPE 28") {
  auto q = query::make(0xbeef, "www.qubes-os.org", record_type::aaaa);
  REQUIRE(q.has_value());
  byte_vector expected = copy(www_query);
  expected[31] = 28;
  CHECK(hex(q->to_bytes()) == hex(expected));
}

TEST_CASE("dns: query names are lower-cased and lose one trailing dot") {
  auto q = query::make(1, "WWW.Qubes-OS.org.", record_type::a);
  REQUIRE(q.has_value());
  CHECK(q->name == "www.qubes-os.org");
  CHECK(normalize_name("_dmarc.example.com").has_value());
}

TEST_CASE("dns: query names are validated (RFC 1035 2.3.4 sizes, [a-z0-9-_])") {
  CHECK(normalize_name("").error() == dns_error::bad_name);
  CHECK(normalize_name(".").error() == dns_error::bad_name);
  CHECK(normalize_name("a..b").error() == dns_error::bad_name);
  CHECK(normalize_name(".a").error() == dns_error::bad_name);
  CHECK(normalize_name("a.b..").error() == dns_error::bad_name);
  CHECK(normalize_name("exa mple.com").error() == dns_error::bad_name);
  CHECK(normalize_name("ex*ample.com").error() == dns_error::bad_name);
  CHECK(normalize_name("caf\xc3\xa9.fr").error() == dns_error::bad_name);
  CHECK(normalize_name(std::string(63, 'a') + ".com").has_value());
  CHECK(normalize_name(std::string(64, 'a') + ".com").error() == dns_error::label_too_long);
  std::string longest;  // 3 labels of 63 and one of 61: 3 * 64 + 61 = 253 characters
  for (int i = 0; i < 3; ++i) longest += std::string(63, 'a') + ".";
  longest += std::string(61, 'b');
  CHECK(longest.size() == 253);
  CHECK(normalize_name(longest).has_value());
  CHECK(normalize_name(longest + "b").error() == dns_error::name_too_long);
  CHECK(query::make(1, "example.com", record_type::mx).error() == dns_error::unsupported_type);
}

TEST_CASE("dns: a query parses back to itself") {
  auto q = query::parse(www_query);
  REQUIRE(q.has_value());
  CHECK(*q == www_a());
  auto with_answer = copy(www_query);
  with_answer[field::ancount + 1] = 1;
  CHECK(query::parse(with_answer).error() == dns_error::question_mismatch);
  auto trailing = copy(www_query);
  trailing.push_back(0);
  CHECK(query::parse(trailing).error() == dns_error::trailing_data);
}

TEST_CASE("dns: response header fields are decoded") {
  auto h = header::parse(www_response);
  REQUIRE(h.has_value());
  CHECK(h->id == 0xbeef);
  CHECK(h->qr);
  CHECK(h->opcode == 0);
  CHECK_FALSE(h->aa);
  CHECK_FALSE(h->tc);
  CHECK(h->rd);
  CHECK(h->ra);
  CHECK(h->rcode == 0);
  CHECK(h->qdcount == 1);
  CHECK(h->ancount == 5);
  CHECK(h->nscount == 0);
  CHECK(h->arcount == 0);
  byte_vector out(12);
  h->emit(out);
  CHECK(hex(out) == hex(bytes{www_response}.first(12)));
}

TEST_CASE("dns: a response follows the CNAME chain through compressed names") {
  auto r = parse_response(www_response, www_a());
  REQUIRE(r.has_value());
  CHECK(r->code() == rcode::no_error);
  CHECK(r->canonical_name == "cdn.github.io");
  REQUIRE(r->addresses.size() == 2);
  CHECK(std::get<ipv4_address>(r->addresses[0].address) == ipv4_address::from_octets(185, 199, 108, 153));
  CHECK(r->addresses[0].ttl == 60);   // its own TTL is the smallest
  CHECK(std::get<ipv4_address>(r->addresses[1].address) == ipv4_address::from_octets(185, 199, 109, 153));
  CHECK(r->addresses[1].ttl == 300);  // limited by the second CNAME
}

TEST_CASE("dns: a response gives its IPv4 addresses and smallest TTL for the host table") {
  auto r = parse_response(www_response, www_a());
  REQUIRE(r.has_value());
  CHECK(r->ipv4_addresses() == std::vector<ipv4_address>{ipv4_address::from_octets(185, 199, 108, 153),
                                                         ipv4_address::from_octets(185, 199, 109, 153)});
  CHECK(r->min_ttl() == 60u);
  auto empty = parse_response(servfail_response, www_a());
  CHECK_FALSE(empty->min_ttl().has_value());
}

TEST_CASE("dns: an answer without CNAME gives the question name's records") {
  const std::uint8_t answer[] = {
      0xc0, 0x0c,              // name: pointer to the question name
      0x00, 0x01, 0x00, 0x01,  // A IN
      0x00, 0x00, 0x00, 0x1e,  // TTL 30
      0x00, 0x04,              // RDLENGTH 4
      192, 0, 2, 7,            // 192.0.2.7
  };
  auto r = parse_response(response_with(1, answer), www_a());
  REQUIRE(r.has_value());
  CHECK(r->canonical_name == "www.qubes-os.org");
  REQUIRE(r->addresses.size() == 1);
  CHECK(r->addresses[0] == address_answer{ipv4_address::from_octets(192, 0, 2, 7), 30});
}

TEST_CASE("dns: AAAA answers carry IPv6 addresses") {
  const std::uint8_t answer[] = {
      0xc0, 0x0c,              // name: pointer to the question name
      0x00, 0x1c, 0x00, 0x01,  // AAAA IN
      0x00, 0x00, 0x00, 0x78,  // TTL 120
      0x00, 0x10,              // RDLENGTH 16
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,  // 2001:db8::1
  };
  auto m = response_with(1, answer);
  m[31] = 28;  // the question asked AAAA
  auto q = *query::make(0xbeef, "www.qubes-os.org", record_type::aaaa);
  auto r = parse_response(m, q);
  REQUIRE(r.has_value());
  REQUIRE(r->addresses.size() == 1);
  CHECK(std::get<ipv6_address>(r->addresses[0].address) == *ipv6_address::parse("2001:db8::1"));
  CHECK(r->addresses[0].ttl == 120);
}

TEST_CASE("dns: records of another class or type are ignored") {
  const std::uint8_t answers[] = {
      0xc0, 0x0c, 0x00, 0x01, 0x00, 0x03,  // A CH (chaos class)
      0x00, 0x00, 0x00, 0x1e, 0x00, 0x04, 1, 2, 3, 4,
      0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01,  // TXT IN
      0x00, 0x00, 0x00, 0x1e, 0x00, 0x03, 2, 'h', 'i',
  };
  auto r = parse_response(response_with(2, answers), www_a());
  REQUIRE(r.has_value());
  CHECK(r->addresses.empty());
}

TEST_CASE("dns: NXDOMAIN parses with rcode 3 and no addresses") {
  auto r = parse_response(nxdomain_response, www_a());
  REQUIRE(r.has_value());
  CHECK(r->code() == rcode::name_error);
  CHECK(r->addresses.empty());
}

TEST_CASE("dns: SERVFAIL parses with rcode 2 and no addresses") {
  auto r = parse_response(servfail_response, www_a());
  REQUIRE(r.has_value());
  CHECK(r->code() == rcode::server_failure);
  CHECK(r->addresses.empty());
}

TEST_CASE("dns: the TC bit is reported, not refused") {
  auto m = copy(www_response);
  m[2] |= 0x02;  // TC
  auto r = parse_response(m, www_a());
  REQUIRE(r.has_value());
  CHECK(r->hdr.tc);
}

TEST_CASE("dns: every truncation of a response is refused as truncated") {
  for (std::size_t n = 0; n < sizeof(www_response); ++n) {
    CAPTURE(n);
    auto r = parse_response(bytes{www_response}.first(n), www_a());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == dns_error::truncated);
  }
}

TEST_CASE("dns: rejects a query (QR clear) as a response") {
  CHECK(parse_response(www_query, www_a()).error() == dns_error::not_a_response);
}

TEST_CASE("dns: rejects an opcode other than QUERY") {
  auto m = copy(www_response);
  m[2] |= 0x10;  // opcode 2 (STATUS)
  CHECK(parse_response(m, www_a()).error() == dns_error::unexpected_opcode);
}

TEST_CASE("dns: rejects a response with another id") {
  auto q = *query::make(0xbeee, "www.qubes-os.org", record_type::a);
  CHECK(parse_response(www_response, q).error() == dns_error::id_mismatch);
}

TEST_CASE("dns: rejects a response to another question") {
  auto other_name = *query::make(0xbeef, "www.qubes-os.com", record_type::a);
  CHECK(parse_response(www_response, other_name).error() == dns_error::question_mismatch);
  auto other_type = *query::make(0xbeef, "www.qubes-os.org", record_type::aaaa);
  CHECK(parse_response(www_response, other_type).error() == dns_error::question_mismatch);
  auto no_question = copy(www_response);
  no_question[field::qdcount + 1] = 0;
  CHECK(parse_response(no_question, www_a()).error() == dns_error::question_mismatch);
  auto other_class = copy(www_response);
  other_class[33] = 3;  // QCLASS CH
  CHECK(parse_response(other_class, www_a()).error() == dns_error::question_mismatch);
}

TEST_CASE("dns: the question name matches case-insensitively (0x20 randomisation)") {
  auto m = copy(www_response);
  m[13] = 'W';
  m[17] = 'Q';
  REQUIRE(parse_response(m, www_a()).has_value());
}

TEST_CASE("dns: rejects a compression pointer to itself") {
  const std::uint8_t answer[] = {
      0xc0, 0x22,              // @34 name: pointer to @34 (itself)
      0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x04, 1, 2, 3, 4,
  };
  CHECK(parse_response(response_with(1, answer), www_a()).error() == dns_error::forward_pointer);
}

TEST_CASE("dns: rejects a forward compression pointer") {
  const std::uint8_t answer[] = {
      0xc0, 0x24,              // @34 name: pointer to @36 (after itself)
      0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x04, 1, 2, 3, 4,
  };
  CHECK(parse_response(response_with(1, answer), www_a()).error() == dns_error::forward_pointer);
}

TEST_CASE("dns: rejects a pointer loop between two names") {
  // The CNAME target @46 points at the owner name @34, which points forward to @46.
  const std::uint8_t answer[] = {
      0xc0, 0x2e,              // @34 name: pointer to @46 (forward)
      0x00, 0x05, 0x00, 0x01,  // CNAME IN
      0x00, 0x00, 0x00, 0x1e,  // TTL 30
      0x00, 0x02,              // RDLENGTH 2
      0xc0, 0x22,              // @46 pointer to @34
  };
  CHECK(parse_response(response_with(1, answer), www_a()).error() == dns_error::forward_pointer);
}

TEST_CASE("dns: rejects a name through more than 32 pointers") {
  // A TXT record's rdata holds a root label and 40 pointers, each to the one
  // before it; the next record's name points at the last one: 41 backward hops.
  byte_vector txt{0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0, 0, 0, 1};  // @34 TXT IN TTL 1
  byte_vector chain{0x00};                                           // @46 root
  for (std::size_t i = 0; i < 40; ++i) {
    std::size_t target = i == 0 ? 46 : 47 + 2 * (i - 1);
    chain.push_back(static_cast<std::uint8_t>(0xc0 | (target >> 8)));
    chain.push_back(static_cast<std::uint8_t>(target));
  }
  txt.push_back(0);
  txt.push_back(static_cast<std::uint8_t>(chain.size()));
  std::size_t last = 46 + chain.size() - 2;  // the offset of the 40th pointer
  byte_vector second{static_cast<std::uint8_t>(0xc0 | (last >> 8)), static_cast<std::uint8_t>(last),
                     0x00, 0x01, 0x00, 0x01, 0, 0, 0, 1, 0x00, 0x04, 1, 2, 3, 4};
  byte_vector m = response_with(2, concat({txt, chain, second}));
  CHECK(parse_response(m, www_a()).error() == dns_error::pointer_loop);

  // 32 hops are fine: the record's own pointer to the 31st pointer of the chain.
  std::size_t ok = 46 + 1 + 2 * 30;
  byte_vector second_ok{static_cast<std::uint8_t>(0xc0 | (ok >> 8)), static_cast<std::uint8_t>(ok),
                        0x00, 0x01, 0x00, 0x01, 0, 0, 0, 1, 0x00, 0x04, 1, 2, 3, 4};
  CHECK(parse_response(response_with(2, concat({txt, chain, second_ok})), www_a()).has_value());
}

TEST_CASE("dns: rejects the reserved label types 0x40 and 0x80 as labels too long") {
  const std::uint8_t answer[] = {
      0x40, 'x',               // @34 label length 64
      0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x04, 1, 2, 3, 4,
  };
  CHECK(parse_response(response_with(1, answer), www_a()).error() == dns_error::label_too_long);
  auto m = response_with(1, answer);
  m[34] = 0x80;
  CHECK(parse_response(m, www_a()).error() == dns_error::label_too_long);
}

TEST_CASE("dns: rejects a name longer than 255 octets") {
  byte_vector answer;
  for (int i = 0; i < 5; ++i) {  // 5 labels of 63: 320 octets
    answer.push_back(63);
    answer.insert(answer.end(), 63, 'a');
  }
  answer.push_back(0);
  const std::uint8_t rest[] = {0x00, 0x01, 0x00, 0x01, 0, 0, 0, 1, 0x00, 0x04, 1, 2, 3, 4};
  CHECK(parse_response(response_with(1, concat({answer, rest})), www_a()).error() == dns_error::name_too_long);
}

TEST_CASE("dns: rejects an A record whose rdata is not 4 octets") {
  const std::uint8_t answer[] = {
      0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e,
      0x00, 0x05,              // RDLENGTH 5
      1, 2, 3, 4, 5,
  };
  CHECK(parse_response(response_with(1, answer), www_a()).error() == dns_error::bad_rdata_length);
}

TEST_CASE("dns: rejects a CNAME whose name runs past its rdata") {
  const std::uint8_t answer[] = {
      0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e,
      0x00, 0x02,              // RDLENGTH 2, but the name takes 3
      0x01, 'x', 0x00,
  };
  auto m = response_with(1, answer);
  CHECK(parse_response(m, www_a()).error() == dns_error::bad_rdata_length);
}

TEST_CASE("dns: a CNAME loop ends as a chain too long") {
  // www.qubes-os.org CNAME a.org ; a.org CNAME www.qubes-os.org
  const std::uint8_t answers[] = {
      0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 30, 0x00, 0x04,  // @34 CNAME, RDLENGTH 4
      0x01, 'a', 0xc0, 0x19,                                          // @46 "a" + pointer to @25 ("org")
      0xc0, 0x2e, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 30, 0x00, 0x02,  // @50 a.org CNAME, RDLENGTH 2
      0xc0, 0x0c,                                                     // @62 pointer to @12
  };
  CHECK(parse_response(response_with(2, answers), www_a()).error() == dns_error::cname_chain_too_long);
}

TEST_CASE("dns: error names are stable") {
  CHECK(to_string(dns_error::pointer_loop) == "dns_pointer_loop");
  CHECK(to_string(dns_error::truncated) == "dns_truncated");
  CHECK(dns_error_count == 14);
}
