// protocol/dns.hpp — DNS messages (RFC 1035) for the resolver: A/AAAA queries out, checked responses in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/result.hpp"

#include "protocol/named_enum.hpp"

namespace aw::proto::dns {

// X(enumerator, counter name): the name is stable; counters and logs use it.
#define AW_DNS_ERRORS(X)                                          \
  X(truncated, "dns_truncated")                                   \
  X(bad_name, "dns_bad_name")                                     \
  X(label_too_long, "dns_label_too_long")                         \
  X(name_too_long, "dns_name_too_long")                           \
  X(forward_pointer, "dns_forward_pointer")                       \
  X(pointer_loop, "dns_pointer_loop")                             \
  X(not_a_response, "dns_not_a_response")                         \
  X(unexpected_opcode, "dns_unexpected_opcode")                   \
  X(id_mismatch, "dns_id_mismatch")                               \
  X(question_mismatch, "dns_question_mismatch")                   \
  X(bad_rdata_length, "dns_bad_rdata_length")                     \
  X(cname_chain_too_long, "dns_cname_chain_too_long")             \
  X(unsupported_type, "dns_unsupported_type")                     \
  X(trailing_data, "dns_trailing_data")

AW_NAMED_ENUM(dns_error, AW_DNS_ERRORS)

namespace field {
constexpr std::size_t id = 0, flags = 2, qdcount = 4, ancount = 6, nscount = 8, arcount = 10;
constexpr std::size_t header_len = 12;
}  // namespace field

// Record types this codec knows; other values pass through as numbers.
enum class record_type : std::uint16_t { a = 1, ns = 2, cname = 5, soa = 6, ptr = 12, mx = 15, txt = 16, aaaa = 28 };
constexpr std::uint16_t class_in = 1;

// Response codes (RFC 1035 4.1.1); other values are kept as numbers.
enum class rcode : std::uint8_t {
  no_error = 0, format_error = 1, server_failure = 2, name_error = 3 /* NXDOMAIN */, not_implemented = 4,
  refused = 5,
};

constexpr std::size_t max_name_text = 253;  // "a.b.c" without the trailing dot
constexpr std::size_t max_name_wire = 255;  // length octets + labels + root
constexpr std::size_t max_label = 63;
constexpr int max_pointer_hops = 32;        // compression pointers followed within one name
constexpr int max_cname_chain = 8;          // CNAME hops followed from the question name

// A host name as a rule's `dsthost`: labels 1-63 chars of [a-z0-9-_], at most
// 253 chars in all, one optional trailing dot. Returns the lower-case form
// without the trailing dot; bad_name / label_too_long / name_too_long otherwise.
result<std::string, dns_error> normalize_name(std::string_view text);

struct header {
  std::uint16_t id = 0;
  bool qr = false;            // response
  std::uint8_t opcode = 0;    // 0 = QUERY
  bool aa = false, tc = false, rd = false, ra = false;
  std::uint8_t rcode = 0;     // compare with dns::rcode
  std::uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;

  // Checks: truncated (< 12 bytes).
  static result<header, dns_error> parse(bytes message) noexcept;
  void emit(mutable_bytes message) const noexcept;  // precondition: message.size() >= 12
  friend bool operator==(const header&, const header&) = default;
};

// One question, type A or AAAA, class IN, RD set: what the resolver sends.
struct query {
  std::uint16_t id = 0;
  std::string name;  // normalized (lower case, no trailing dot)
  record_type type = record_type::a;

  // Validates the name (normalize_name) and the type (A or AAAA only: unsupported_type).
  static result<query, dns_error> make(std::uint16_t id, std::string_view name, record_type type);
  // Parses a message holding exactly one question (as a server sees a query):
  // QR clear, opcode 0, qdcount 1, no other records, class IN, type A or AAAA,
  // name without compression and valid per normalize_name, nothing after the
  // question (trailing_data).
  static result<query, dns_error> parse(bytes message);

  [[nodiscard]] std::size_t buffer_len() const noexcept;
  // precondition: out.size() >= buffer_len(); writes exactly buffer_len() bytes.
  void emit(mutable_bytes out) const noexcept;
  [[nodiscard]] std::vector<std::uint8_t> to_bytes() const;
  friend bool operator==(const query&, const query&) = default;
};

struct address_answer {
  std::variant<ipv4_address, ipv6_address> address;
  std::uint32_t ttl = 0;  // the smallest TTL along the CNAME chain that led here
  friend bool operator==(const address_answer&, const address_answer&) = default;
};

struct response {
  header hdr;
  std::string canonical_name;             // the question name or the end of its CNAME chain (text form)
  std::vector<address_answer> addresses;  // of the asked type, for canonical_name, in message order
  [[nodiscard]] dns::rcode code() const noexcept { return static_cast<dns::rcode>(hdr.rcode); }
  // The IPv4 answers alone, and the smallest TTL of all answers (nullopt when none).
  [[nodiscard]] std::vector<ipv4_address> ipv4_addresses() const;
  [[nodiscard]] std::optional<std::uint32_t> min_ttl() const noexcept;
};

// Parses `message` as the answer to `asked`. Checks, in order: truncated,
// not_a_response (QR clear), unexpected_opcode, id_mismatch, question_mismatch
// (qdcount != 1 or another name/type/class), then each answer record: names
// with compression (pointers strictly backwards: forward_pointer; at most
// max_pointer_hops: pointer_loop; label_too_long for the reserved label types
// 0x40/0x80; name_too_long over 255 octets), bounds (truncated), A rdata of 4 /
// AAAA of 16 octets (bad_rdata_length). CNAMEs are followed from the question
// name (cname_chain_too_long past max_cname_chain hops, which also ends loops).
// Records for other names, classes or types are ignored; the authority and
// additional sections are not read. A non-zero rcode or the TC bit is not an
// error: they are in hdr for the caller to act on.
result<response, dns_error> parse_response(bytes message, const query& asked);

// Reads the (possibly compressed) name at `offset`: the uncompressed wire form
// with labels in lower case, and the offset just past the name in place.
struct wire_name {
  std::string labels;      // length-prefixed labels, lower case, ending with the root 0
  std::size_t end = 0;     // offset after the in-place part of the name
};
result<wire_name, dns_error> read_name(bytes message, std::size_t offset);
// "a.b" from length-prefixed labels; bytes outside [a-z0-9-_] as \DDD.
std::string name_to_text(std::string_view wire_labels);

}  // namespace aw::proto::dns
