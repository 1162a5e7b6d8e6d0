// protocol/dns.cpp — DNS query emit and response parse, bounds-checked at every read.
#include "protocol/dns.hpp"

#include <algorithm>
#include <cstring>

namespace aw::proto::dns {
namespace {

constexpr std::uint16_t flag_qr = 0x8000, flag_aa = 0x0400, flag_tc = 0x0200, flag_rd = 0x0100, flag_ra = 0x0080;

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// "a.b" -> "\1a\1b\0"; the text is already normalized.
std::string text_to_wire(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  while (!text.empty()) {
    std::size_t dot = text.find('.');
    std::string_view label = text.substr(0, dot);
    out += static_cast<char>(label.size());
    out += label;
    text = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  }
  out += '\0';
  return out;
}

// Bounded reader over the message.
struct cursor {
  bytes m;
  std::size_t pos;
  [[nodiscard]] bool has(std::size_t n) const noexcept { return pos <= m.size() && m.size() - pos >= n; }
  std::uint16_t u16() noexcept {
    auto v = load16(m.data() + pos);
    pos += 2;
    return v;
  }
  std::uint32_t u32() noexcept {
    auto v = load32(m.data() + pos);
    pos += 4;
    return v;
  }
};

}  // namespace

result<std::string, dns_error> normalize_name(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty()) return dns_error::bad_name;
  if (text.size() > max_name_text) return dns_error::name_too_long;
  std::string out;
  out.reserve(text.size());
  std::size_t label = 0;
  for (char c : text) {
    if (c == '.') {
      if (label == 0) return dns_error::bad_name;
      label = 0;
      out += c;
      continue;
    }
    char l = lower(c);
    if (!name_char(l)) return dns_error::bad_name;
    if (++label > max_label) return dns_error::label_too_long;
    out += l;
  }
  if (label == 0) return dns_error::bad_name;
  return out;
}

result<header, dns_error> header::parse(bytes message) noexcept {
  if (message.size() < field::header_len) return dns_error::truncated;
  const std::uint8_t* p = message.data();
  std::uint16_t flags = load16(p + field::flags);
  header h;
  h.id = load16(p + field::id);
  h.qr = (flags & flag_qr) != 0;
  h.opcode = static_cast<std::uint8_t>((flags >> 11) & 0xfu);
  h.aa = (flags & flag_aa) != 0;
  h.tc = (flags & flag_tc) != 0;
  h.rd = (flags & flag_rd) != 0;
  h.ra = (flags & flag_ra) != 0;
  h.rcode = static_cast<std::uint8_t>(flags & 0xfu);
  h.qdcount = load16(p + field::qdcount);
  h.ancount = load16(p + field::ancount);
  h.nscount = load16(p + field::nscount);
  h.arcount = load16(p + field::arcount);
  return h;
}

void header::emit(mutable_bytes message) const noexcept {
  std::uint8_t* p = message.data();
  std::uint16_t flags = static_cast<std::uint16_t>(((opcode & 0xfu) << 11) | (rcode & 0xfu));
  if (qr) flags |= flag_qr;
  if (aa) flags |= flag_aa;
  if (tc) flags |= flag_tc;
  if (rd) flags |= flag_rd;
  if (ra) flags |= flag_ra;
  store16(p + field::id, id);
  store16(p + field::flags, flags);
  store16(p + field::qdcount, qdcount);
  store16(p + field::ancount, ancount);
  store16(p + field::nscount, nscount);
  store16(p + field::arcount, arcount);
}

result<wire_name, dns_error> read_name(bytes message, std::size_t offset) {
  wire_name out;
  std::size_t pos = offset;
  bool jumped = false;
  int hops = 0;
  for (;;) {
    if (pos >= message.size()) return dns_error::truncated;
    std::uint8_t len = message[pos];
    if ((len & 0xc0u) == 0xc0u) {
      if (pos + 1 >= message.size()) return dns_error::truncated;
      std::size_t target = (std::size_t{len & 0x3fu} << 8) | message[pos + 1];
      if (target >= pos) return dns_error::forward_pointer;
      if (++hops > max_pointer_hops) return dns_error::pointer_loop;
      if (!jumped) out.end = pos + 2;
      jumped = true;
      pos = target;
      continue;
    }
    if ((len & 0xc0u) != 0) return dns_error::label_too_long;  // 0x40/0x80: reserved label types
    if (out.labels.size() + 1u + len > max_name_wire) return dns_error::name_too_long;
    if (len == 0) {
      out.labels += '\0';
      if (!jumped) out.end = pos + 1;
      return out;
    }
    if (message.size() - pos - 1 < len) return dns_error::truncated;
    out.labels += static_cast<char>(len);
    for (std::size_t i = 0; i < len; ++i) out.labels += lower(static_cast<char>(message[pos + 1 + i]));
    pos += 1u + len;
  }
}

std::string name_to_text(std::string_view wire_labels) {
  std::string out;
  std::size_t i = 0;
  while (i < wire_labels.size()) {
    auto len = static_cast<std::uint8_t>(wire_labels[i++]);
    if (len == 0) break;
    if (!out.empty()) out += '.';
    for (std::size_t k = 0; k < len && i < wire_labels.size(); ++k, ++i) {
      char c = wire_labels[i];
      if (name_char(c)) {
        out += c;
      } else {
        auto v = static_cast<unsigned>(static_cast<std::uint8_t>(c));
        out += '\\';
        out += static_cast<char>('0' + v / 100);
        out += static_cast<char>('0' + (v / 10) % 10);
        out += static_cast<char>('0' + v % 10);
      }
    }
  }
  return out;
}

result<query, dns_error> query::make(std::uint16_t id, std::string_view name, record_type type) {
  if (type != record_type::a && type != record_type::aaaa) return dns_error::unsupported_type;
  auto n = normalize_name(name);
  if (!n) return n.error();
  return query{id, std::move(*n), type};
}

std::size_t query::buffer_len() const noexcept {
  // header + labels (one length octet per label, dots become length octets) + root + type + class
  return field::header_len + name.size() + 2 + 4;
}

void query::emit(mutable_bytes out) const noexcept {
  header h;
  h.id = id;
  h.rd = true;
  h.qdcount = 1;
  h.emit(out);
  std::size_t pos = field::header_len;
  std::string_view text = name;
  while (!text.empty()) {
    std::size_t dot = text.find('.');
    std::string_view label = text.substr(0, dot);
    out[pos++] = static_cast<std::uint8_t>(label.size());
    std::memcpy(out.data() + pos, label.data(), label.size());
    pos += label.size();
    text = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  }
  out[pos++] = 0;
  store16(out.data() + pos, static_cast<std::uint16_t>(type));
  store16(out.data() + pos + 2, class_in);
}

std::vector<std::uint8_t> query::to_bytes() const {
  std::vector<std::uint8_t> out(buffer_len());
  emit(out);
  return out;
}

result<query, dns_error> query::parse(bytes message) {
  auto h = header::parse(message);
  if (!h) return h.error();
  if (h->qr) return dns_error::question_mismatch;
  if (h->opcode != 0) return dns_error::unexpected_opcode;
  if (h->qdcount != 1 || h->ancount != 0 || h->nscount != 0 || h->arcount != 0) return dns_error::question_mismatch;
  auto n = read_name(message, field::header_len);
  if (!n) return n.error();
  // A query names its question in place: a pointer would end before the labels do.
  if (n->end != field::header_len + n->labels.size()) return dns_error::bad_name;
  cursor c{message, n->end};
  if (!c.has(4)) return dns_error::truncated;
  std::uint16_t type = c.u16();
  std::uint16_t cls = c.u16();
  if (cls != class_in) return dns_error::question_mismatch;
  if (type != static_cast<std::uint16_t>(record_type::a) && type != static_cast<std::uint16_t>(record_type::aaaa))
    return dns_error::unsupported_type;
  if (c.pos != message.size()) return dns_error::trailing_data;
  std::string text = name_to_text(n->labels);
  if (text_to_wire(text) != n->labels) return dns_error::bad_name;  // escapes or an empty name
  auto norm = normalize_name(text);
  if (!norm) return norm.error();
  if (*norm != text) return dns_error::bad_name;
  return query{h->id, std::move(*norm), static_cast<record_type>(type)};
}

std::vector<ipv4_address> response::ipv4_addresses() const {
  std::vector<ipv4_address> out;
  for (const auto& a : addresses) {
    if (const auto* v4 = std::get_if<ipv4_address>(&a.address)) out.push_back(*v4);
  }
  return out;
}

std::optional<std::uint32_t> response::min_ttl() const noexcept {
  std::optional<std::uint32_t> out;
  for (const auto& a : addresses) out = out ? std::min(*out, a.ttl) : a.ttl;
  return out;
}

result<response, dns_error> parse_response(bytes message, const query& asked) {
  auto h = header::parse(message);
  if (!h) return h.error();
  if (!h->qr) return dns_error::not_a_response;
  if (h->opcode != 0) return dns_error::unexpected_opcode;
  if (h->id != asked.id) return dns_error::id_mismatch;
  if (h->qdcount != 1) return dns_error::question_mismatch;

  auto qn = read_name(message, field::header_len);
  if (!qn) return qn.error();
  cursor c{message, qn->end};
  if (!c.has(4)) return dns_error::truncated;
  std::uint16_t qtype = c.u16();
  std::uint16_t qclass = c.u16();
  if (qn->labels != text_to_wire(asked.name) || qtype != static_cast<std::uint16_t>(asked.type) || qclass != class_in)
    return dns_error::question_mismatch;

  struct record {
    std::string owner;
    std::uint16_t type;
    std::uint32_t ttl;
    std::size_t rdata;  // offset
    std::uint16_t rdlength;
  };
  std::vector<record> answers;
  answers.reserve(std::min<std::size_t>(h->ancount, 64));
  for (std::uint16_t i = 0; i < h->ancount; ++i) {
    auto owner = read_name(message, c.pos);
    if (!owner) return owner.error();
    c.pos = owner->end;
    if (!c.has(10)) return dns_error::truncated;
    record r{std::move(owner->labels), c.u16(), 0, 0, 0};
    std::uint16_t cls = c.u16();
    r.ttl = c.u32();
    r.rdlength = c.u16();
    r.rdata = c.pos;
    if (!c.has(r.rdlength)) return dns_error::truncated;
    c.pos += r.rdlength;
    if (cls != class_in) continue;
    if (r.type == static_cast<std::uint16_t>(record_type::a) && r.rdlength != 4) return dns_error::bad_rdata_length;
    if (r.type == static_cast<std::uint16_t>(record_type::aaaa) && r.rdlength != 16)
      return dns_error::bad_rdata_length;
    if (r.type == static_cast<std::uint16_t>(record_type::cname)) {
      // The target name must lie within the rdata.
      auto target = read_name(message, r.rdata);
      if (!target) return target.error();
      if (target->end != r.rdata + r.rdlength) return dns_error::bad_rdata_length;
    }
    answers.push_back(std::move(r));
  }

  response out;
  out.hdr = *h;
  std::string current = std::move(qn->labels);
  std::uint32_t chain_ttl = 0xffffffffu;
  for (int hops = 0;; ++hops) {
    auto cname = std::find_if(answers.begin(), answers.end(), [&](const record& r) {
      return r.type == static_cast<std::uint16_t>(record_type::cname) && r.owner == current;
    });
    if (cname == answers.end()) break;
    if (hops >= max_cname_chain) return dns_error::cname_chain_too_long;
    chain_ttl = std::min(chain_ttl, cname->ttl);
    current = read_name(message, cname->rdata)->labels;  // checked above
  }
  out.canonical_name = name_to_text(current);
  for (const record& r : answers) {
    if (r.owner != current || r.type != static_cast<std::uint16_t>(asked.type)) continue;
    std::uint32_t ttl = std::min(chain_ttl, r.ttl);
    const std::uint8_t* p = message.data() + r.rdata;
    if (asked.type == record_type::a) {
      out.addresses.push_back({ipv4_address{load32(p)}, ttl});
    } else {
      ipv6_address a;
      std::copy_n(p, 16, a.bytes.begin());
      out.addresses.push_back({a, ttl});
    }
  }
  return out;
}

}  // namespace aw::proto::dns
