// fuzz/dns_fuzzer.cpp — arbitrary bytes as a DNS response to a fixed query, as a
// query, and as a name to build a query from: bounds, loops and round trips.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/dns.hpp"

namespace {
using namespace aw::proto;
using namespace aw::proto::dns;

void require(bool ok) {
  if (!ok) std::abort();
}

// The question every seed answers: www.qubes-os.org, id 0xbeef.
void as_response(bytes in, record_type type) {
  static const query asked_a = *query::make(0xbeef, "www.qubes-os.org", record_type::a);
  static const query asked_aaaa = *query::make(0xbeef, "www.qubes-os.org", record_type::aaaa);
  const query& asked = type == record_type::a ? asked_a : asked_aaaa;
  auto r = parse_response(in, asked);
  if (!r) return;
  require(r->hdr.qr && r->hdr.id == 0xbeef && r->hdr.qdcount == 1);
  require(r->addresses.size() <= r->hdr.ancount);
  for (const auto& a : r->addresses) {
    require(std::holds_alternative<ipv4_address>(a.address) == (type == record_type::a));
  }
}

// A parsed query re-emits to bytes that parse to the same query.
void as_query(bytes in) {
  auto q = query::parse(in);
  if (!q) return;
  auto again = query::parse(q->to_bytes());
  require(again && *again == *q);
  require(q->to_bytes().size() == q->buffer_len());
}

// Bytes as a host name: a valid name makes a query that parses back to itself.
void as_name(bytes in) {
  std::string_view name{reinterpret_cast<const char*>(in.data()), in.size()};
  std::uint16_t id = in.size() >= 2 ? load16(in.data()) : 0;
  auto q = query::make(id, name, in.size() % 2 ? record_type::aaaa : record_type::a);
  if (!q) return;
  require(q->name.size() <= max_name_text);
  auto bytes_out = q->to_bytes();
  auto back = query::parse(bytes_out);
  require(back && *back == *q);
  auto n = read_name(bytes_out, field::header_len);
  require(n && name_to_text(n->labels) == q->name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bytes in{data, size};
  as_response(in, record_type::a);
  as_response(in, record_type::aaaa);
  as_query(in);
  as_name(in);
  if (auto h = header::parse(in)) {
    std::vector<std::uint8_t> out(field::header_len);
    h->emit(out);
    auto back = header::parse(out);
    require(back && *back == *h);
  }
  for (std::size_t off = 0; off < size && off < 64; ++off) (void)read_name(in, off);
  return 0;
}
