// fuzz/nat_fuzzer.cpp — drives a small NAT engine with a sequence of operations decoded
// from the input (packets built from fuzz bytes, raw and corrupted packets, ICMP errors,
// fragments, clock steps, client removal, selective flush) and checks the engine's
// invariants after each one; any violation aborts.
//
// Input: byte 0 = config flags (bit 0 endpoint-independent filtering, bit 1 no
// hairpinning, bit 2 no inbound refresh); then operations, each an opcode byte
// followed by its operands (missing bytes read as zero):
//   0 out_new  F   1 out  F   2 in  F        F = proto, client, cport, remote, rport, flags, len (7 bytes)
//   3 clock    s16 (x 250 ms), then expire when the low bit is set
//   4 remove_client  c     5 retain  mask (keep a session when bit (hash % 8) of mask is set)
//   6 raw      len, bytes (to outbound_new and inbound)
//   7 icmp error about the last packet sent out: type, code, quote length, corrupt byte
//   8 fragments  F, split point, order
//   9 flip     F, position, xor (a built packet with one byte changed, both ways)
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "nat/nat_engine.hpp"
#include "protocol/checksum.hpp"
#include "protocol/icmpv4.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"

namespace {
using namespace aw::proto;
using namespace aw::nat;
using byte_vector = std::vector<std::uint8_t>;

void require(bool ok) {
  if (!ok) std::abort();
}

class reader {
 public:
  reader(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  [[nodiscard]] bool done() const { return i_ >= n_; }
  std::uint8_t u8() { return i_ < n_ ? d_[i_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>((u8() << 8) | u8()); }

 private:
  const std::uint8_t* d_;
  std::size_t n_, i_ = 0;
};

constexpr ipv4_address external = ipv4_address::from_octets(192, 168, 1, 2);
constexpr std::array<ipv4_address, 4> clients{
    ipv4_address::from_octets(10, 137, 0, 5), ipv4_address::from_octets(10, 137, 0, 6),
    ipv4_address::from_octets(10, 137, 0, 7), ipv4_address::from_octets(10, 137, 0, 8)};
constexpr std::array<ipv4_address, 4> remotes{
    ipv4_address::from_octets(198, 51, 100, 1), ipv4_address::from_octets(203, 0, 113, 7),
    ipv4_address::from_octets(8, 8, 8, 8), external};

struct flow_spec {
  std::uint8_t proto, client, cport, remote, rport, flags, len;
  static flow_spec read(reader& r) { return {r.u8(), r.u8(), r.u8(), r.u8(), r.u8(), r.u8(), r.u8()}; }
  [[nodiscard]] std::uint16_t client_port() const {
    return static_cast<std::uint16_t>(cport < 16 ? 1 + cport : 40000 + (cport % 24));
  }
  [[nodiscard]] std::uint16_t remote_port() const { return static_cast<std::uint16_t>(1 + rport % 4); }
};

byte_vector ipv4_wrap(ipv4_address src, ipv4_address dst, ip_protocol p, const byte_vector& l4, std::uint16_t id,
                      bool mf = false, std::uint16_t offset = 0) {
  ipv4_repr r;
  r.src = src;
  r.dst = dst;
  r.protocol = p;
  r.payload_length = static_cast<std::uint16_t>(l4.size());
  r.identification = id;
  r.more_fragments = mf;
  r.fragment_offset = offset;
  byte_vector out(r.header_length() + l4.size());
  std::copy(l4.begin(), l4.end(), out.begin() + 20);
  r.emit(out);
  return out;
}

// A well-formed packet: outbound (client -> remote) or inbound (remote -> external:ext).
byte_vector build(const flow_spec& f, bool inbound, std::uint16_t ext) {
  const ipv4_address client = clients[f.client % clients.size()];
  const ipv4_address remote = remotes[f.remote % remotes.size()];
  const ipv4_address src = inbound ? remote : client, dst = inbound ? external : remote;
  const std::uint16_t sport = inbound ? f.remote_port() : f.client_port();
  const std::uint16_t dport = inbound ? ext : f.remote_port();
  const std::size_t len = f.len % 48;
  switch (f.proto % 3) {
    case 0: {
      byte_vector l4(8 + len, 0x5a);
      udp_repr{sport, dport}.emit(l4, src, dst);
      return ipv4_wrap(src, dst, ip_protocol::udp, l4, f.len);
    }
    case 1: {
      tcp_repr t;
      t.src_port = sport;
      t.dst_port = dport;
      t.flags = f.flags;
      byte_vector l4(20 + len, 0xa5);
      t.emit(l4, src, dst);
      return ipv4_wrap(src, dst, ip_protocol::tcp, l4, f.len);
    }
    default: {
      byte_vector data(len, 0x33);
      auto type = inbound ? icmp_type::echo_reply : icmp_type::echo_request;
      auto r = icmpv4_repr::echo(type, inbound ? ext : f.client_port(), 1, data);
      byte_vector l4(r.length());
      r.emit(l4);
      return ipv4_wrap(src, dst, ip_protocol::icmp, l4, f.len);
    }
  }
}

// A translated packet from well-formed input must be well-formed.
void check_translated(const translation& t) {
  byte_vector b(t.pkt.size());
  t.pkt.copy_to(b);
  auto v = ipv4_view::make(b);
  require(v.has_value());  // header checksum verified too
  if (v->is_fragment()) return;
  bytes l4 = v->payload();
  switch (v->protocol()) {
    case ip_protocol::udp: {
      auto u = udp_view::make(l4);
      require(u && u->verify_checksum(v->src(), v->dst()));
      break;
    }
    case ip_protocol::tcp: {
      auto tv = tcp_view::make(l4);
      require(tv && tv->verify_checksum(v->src(), v->dst()));
      break;
    }
    case ip_protocol::icmp: {
      auto i = icmpv4_view::make(l4);
      require(i && i->verify_checksum());
      if (is_error(i->type())) require(i->embedded().verify_checksum());
      break;
    }
    default: break;
  }
  if (t.to == destination::uplink) require(v->src() == external);
  else require(v->dst() == t.client);
}

struct harness {
  nat_engine engine;
  buffer_pool pool;
  clock_time now{};
  std::optional<byte_vector> last_out;  // the last packet sent to the uplink
  std::vector<translation> released;
  // Held fragments that came from unchecked input (raw, flip): what the engine releases of
  // them is as broken as they were (it never verifies the header checksum: the caller does).
  // Matched on the bytes a rewrite leaves alone: total length, id, flags/offset, protocol.
  std::vector<std::array<std::uint8_t, 7>> unchecked_held;
  static std::array<std::uint8_t, 7> held_sig(const byte_vector& b) {
    return {b[2], b[3], b[4], b[5], b[6], b[7], b[9]};
  }

  explicit harness(const nat_config& c) : engine(c) {}

  std::optional<translation> feed(const byte_vector& b, int how, bool well_formed) {
    auto p = make_packet(pool, b);
    if (!p) return std::nullopt;
    byte_vector before(b);
    nat_result r = how == 0 ? engine.outbound_new(*p, now, pool)
                 : how == 1 ? engine.outbound(*p, now, pool)
                            : engine.inbound(*p, now, pool);
    byte_vector after(p->size());
    p->copy_to(after);
    require(after == before);  // the input is never mutated
    if (!r) {
      if (!well_formed && r.error() == nat_drop::fragment_held) unchecked_held.push_back(held_sig(b));
      return std::nullopt;
    }
    if (well_formed) check_translated(*r);
    if (r->to == destination::uplink) {
      last_out.emplace(r->pkt.size());
      r->pkt.copy_to(*last_out);
    }
    return std::move(*r);
  }

  std::uint16_t some_external_port(const flow_spec& f) {
    // Usually a mapped port, so that inbound traffic reaches something.
    auto ext = engine.external_port(static_cast<nat_protocol>(f.proto % 3), clients[f.client % clients.size()],
                                    f.client_port());
    return ext ? *ext : static_cast<std::uint16_t>(f.rport * 257);
  }

  void check() {
    if (const char* why = engine.audit()) {
      (void)why;
      std::abort();
    }
    const auto& c = engine.config();
    require(engine.session_count() <= c.max_sessions && engine.mapping_count() <= c.max_mappings);
    require(engine.held_fragments() <= c.max_held_fragments);
    require(engine.fragment_flows() <= c.max_fragment_flows);
    released.clear();
    engine.take_released(released);
    for (const auto& t : released) {
      byte_vector b(t.pkt.size());
      t.pkt.copy_to(b);
      auto u = b.size() >= 20 ? std::find(unchecked_held.begin(), unchecked_held.end(), held_sig(b))
                              : unchecked_held.end();
      if (u != unchecked_held.end()) unchecked_held.erase(u);
      else check_translated(t);
    }
    if (engine.held_fragments() == 0) unchecked_held.clear();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in(data, size);
  const std::uint8_t flags = in.u8();
  nat_config c;
  c.external_address = external;
  c.max_sessions = 16;
  c.max_mappings = 12;
  c.max_mappings_per_client = 6;
  c.max_fragment_flows = 4;
  c.max_held_fragments = 4;
  c.filtering = (flags & 1) != 0 ? filtering_mode::endpoint_independent : filtering_mode::address_dependent;
  c.hairpinning = (flags & 2) == 0;
  c.inbound_refresh = (flags & 4) == 0;
  c.seed = flags;
  harness h{c};

  for (int ops = 0; ops < 512 && !in.done(); ++ops) {
    const std::uint8_t op = in.u8() % 10;
    switch (op) {
      case 0: case 1: {
        auto f = flow_spec::read(in);
        h.feed(build(f, false, 0), op, true);
        break;
      }
      case 2: {
        auto f = flow_spec::read(in);
        h.feed(build(f, true, h.some_external_port(f)), 2, true);
        break;
      }
      case 3: {
        const std::uint16_t step = in.u16();
        h.now += std::chrono::milliseconds{250} * (step >> 1);
        if ((step & 1) != 0) h.engine.expire(h.now);
        break;
      }
      case 4: h.engine.remove_client(clients[in.u8() % clients.size()]); break;
      case 5: {
        const std::uint8_t mask = in.u8();
        h.engine.retain_sessions([&](const session_info& s) {
          const auto k = mix64((std::uint64_t{s.client.value} << 32) ^ s.remote.value ^ s.client_port);
          return ((mask >> (k % 8)) & 1) != 0;
        });
        break;
      }
      case 6: {
        byte_vector raw(in.u8());
        for (auto& b : raw) b = in.u8();
        h.feed(raw, 0, false);
        h.feed(raw, 2, false);
        break;
      }
      case 7: {
        const std::uint8_t type_sel = in.u8(), code = in.u8(), quote = in.u8(), corrupt = in.u8();
        if (!h.last_out) break;
        static constexpr std::array<icmp_type, 5> types{icmp_type::dest_unreachable, icmp_type::time_exceeded,
                                                        icmp_type::parameter_problem, icmp_type::source_quench,
                                                        icmp_type::redirect};
        const byte_vector& sent = *h.last_out;
        const std::size_t n = std::min<std::size_t>(sent.size(), 28u + quote % 40u);
        byte_vector quoted(sent.begin(), sent.begin() + static_cast<std::ptrdiff_t>(n));
        icmpv4_repr r{types[type_sel % types.size()], code, 0, quoted};
        byte_vector l4(r.length());
        r.emit(l4);
        auto ipv4 = sent.size() >= 20 ? ipv4_address{load32(sent.data() + 16)} : remotes[0];
        byte_vector err = ipv4_wrap(ipv4, external, ip_protocol::icmp, l4, 7);
        const bool corrupted = corrupt >= 128;
        if (corrupted) err[20 + corrupt % (err.size() - 20)] ^= 0x40;
        h.feed(err, 2, !corrupted);
        break;
      }
      case 8: {
        auto f = flow_spec::read(in);
        const std::uint8_t at = in.u8(), order = in.u8();
        f.len = static_cast<std::uint8_t>(40 + f.len % 8);
        const bool inbound = (order & 2) != 0;
        byte_vector whole = build(f, inbound, h.some_external_port(f));
        const std::size_t pl = whole.size() - 20;
        const std::size_t first_len = 8u * (1u + at % ((pl - 1) / 8));
        auto ident = static_cast<std::uint16_t>(0x4000 + at);
        auto proto = ip_protocol{whole[9]};
        ipv4_address src{load32(whole.data() + 12)}, dst{load32(whole.data() + 16)};
        byte_vector a(whole.begin() + 20, whole.begin() + 20 + static_cast<std::ptrdiff_t>(first_len));
        byte_vector b(whole.begin() + 20 + static_cast<std::ptrdiff_t>(first_len), whole.end());
        byte_vector fa = ipv4_wrap(src, dst, proto, a, ident, true, 0);
        byte_vector fb = ipv4_wrap(src, dst, proto, b, ident, false, static_cast<std::uint16_t>(first_len));
        const int how = inbound ? 2 : 0;
        if ((order & 1) != 0) {
          h.feed(fb, how, true);
          h.feed(fa, how, true);
        } else {
          h.feed(fa, how, true);
          h.feed(fb, how == 0 ? 1 : how, true);
        }
        break;
      }
      case 9: {
        auto f = flow_spec::read(in);
        const std::uint8_t pos = in.u8(), x = in.u8();
        byte_vector b = build(f, (pos & 1) != 0, h.some_external_port(f));
        b[pos % b.size()] ^= static_cast<std::uint8_t>(x | 1);
        h.feed(b, 0, false);
        h.feed(b, 2, false);
        break;
      }
      default: break;
    }
    h.check();
  }
  return 0;
}
