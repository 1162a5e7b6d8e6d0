// nat/nat_engine.cpp — mappings, sessions, filtering, hairpinning, expiry and bounds.
#include "nat/nat_engine.hpp"

#include <algorithm>

#include "nat/icmp_error.hpp"
#include "protocol/icmpv4.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/rewrite.hpp"
#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"

namespace aw::nat {

using namespace aw::proto;

namespace {
nat_drop from_wire(wire_error e) noexcept {
  return e == wire_error::pool_exhausted ? nat_drop::pool_exhausted : nat_drop::malformed;
}
}  // namespace

// What the engine needs of a packet, read once.
struct nat_engine::flow {
  ipv4_address src, dst;
  nat_protocol proto = nat_protocol::udp;
  std::uint8_t ip_protocol = 0;
  std::uint16_t sport = 0, dport = 0;  // ICMP query: the id in both
  std::uint16_t ip_id = 0;
  std::uint8_t tcp_flags = 0;
  bool icmp_error = false, icmp_request = false;
  bool non_first = false, more_fragments = false;

  static result<flow, nat_drop> parse(const packet& p) noexcept {
    bytes head = p.head();
    auto v = ipv4_view::make(head, ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::skip);
    if (!v || v->total_length() != p.size()) return nat_drop::malformed;
    flow f;
    f.src = v->src();
    f.dst = v->dst();
    f.ip_protocol = static_cast<std::uint8_t>(v->protocol());
    f.ip_id = v->identification();
    auto np = to_nat_protocol(v->protocol());
    if (!np) return nat_drop::unsupported_protocol;
    f.proto = *np;
    f.non_first = !v->is_first_fragment_or_whole();
    f.more_fragments = v->more_fragments();
    // RFC 1858 / RFC 3128: a TCP fragment at offset 8 rewrites the flags and ports of a
    // first fragment the rules passed (the overlapping-fragment attack): refused.
    if (f.non_first && f.proto == nat_protocol::tcp && v->fragment_offset() == 8) return nat_drop::malformed;
    if (f.non_first) return f;
    const std::size_t ihl = v->header_length();
    const std::size_t need = f.proto == nat_protocol::tcp ? tcp_view::min_header_len : udp_view::header_len;
    if (v->total_length() - ihl < need || head.size() < ihl + need) return nat_drop::malformed;
    const std::uint8_t* l4 = head.data() + ihl;
    switch (f.proto) {
      case nat_protocol::tcp:
        f.tcp_flags = l4[tcp_field::flags];
        [[fallthrough]];
      case nat_protocol::udp:
        f.sport = load16(l4 + udp_field::src_port);
        f.dport = load16(l4 + udp_field::dst_port);
        break;
      case nat_protocol::icmp: {
        const icmp_type t{l4[icmp_field::type]};
        if (is_error(t)) {
          f.icmp_error = true;
        } else if (is_query(t)) {
          f.icmp_request = is_query_request(t);
          f.sport = f.dport = load16(l4 + icmp_field::id);
        } else {
          return nat_drop::icmp_unsupported;
        }
        break;
      }
    }
    return f;
  }
};

nat_engine::nat_engine(const nat_config& config)
    : config_(config),
      rng_(config.seed),
      ports_{port_allocator{port_allocator::layout::ports}, port_allocator{port_allocator::layout::ports},
             port_allocator{port_allocator::layout::identifiers}},
      mappings_(config.max_mappings),
      mapping_index_(config.max_mappings),
      sessions_(config.max_sessions),
      session_index_(config.max_sessions),
      groups_(config.max_sessions),
      remote_index_(config.max_sessions),
      hash_salt_(rng_.next() | 1),  // the constructor's one draw, as before: a seed's ports are unchanged
      timers_(sessions_.data(), config.timeouts),
      clients_(config.max_mappings),
      client_index_(config.max_mappings),
      fragments_(config.max_fragment_flows, config.max_held_fragments, config.timeouts.fragment, hash_salt_) {
  for (auto& v : by_external_) v = zeroed_array<external_entry>(65536);
  for (auto& v : reserved_) v.assign(65536, false);
  auto fill = [](std::vector<std::uint32_t>& free, std::size_t n) {
    free.reserve(n);
    for (std::size_t i = n; i-- > 0;) free.push_back(static_cast<std::uint32_t>(i));
  };
  fill(free_mappings_, mappings_.size());
  fill(free_sessions_, sessions_.size());
  fill(free_groups_, groups_.size());
  fill(free_clients_, clients_.size());
  released_.reserve(config.max_held_fragments);
}

// ---- public entry points: every refusal is counted here --------------------

nat_result nat_engine::outbound(const packet& p, clock_time now, buffer_pool& pool) noexcept {
  nat_result r = outbound_impl(p, now, pool, false);
  if (!r) {
    counters_.count(r.error());
    // no_session: the caller's rules decide next (and call refuse_fragments if they refuse).
    if (r.error() != nat_drop::no_session) refuse_fragments(p, direction::outbound, now);
  }
  return r;
}

nat_result nat_engine::outbound_new(const packet& p, clock_time now, buffer_pool& pool) noexcept {
  nat_result r = outbound_impl(p, now, pool, true);
  if (!r) {
    counters_.count(r.error());
    refuse_fragments(p, direction::outbound, now);
  }
  return r;
}

nat_result nat_engine::inbound(const packet& p, clock_time now, buffer_pool& pool) noexcept {
  nat_result r = inbound_impl(p, now, pool);
  if (!r) {
    counters_.count(r.error());
    refuse_fragments(p, direction::inbound, now);
  }
  return r;
}

void nat_engine::refuse_fragments(const packet& p, direction d, clock_time now) noexcept {
  auto parsed = flow::parse(p);
  if (!parsed || parsed->non_first || !parsed->more_fragments) return;  // only a first fragment says
  const flow& f = *parsed;
  const fragment_key key{d, f.ip_protocol, f.ip_id, f.src, f.dst};
  fragment_action a;
  a.refused = true;
  fragments_.learn(key, a, advance(now));
  fragments_.release(key, [&](const packet&) { counters_.count(nat_drop::fragment_refused); });
}

std::size_t nat_engine::take_released(std::vector<translation>& out) {
  std::size_t n = released_.size();
  for (auto& t : released_) out.push_back(std::move(t));
  released_.clear();
  return n;
}

clock_time nat_engine::advance(clock_time now) noexcept {
  now_ = std::max(now_, now);
  return now_;
}

// ---- translation ------------------------------------------------------------

nat_result nat_engine::outbound_impl(const packet& p, clock_time now, buffer_pool& pool, bool create) noexcept {
  now = advance(now);
  auto parsed = flow::parse(p);
  if (!parsed) return parsed.error();
  const flow& f = *parsed;
  if (f.non_first) return fragment(f, direction::outbound, p, now, pool);
  if (f.icmp_error) return icmp_error_out(p, now, pool);
  if (f.proto == nat_protocol::icmp && !f.icmp_request) return nat_drop::icmp_unsupported;
  const ipv4_address ext = config_.external_address;
  const bool hairpin = f.dst == ext;
  if (hairpin && !config_.hairpinning) return nat_drop::hairpin_disabled;
  if (hairpin && f.proto == nat_protocol::icmp) return nat_drop::hairpin_unsupported;

  const mapping_key k{f.src, f.sport, f.proto};
  const std::uint16_t rport = f.proto == nat_protocol::icmp ? std::uint16_t{0} : f.dport;
  std::uint32_t s = live_session({k, f.dst, rport}, now);
  if (s == npos) {
    // A reset for a connection we do not know ends nothing: conntrack tracks no
    // state for it either, and it must not open a session (or a mapping).
    if (f.proto == nat_protocol::tcp && (f.tcp_flags & proto::tcp_flag::rst) != 0)
      return nat_drop::tcp_rst_without_session;
    // Nor does a FIN: conntrack picks a connection up mid-stream from an ACK, never from a
    // FIN (NONE + FIN is INVALID), so a late FIN after the session ended opens nothing.
    // Both are refused on the lookup too, so the caller does not ask its rules about them.
    if (f.proto == nat_protocol::tcp && (f.tcp_flags & proto::tcp_flag::fin) != 0)
      return nat_drop::tcp_fin_without_session;
    if (!create) return nat_drop::no_session;
    auto c = create_session(k, f.dst, rport, f.tcp_flags, now);
    if (!c) return c.error();
    s = *c;
  } else {
    touch(s, direction::outbound, f.tcp_flags, now);
  }
  const std::uint32_t m = sessions_[s].mapping;
  const std::uint16_t ext_port = sessions_[s].external_port;

  ipv4_rewrite r;
  r.decrement_ttl = config_.decrement_ttl;
  r.src = ext;
  if (f.proto == nat_protocol::icmp) r.icmp_id = ext_port;
  else r.src_port = ext_port;
  translation t;
  if (hairpin) {
    // RFC 4787 REQ-9: deliver to the owner of the mapped port as if it came
    // in from our external endpoint, filtering included.
    std::uint32_t target = mapping_by_external(f.proto, f.dport);
    if (target == npos) return nat_drop::no_mapping;
    std::uint32_t ts = live_session({mappings_[target].key, ext, ext_port}, now);
    if (ts != npos) touch(ts, direction::inbound, f.tcp_flags, now);
    else if (!mappings_[target].live) return nat_drop::no_mapping;
    else if (!filter_allows(target, ext, now)) return nat_drop::filtered;
    const mapping& tm = mappings_[target];
    r.dst = tm.key.client;
    r.dst_port = tm.key.port;
    t.to = destination::client;
    t.client = tm.key.client;
  }
  auto out = rewrite_ipv4(p, r, pool);
  if (!out) return from_wire(out.error());
  t.pkt = std::move(*out);
  counters_.count(hairpin ? nat_event::hairpinned : nat_event::translated_out);
  if (f.more_fragments) learn_fragment(f, direction::outbound, t, m, now, pool);
  return t;
}

nat_result nat_engine::inbound_impl(const packet& p, clock_time now, buffer_pool& pool) noexcept {
  now = advance(now);
  auto parsed = flow::parse(p);
  if (!parsed) return parsed.error();
  const flow& f = *parsed;
  if (f.dst != config_.external_address) return nat_drop::not_external_destination;
  if (f.non_first) return fragment(f, direction::inbound, p, now, pool);
  if (f.icmp_error) return icmp_error_in(p, now, pool);
  if (f.proto == nat_protocol::icmp && f.icmp_request) return nat_drop::icmp_unsupported;

  const external_entry e = by_external_[static_cast<std::size_t>(f.proto)][f.dport];
  const std::uint32_t m = e.mapping();
  if (m == npos) return nat_drop::no_mapping;
  const std::uint16_t rport = f.proto == nat_protocol::icmp ? std::uint16_t{0} : f.sport;
  const std::uint32_t s = live_session({e.key, f.src, rport}, now);
  if (s != npos) touch(s, direction::inbound, f.tcp_flags, now);
  else if (!mappings_[m].live) return nat_drop::no_mapping;
  else if (!filter_allows(m, f.src, now)) return nat_drop::filtered;

  const mapping_key& k = e.key;
  ipv4_rewrite r;
  r.decrement_ttl = config_.decrement_ttl;
  r.dst = k.client;
  if (f.proto == nat_protocol::icmp) r.icmp_id = k.port;
  else r.dst_port = k.port;
  auto out = rewrite_ipv4(p, r, pool);
  if (!out) return from_wire(out.error());
  translation t{std::move(*out), destination::client, k.client};
  counters_.count(nat_event::translated_in);
  if (f.more_fragments) learn_fragment(f, direction::inbound, t, m, now, pool);
  return t;
}

// RFC 5508: an error is translated through the mapping its quote names; it
// never creates, refreshes or deletes anything.
nat_result nat_engine::icmp_error_in(const packet& p, clock_time now, buffer_pool& pool) noexcept {
  auto q = inspect_icmp_error(p);
  if (!q) return q.error();
  // The quote is a datagram we sent: from the external endpoint to a remote.
  if (q->src != config_.external_address) return nat_drop::icmp_error_no_mapping;
  const std::uint32_t m = mapping_by_external(q->proto, q->src_port);
  if (m == npos) return nat_drop::icmp_error_no_mapping;
  const std::uint16_t rport = q->proto == nat_protocol::icmp ? std::uint16_t{0} : q->dst_port;
  const std::uint32_t s = find_session({mappings_[m].key, q->dst, rport});
  if (s == npos || timers_.expired(s, now)) return nat_drop::icmp_error_no_mapping;
  const mapping& mm = mappings_[m];
  icmp_error_rewrite r;
  r.decrement_ttl = config_.decrement_ttl;
  r.outer_dst = mm.key.client;
  r.quoted_src = mm.key.client;
  r.quoted_src_port = mm.key.port;
  auto out = rewrite_icmp_error(p, r, pool);
  if (!out) return from_wire(out.error());
  counters_.count(nat_event::icmp_errors_translated);
  return translation{std::move(*out), destination::client, mm.key.client};
}

nat_result nat_engine::icmp_error_out(const packet& p, clock_time now, buffer_pool& pool) noexcept {
  auto q = inspect_icmp_error(p);
  if (!q) return q.error();
  if (q->outer_dst == config_.external_address) return nat_drop::hairpin_unsupported;
  // The quote is a datagram the client received: from a remote to the client,
  // and the error goes back to that remote. Any other destination would let a
  // client send what it likes to any host past its rules (conntrack refuses it too).
  if (q->dst != q->outer_src || q->outer_dst != q->src) return nat_drop::icmp_error_no_mapping;
  const std::uint32_t m = find_mapping({q->dst, q->dst_port, q->proto});
  if (m == npos) return nat_drop::icmp_error_no_mapping;
  const std::uint16_t rport = q->proto == nat_protocol::icmp ? std::uint16_t{0} : q->src_port;
  const std::uint32_t s = find_session({mappings_[m].key, q->src, rport});
  const bool known = s != npos && !timers_.expired(s, now);
  if (!known && !filter_allows(m, q->src, now)) return nat_drop::icmp_error_no_mapping;
  const mapping& mm = mappings_[m];
  icmp_error_rewrite r;
  r.decrement_ttl = config_.decrement_ttl;
  r.outer_src = config_.external_address;
  r.quoted_dst = config_.external_address;
  r.quoted_dst_port = mm.external_port;
  auto out = rewrite_icmp_error(p, r, pool);
  if (!out) return from_wire(out.error());
  counters_.count(nat_event::icmp_errors_translated);
  return translation{std::move(*out), destination::uplink, {}};
}

// ---- fragments --------------------------------------------------------------

nat_result nat_engine::fragment(const flow& f, direction d, const packet& p, clock_time now,
                                buffer_pool& pool) noexcept {
  const fragment_key key{d, f.ip_protocol, f.ip_id, f.src, f.dst};
  if (const fragment_action* a = fragments_.find(key, now)) {
    if (a->refused) return nat_drop::fragment_refused;
    const mapping& mm = mappings_[a->mapping];
    if (!mm.live || mm.generation != a->generation)
      return d == direction::outbound ? nat_drop::no_session : nat_drop::no_mapping;
    ipv4_rewrite r;
    r.decrement_ttl = config_.decrement_ttl;
    if (a->new_src != f.src) r.src = a->new_src;
    if (a->new_dst != f.dst) r.dst = a->new_dst;
    auto out = rewrite_ipv4(p, r, pool);
    if (!out) return from_wire(out.error());
    counters_.count(nat_event::fragments_translated);
    return translation{std::move(*out), a->to, a->client};
  }
  if (!fragments_.hold(key, p, now)) return nat_drop::fragment_hold_full;
  return nat_drop::fragment_held;
}

void nat_engine::learn_fragment(const flow& f, direction d, const translation& t, std::uint32_t m, clock_time now,
                                buffer_pool& pool) noexcept {
  const fragment_key key{d, f.ip_protocol, f.ip_id, f.src, f.dst};
  const std::uint8_t* ip = t.pkt.head().data();
  const fragment_action a{{load32(ip + ipv4_field::src)}, {load32(ip + ipv4_field::dst)}, t.to, t.client, m,
                          mappings_[m].generation};
  fragments_.learn(key, a, now);
  fragments_.release(key, [&](const packet& held) {
    ipv4_rewrite r;
    r.decrement_ttl = config_.decrement_ttl;
    if (a.new_src != f.src) r.src = a.new_src;
    if (a.new_dst != f.dst) r.dst = a.new_dst;
    auto out = rewrite_ipv4(held, r, pool);
    if (!out) {
      counters_.count(from_wire(out.error()));
    } else if (released_.size() >= released_.capacity()) {
      counters_.count(nat_drop::fragment_hold_full);
    } else {
      released_.push_back({std::move(*out), a.to, a.client});
      counters_.count(nat_event::fragments_released);
    }
  });
}

// ---- tables -----------------------------------------------------------------

std::uint32_t nat_engine::find_mapping(const mapping_key& k) const noexcept {
  return mapping_index_.find(slot_hash(hash(k)), [&](std::uint32_t i) { return mappings_[i].key == k; });
}

std::uint32_t nat_engine::find_session(const session_key& k) const noexcept {
  return session_index_.find(slot_hash(hash(k)), [&](std::uint32_t i) { return sessions_[i].key == k; });
}

std::uint32_t nat_engine::live_session(const session_key& k, clock_time now) noexcept {
  const std::uint32_t s = find_session(k);
  if (s == npos) return npos;
  if (timers_.expired(s, now)) {  // looked up but expired: absent
    remove_session(s);
    counters_.count(nat_event::sessions_expired);
    return npos;
  }
  return s;
}

std::uint32_t nat_engine::remote_hash(std::uint32_t m, ipv4_address remote) const noexcept {
  return mix64(((std::uint64_t{m} << 32) | remote.value) * hash_salt_);
}

std::uint32_t nat_engine::find_group(std::uint32_t m, ipv4_address remote) const noexcept {
  return remote_index_.find(remote_hash(m, remote), [&](std::uint32_t g) {
    return groups_[g].mapping == m && groups_[g].remote == remote;
  });
}

// Precondition (as for sessions): fewer groups than sessions, so a slot is free.
void nat_engine::group_add(std::uint32_t m, ipv4_address remote) noexcept {
  std::uint32_t g = find_group(m, remote);
  if (g == npos) {
    g = free_groups_.back();
    free_groups_.pop_back();
    groups_[g] = {m, remote, 0};
    remote_index_.insert(remote_hash(m, remote), g);
  }
  ++groups_[g].sessions;
}

void nat_engine::group_remove(std::uint32_t m, ipv4_address remote) noexcept {
  const std::uint32_t g = find_group(m, remote);
  if (g == npos) return;  // cannot happen: audit() checks every live session's pair
  if (--groups_[g].sessions != 0) return;
  remote_index_.erase(remote_hash(m, remote), g);
  groups_[g] = remote_group{};
  free_groups_.push_back(g);
}

bool nat_engine::filter_allows(std::uint32_t m, ipv4_address remote, clock_time now) const noexcept {
  // Inbound misses only. Endpoint-independent: any unexpired session of the mapping lets
  // anyone in; the first one looked at usually is (expired ones wait only to be reaped).
  if (config_.filtering == filtering_mode::endpoint_independent) {
    // Newest first: the oldest are the likeliest to have expired.
    for (std::uint32_t s = mappings_[m].sessions.last; s != npos; s = sessions_[s].mapping_links.prev)
      if (!timers_.expired(s, now)) return true;
    return false;
  }
  // A session expired but not reaped yet (expiry runs on the firewall's tick, and a
  // lookup reaps what it finds) still counts: at most one tick of leeway.
  return find_group(m, remote) != npos;
}

void nat_engine::touch(std::uint32_t s, direction d, std::uint8_t tcp_flags, clock_time now) noexcept {
  session& ss = sessions_[s];
  if (ss.key.mapping.proto == nat_protocol::tcp) {
    ss.tcp.update(d, tcp_flags);
    const timeout_class c = ss.tcp.timeout();
    if (c != timers_.class_of(s)) {
      timers_.reclass(s, c, now);  // a state change counts as a refresh
      return;
    }
  }
  if (d == direction::outbound || config_.inbound_refresh) timers_.refresh(s, now);
}

result<std::uint32_t, nat_drop> nat_engine::create_session(const mapping_key& k, ipv4_address remote,
                                                           std::uint16_t remote_port, std::uint8_t tcp_flags,
                                                           clock_time now) noexcept {
  auto client_of = [&] {
    return client_index_.find(client_hash(k.client), [&](std::uint32_t i) { return clients_[i].address == k.client; });
  };
  if (const std::uint32_t c = client_of(); c != npos && clients_[c].sessions >= config_.max_sessions_per_client &&
                                            !evict_for_client(c))
    return nat_drop::client_session_cap;
  if (session_count() >= config_.max_sessions && !evict_for_session()) return nat_drop::table_full;
  std::uint32_t m = find_mapping(k);  // again: the eviction may have taken it
  if (m == npos) {
    std::uint32_t c = client_of();
    if (c != npos && clients_[c].mappings.size >= config_.max_mappings_per_client) return nat_drop::client_cap;
    if (config_.max_mappings_per_client == 0) return nat_drop::client_cap;
    if (mapping_count() >= config_.max_mappings && !evict_for_mapping()) return nat_drop::table_full;
    auto port = ports(k.proto).allocate(k.port, rng_);
    if (!port) return nat_drop::out_of_ports;
    c = client_of();
    if (c == npos) {
      c = free_clients_.back();
      free_clients_.pop_back();
      clients_[c] = {k.client, {}};
      client_index_.insert(client_hash(k.client), c);
    }
    m = free_mappings_.back();
    free_mappings_.pop_back();
    mapping& mm = mappings_[m];
    mm.key = k;
    mm.external_port = *port;
    mm.live = true;
    mm.client = c;
    mm.sessions = {};
    mapping_index_.insert(slot_hash(hash(k)), m);
    by_external_[static_cast<std::size_t>(k.proto)][*port] = {m + 1, k};
    list_push_back(clients_[c].mappings, m, [this](std::uint32_t i) -> list_links& { return mappings_[i].client_links; });
    counters_.count(nat_event::mappings_created);
  }
  const std::uint32_t s = free_sessions_.back();
  free_sessions_.pop_back();
  session& ss = sessions_[s];
  ss.mapping = m;
  ss.key = {k, remote, remote_port};
  ss.external_port = mappings_[m].external_port;
  ss.live = true;
  ss.tcp = tcp_tracker::start(tcp_flags);
  ++clients_[mappings_[m].client].sessions;
  session_index_.insert(slot_hash(hash(ss.key)), s);
  group_add(m, remote);
  list_push_back(mappings_[m].sessions, s, [this](std::uint32_t i) -> list_links& { return sessions_[i].mapping_links; });
  timeout_class c = timeout_class::udp;
  if (k.proto == nat_protocol::tcp) c = ss.tcp.timeout();
  if (k.proto == nat_protocol::icmp) c = timeout_class::icmp_query;
  timers_.add(s, c, now);
  counters_.count(nat_event::sessions_created);
  return s;
}

namespace {
constexpr std::array<timeout_class, 3> evictable{timeout_class::udp, timeout_class::icmp_query,
                                                 timeout_class::tcp_transitory};
}

// The idlest UDP, ICMP or transitory TCP session goes; established TCP stays.
bool nat_engine::evict_for_session() noexcept {
  std::uint32_t victim = npos;
  for (timeout_class c : evictable) {
    std::uint32_t s = timers_.front(c);
    if (s != npos && (victim == npos || timers_.last_refresh(s) < timers_.last_refresh(victim))) victim = s;
  }
  if (victim == npos) return false;
  remove_session(victim);
  counters_.count(nat_event::sessions_evicted);
  return true;
}

// At its session cap, a client's own idlest UDP, ICMP or transitory session goes: looked
// for near the head of each class's queue (the idlest), then among its own sessions;
// both looks bounded. None (all established TCP): the new flow is refused.
bool nat_engine::evict_for_client(std::uint32_t c) noexcept {
  constexpr int queue_scan = 64;
  constexpr std::size_t own_scan = 4096;
  std::uint32_t victim = npos;
  auto consider = [&](std::uint32_t s) {
    if (victim == npos || timers_.last_refresh(s) < timers_.last_refresh(victim)) victim = s;
  };
  for (timeout_class k : evictable) {
    std::uint32_t s = timers_.front(k);
    for (int i = 0; i < queue_scan && s != npos; ++i, s = timers_.next(s)) {
      if (mappings_[sessions_[s].mapping].client != c) continue;
      consider(s);
      break;
    }
  }
  std::size_t seen = 0;
  for (std::uint32_t m = clients_[c].mappings.first; victim == npos && m != npos && seen < own_scan;
       m = mappings_[m].client_links.next) {
    for (std::uint32_t s = mappings_[m].sessions.first; s != npos && seen < own_scan;
         s = sessions_[s].mapping_links.next, ++seen)
      if (timers_.class_of(s) != timeout_class::tcp_established) consider(s);
  }
  if (victim == npos) return false;
  remove_session(victim);
  counters_.count(nat_event::sessions_evicted);
  return true;
}

// As above, among the idlest sessions whose mapping has no other session; a
// bounded look (eviction_scan per class) keeps it O(1).
bool nat_engine::evict_for_mapping() noexcept {
  constexpr int eviction_scan = 16;
  std::uint32_t victim = npos;
  for (timeout_class c : evictable) {
    std::uint32_t s = timers_.front(c);
    for (int i = 0; i < eviction_scan && s != npos; ++i, s = timers_.next(s)) {
      if (mappings_[sessions_[s].mapping].sessions.size != 1) continue;
      if (victim == npos || timers_.last_refresh(s) < timers_.last_refresh(victim)) victim = s;
      break;
    }
  }
  if (victim == npos) return false;
  remove_session(victim);
  counters_.count(nat_event::sessions_evicted);
  return true;
}

// Takes session s out of every index, list and count and frees its slot; its mapping stays.
void nat_engine::free_session(std::uint32_t s) noexcept {
  session& ss = sessions_[s];
  const std::uint32_t m = ss.mapping;
  session_index_.erase(slot_hash(hash(ss.key)), s);
  group_remove(m, ss.key.remote);
  list_unlink(mappings_[m].sessions, s, [this](std::uint32_t i) -> list_links& { return sessions_[i].mapping_links; });
  timers_.remove(s);
  ss.live = false;
  free_sessions_.push_back(s);
  --clients_[mappings_[m].client].sessions;
}

void nat_engine::remove_session(std::uint32_t s) noexcept {
  const std::uint32_t m = sessions_[s].mapping;
  free_session(s);
  if (mappings_[m].sessions.empty()) remove_mapping(m);
}

void nat_engine::remove_mapping(std::uint32_t m) noexcept {
  mapping& mm = mappings_[m];
  while (!mm.sessions.empty()) free_session(mm.sessions.first);
  mapping_index_.erase(slot_hash(hash(mm.key)), m);
  by_external_[static_cast<std::size_t>(mm.key.proto)][mm.external_port] = external_entry{};
  ports(mm.key.proto).release(mm.external_port);
  client_entry& c = clients_[mm.client];
  list_unlink(c.mappings, m, [this](std::uint32_t i) -> list_links& { return mappings_[i].client_links; });
  if (c.mappings.empty()) {
    client_index_.erase(client_hash(c.address), mm.client);
    free_clients_.push_back(mm.client);
  }
  mm.live = false;
  mm.client = npos;
  ++mm.generation;
  free_mappings_.push_back(m);
  counters_.count(nat_event::mappings_removed);
}

// ---- maintenance ------------------------------------------------------------

std::size_t nat_engine::expire(clock_time now) noexcept {
  now = advance(now);
  std::size_t n = 0;
  for (std::uint32_t s; (s = timers_.due(now)) != npos; ++n) remove_session(s);
  counters_.count(nat_event::sessions_expired, n);
  const std::size_t dropped = fragments_.expire(now);
  counters_.drops[static_cast<std::size_t>(nat_drop::fragment_timeout)] += dropped;
  return n;
}

std::size_t nat_engine::remove_client(ipv4_address client) noexcept {
  const std::uint32_t c =
      client_index_.find(client_hash(client), [&](std::uint32_t i) { return clients_[i].address == client; });
  if (c == npos) return 0;
  const std::size_t sessions_before = session_count();
  std::size_t n = 0;
  while (clients_[c].mappings.first != npos) {
    remove_mapping(clients_[c].mappings.first);
    ++n;
  }
  counters_.count(nat_event::sessions_removed, sessions_before - session_count());
  return n;
}

std::size_t nat_engine::retain_impl(bool (*keep)(void*, const session_info&), void* ctx) {
  std::size_t removed = 0;
  for (std::uint32_t s = 0; s < sessions_.size(); ++s) {
    if (!sessions_[s].live || keep(ctx, info(s))) continue;
    remove_session(s);
    ++removed;
  }
  counters_.count(nat_event::sessions_removed, removed);
  return removed;
}

bool nat_engine::reserve_port(nat_protocol p, std::uint16_t port) noexcept {
  if (!ports(p).reserve(port)) return false;
  reserved_[static_cast<std::size_t>(p)][port] = true;
  ++reserved_count_[static_cast<std::size_t>(p)];
  return true;
}

void nat_engine::release_reserved_port(nat_protocol p, std::uint16_t port) noexcept {
  auto&& r = reserved_[static_cast<std::size_t>(p)][port];
  if (!r) return;
  r = false;
  --reserved_count_[static_cast<std::size_t>(p)];
  ports(p).release(port);
}

// ---- introspection ----------------------------------------------------------

session_info nat_engine::info(std::uint32_t s) const noexcept {
  const session& ss = sessions_[s];
  const mapping& mm = mappings_[ss.mapping];
  session_info i;
  i.proto = mm.key.proto;
  i.client = mm.key.client;
  i.client_port = mm.key.port;
  i.external_port = mm.external_port;
  i.remote = ss.key.remote;
  i.remote_port = ss.key.remote_port;
  i.tcp_established = mm.key.proto == nat_protocol::tcp && ss.tcp.established();
  i.last_refresh = timers_.last_refresh(s);
  return i;
}

std::vector<session_info> nat_engine::sessions() const {
  std::vector<session_info> out;
  for (std::uint32_t s = 0; s < sessions_.size(); ++s)
    if (sessions_[s].live) out.push_back(info(s));
  return out;
}

std::size_t nat_engine::mapping_count(ipv4_address client) const noexcept {
  const std::uint32_t c =
      client_index_.find(client_hash(client), [&](std::uint32_t i) { return clients_[i].address == client; });
  return c == npos ? 0 : clients_[c].mappings.size;
}

std::optional<std::uint16_t> nat_engine::external_port(nat_protocol p, ipv4_address client,
                                                       std::uint16_t port) const noexcept {
  const std::uint32_t m = find_mapping({client, port, p});
  if (m == npos) return std::nullopt;
  return mappings_[m].external_port;
}

std::optional<mapping_key> nat_engine::mapping_of_external(nat_protocol p, std::uint16_t port) const noexcept {
  const std::uint32_t m = mapping_by_external(p, port);
  if (m == npos) return std::nullopt;
  return mappings_[m].key;
}

bool nat_engine::is_port_free(nat_protocol p, std::uint16_t port) const noexcept {
  return ports_[static_cast<std::size_t>(p)].is_free(port);
}

std::size_t nat_engine::free_ports(nat_protocol p) const noexcept {
  return ports_[static_cast<std::size_t>(p)].free_count();
}

std::size_t nat_engine::memory_bytes() const noexcept {
  std::size_t n = sizeof(*this);
  for (const auto& a : ports_) n += a.memory_bytes() - sizeof(a);
  for (const auto& v : by_external_) n += v.memory_bytes();
  for (const auto& v : reserved_) n += v.capacity() / 8;
  n += mappings_.capacity() * sizeof(mapping) + free_mappings_.capacity() * sizeof(std::uint32_t) +
       mapping_index_.memory_bytes();
  n += sessions_.capacity() * sizeof(session) + free_sessions_.capacity() * sizeof(std::uint32_t) +
       session_index_.memory_bytes() + remote_index_.memory_bytes() + groups_.capacity() * sizeof(remote_group) +
       free_groups_.capacity() * sizeof(std::uint32_t);
  n += clients_.capacity() * sizeof(client_entry) + free_clients_.capacity() * sizeof(std::uint32_t) +
       client_index_.memory_bytes();
  n += fragments_.memory_bytes() + released_.capacity() * sizeof(translation);
  return n;
}

const char* nat_engine::audit() const noexcept {
  std::array<std::size_t, nat_protocol_count> mapped{};
  std::size_t live_m = 0, live_s = 0, sessions_in_lists = 0, live_clients = 0;
  for (std::uint32_t m = 0; m < mappings_.size(); ++m) {
    const mapping& mm = mappings_[m];
    if (!mm.live) continue;
    ++live_m;
    const auto p = static_cast<std::size_t>(mm.key.proto);
    ++mapped[p];
    if (find_mapping(mm.key) != m) return "mapping index does not find a live mapping";
    if (by_external_[p][mm.external_port].mapping() != m || !(by_external_[p][mm.external_port].key == mm.key))
      return "external port does not lead back to its mapping";
    if (ports_[p].is_free(mm.external_port)) return "a mapped port is in the free set";
    if (reserved_[p][mm.external_port]) return "a mapped port is reserved";
    if (mm.client == npos || clients_[mm.client].address != mm.key.client) return "mapping has the wrong client";
    if (mm.sessions.empty()) return "a mapping without sessions";
    std::size_t n = 0;
    for (std::uint32_t s = mm.sessions.first; s != npos; s = sessions_[s].mapping_links.next, ++n) {
      if (!sessions_[s].live || sessions_[s].mapping != m) return "mapping lists a foreign or dead session";
      if (n > sessions_.size()) return "session list loops";
    }
    if (n != mm.sessions.size) return "mapping session count is wrong";
    sessions_in_lists += n;
  }
  for (std::uint32_t s = 0; s < sessions_.size(); ++s) {
    const session& ss = sessions_[s];
    if (!ss.live) continue;
    ++live_s;
    if (ss.mapping >= mappings_.size() || !mappings_[ss.mapping].live) return "session of a dead mapping";
    if (!(ss.key.mapping == mappings_[ss.mapping].key)) return "session names another mapping";
    if (find_session(ss.key) != s) return "session index does not find a live session";
    if (find_group(ss.mapping, ss.key.remote) == npos) return "remote index does not find a live session's pair";
    if (ss.external_port != mappings_[ss.mapping].external_port) return "session has a stale external port";
  }
  for (std::uint32_t c = 0; c < clients_.size(); ++c) {
    if (client_index_.find(client_hash(clients_[c].address),
                           [&](std::uint32_t i) { return i == c; }) != c)
      continue;
    ++live_clients;
    std::size_t sessions = 0, n = 0;
    for (std::uint32_t m = clients_[c].mappings.first; m != npos; m = mappings_[m].client_links.next, ++n) {
      if (n > mappings_.size()) return "client mapping list loops";
      sessions += mappings_[m].sessions.size;
    }
    if (sessions != clients_[c].sessions) return "client session count is wrong";
  }
  if (live_m != mapping_count() || live_m != mapping_index_.size()) return "mapping count disagrees";
  std::size_t grouped = 0, used_groups = 0;
  for (const auto& g : groups_) {
    grouped += g.sessions;
    used_groups += g.sessions != 0 ? 1 : 0;
  }
  if (used_groups != remote_index_.size()) return "remote index holds a pair without sessions";
  if (live_s != session_count() || live_s != session_index_.size() || live_s != grouped ||
      remote_index_.size() + free_groups_.size() != groups_.size() || live_s != sessions_in_lists)
    return "session count disagrees";
  if (live_clients != client_index_.size() || live_clients + free_clients_.size() != clients_.size())
    return "client count disagrees";
  std::size_t timed = 0;
  for (std::size_t c = 0; c < timeout_class_count; ++c) timed += timers_.size(static_cast<timeout_class>(c));
  if (timed != live_s) return "timer queues disagree with the sessions";
  if (live_s > config_.max_sessions || live_m > config_.max_mappings) return "table over its bound";
  for (std::size_t p = 0; p < nat_protocol_count; ++p) {
    if (ports_[p].managed_count() - ports_[p].free_count() != mapped[p] + reserved_count_[p])
      return "a port is held by no live mapping (leaked)";
  }
  return nullptr;
}

}  // namespace aw::nat
