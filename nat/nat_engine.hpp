// nat/nat_engine.hpp — the NAT engine: endpoint-independent mappings (one external port
// or ICMP id per internal endpoint) with their sessions (the flow table), filtering,
// hairpinning, ICMP query and error translation, fragments, expiry and bounds. Pure:
// values in, new packets out; time is a parameter; no allocation after construction
// besides the pool buffer a translated packet takes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "nat/config.hpp"
#include "nat/counters.hpp"
#include "nat/flow.hpp"
#include "nat/fragment_table.hpp"
#include "nat/index_list.hpp"
#include "nat/index_table.hpp"
#include "nat/port_allocator.hpp"
#include "nat/tcp_state.hpp"
#include "nat/timer_queues.hpp"
#include "nat/zeroed_array.hpp"
#include "protocol/address.hpp"
#include "protocol/buffer.hpp"
#include "protocol/packet.hpp"
#include "protocol/result.hpp"

namespace aw::nat {

struct translation {
  proto::packet pkt;
  destination to = destination::uplink;
  proto::ipv4_address client;  // to == client: the client it goes to
};

using nat_result = result<translation, nat_drop>;

// State: a mapping per internal endpoint (protocol, client, port or query id)
// -> external port or id (endpoint-independent: RFC 4787 REQ-1, 5382 REQ-1,
// 5508 REQ-1), and under it the sessions (+ remote address and port), each
// with its own timer. A mapping lives as long as it has sessions; its port
// goes back to the free set with the last one.
//
// Only outbound_new creates state. Inbound traffic is translated through a
// session (refreshing it when inbound_refresh) or, without one, through the
// mapping if filtering lets the remote in (address-dependent: the mapping has
// a live session to that address; endpoint-independent: any live mapping);
// it creates no session, so the client's answer is a new outbound flow for
// the caller's rules. Hairpinned packets are filtered the same way at the
// receiving mapping. An ICMP error needs the live session its quote names
// (an error from a client: or a remote its mapping's filter admits).
class nat_engine {
 public:
  explicit nat_engine(const nat_config& config);
  // Movable (the tables move with it), not copyable.
  nat_engine(const nat_engine&) = delete;
  nat_engine& operator=(const nat_engine&) = delete;
  nat_engine(nat_engine&&) noexcept = default;
  nat_engine& operator=(nat_engine&&) noexcept = default;

  // A packet from a client (bytes start at the IPv4 header; size equal to its
  // total length). Translated through an existing live session only; a miss is
  // nat_drop::no_session, for the caller to check its rules and call outbound_new.
  // ICMP errors are translated through the quoted header (never a session).
  // A packet to the external address is hairpinned to the client owning the
  // mapped port (to == client).
  nat_result outbound(const proto::packet& p, clock_time now, proto::buffer_pool& pool) noexcept;
  // As outbound, creating the session (and the mapping if none) on a miss.
  // Errors besides outbound's: out_of_ports, client_cap, table_full.
  nat_result outbound_new(const proto::packet& p, clock_time now, proto::buffer_pool& pool) noexcept;
  // A packet from the uplink to the external address.
  nat_result inbound(const proto::packet& p, clock_time now, proto::buffer_pool& pool) noexcept;
  // p, a first fragment, was refused (by the caller's rules; the calls above do it
  // for their own refusals): the datagram's other fragments are dropped as they come
  // (fragment_refused) instead of waiting in the hold, and those held already go.
  void refuse_fragments(const proto::packet& p, direction d, clock_time now) noexcept;
  // Non-first fragments that were held (nat_drop::fragment_held) and have since
  // been translated: appended to out; returns how many.
  std::size_t take_released(std::vector<translation>& out);

  // Removes every session whose timer ran out at now, and mappings left
  // without sessions; returns the sessions removed.
  std::size_t expire(clock_time now) noexcept;
  // Removes every mapping and session of the client; returns the mappings removed.
  std::size_t remove_client(proto::ipv4_address client) noexcept;
  // Keeps only the sessions for which keep(const session_info&) is true (a rule
  // reload); mappings left without sessions go. Returns the sessions removed.
  template <class Keep>
  std::size_t retain_sessions(Keep&& keep) {
    return retain_impl([](void* k, const session_info& s) { return (*static_cast<Keep*>(k))(s); },
                       static_cast<void*>(&keep));
  }

  // Ports (or ICMP ids) kept out of the free set, e.g. for the DNS resolver.
  bool reserve_port(nat_protocol p, std::uint16_t port) noexcept;
  void release_reserved_port(nat_protocol p, std::uint16_t port) noexcept;

  [[nodiscard]] const nat_counters& counters() const noexcept { return counters_; }
  [[nodiscard]] const nat_config& config() const noexcept { return config_; }
  [[nodiscard]] std::size_t mapping_count() const noexcept { return mappings_.size() - free_mappings_.size(); }
  [[nodiscard]] std::size_t session_count() const noexcept { return sessions_.size() - free_sessions_.size(); }
  [[nodiscard]] std::size_t mapping_count(proto::ipv4_address client) const noexcept;
  // The external port of an existing mapping (live or not yet reaped).
  [[nodiscard]] std::optional<std::uint16_t> external_port(nat_protocol p, proto::ipv4_address client,
                                                           std::uint16_t port) const noexcept;
  // The reverse view: the internal endpoint mapped to an external port.
  [[nodiscard]] std::optional<mapping_key> mapping_of_external(nat_protocol p, std::uint16_t port) const noexcept;
  [[nodiscard]] bool is_port_free(nat_protocol p, std::uint16_t port) const noexcept;
  [[nodiscard]] std::size_t free_ports(nat_protocol p) const noexcept;
  [[nodiscard]] std::vector<session_info> sessions() const;
  [[nodiscard]] std::size_t fragment_flows() const noexcept { return fragments_.flows(); }
  [[nodiscard]] std::size_t held_fragments() const noexcept { return fragments_.held(); }
  // Bytes of all tables (all allocated at construction).
  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  // Checks every internal invariant (indexes agree with the slots, ports held
  // by exactly the live mappings and reservations, bounds); nullptr when all
  // hold, else what failed. O(mappings + sessions).
  [[nodiscard]] const char* audit() const noexcept;

 private:
  struct mapping {
    mapping_key key;
    std::uint16_t external_port = 0;
    bool live = false;
    std::uint32_t generation = 0;
    std::uint32_t client = npos;  // client slot
    list_links client_links;      // the client's mappings
    list_head sessions;           // this mapping's sessions
  };
  // What a packet touches sits together: key, external port, timer, state.
  struct alignas(64) session {
    session_key key;
    std::uint16_t external_port = 0;  // the mapping's, kept here to spare a cache miss
    bool live = false;
    tcp_tracker tcp;
    std::uint32_t mapping = npos;
    timer_node timer;
    list_links mapping_links;
  };
  // The reverse view: external port -> mapping slot, with the mapping's key
  // so an inbound packet finds its session without touching the mapping.
  struct external_entry {
    std::uint32_t slot_plus_one = 0;  // 0: none, so a zeroed table is empty
    mapping_key key;
    [[nodiscard]] std::uint32_t mapping() const noexcept { return slot_plus_one - 1; }  // npos when none
  };
  struct client_entry {
    proto::ipv4_address address;
    list_head mappings;
    std::uint32_t sessions = 0;
  };
  struct flow;  // a parsed packet
  bool evict_for_client(std::uint32_t client) noexcept;

  nat_result outbound_impl(const proto::packet& p, clock_time now, proto::buffer_pool& pool, bool create) noexcept;
  nat_result inbound_impl(const proto::packet& p, clock_time now, proto::buffer_pool& pool) noexcept;
  nat_result icmp_error_out(const proto::packet& p, clock_time now, proto::buffer_pool& pool) noexcept;
  nat_result icmp_error_in(const proto::packet& p, clock_time now, proto::buffer_pool& pool) noexcept;
  nat_result fragment(const flow& f, direction d, const proto::packet& p, clock_time now,
                      proto::buffer_pool& pool) noexcept;
  void learn_fragment(const flow& f, direction d, const translation& t, std::uint32_t m, clock_time now,
                      proto::buffer_pool& pool) noexcept;
  clock_time advance(clock_time now) noexcept;

  std::uint32_t find_mapping(const mapping_key& k) const noexcept;
  std::uint32_t find_session(const session_key& k) const noexcept;
  std::uint32_t mapping_by_external(nat_protocol p, std::uint16_t port) const noexcept {
    return by_external_[static_cast<std::size_t>(p)][port].mapping();
  }
  // The live session of k, reaping it when its time ran out.
  std::uint32_t live_session(const session_key& k, clock_time now) noexcept;
  // Inbound filtering: may remote send to mapping m (RFC 4787 REQ-8)?
  bool filter_allows(std::uint32_t m, proto::ipv4_address remote, clock_time now) const noexcept;
  void touch(std::uint32_t s, direction d, std::uint8_t tcp_flags, clock_time now) noexcept;
  result<std::uint32_t, nat_drop> create_session(const mapping_key& k, proto::ipv4_address remote,
                                                 std::uint16_t remote_port, std::uint8_t tcp_flags,
                                                 clock_time now) noexcept;
  bool evict_for_session() noexcept;
  bool evict_for_mapping() noexcept;
  void free_session(std::uint32_t s) noexcept;    // the slot only; the mapping stays
  void remove_session(std::uint32_t s) noexcept;  // and its mapping when it was the last
  void remove_mapping(std::uint32_t m) noexcept;  // with its sessions
  std::size_t retain_impl(bool (*keep)(void*, const session_info&), void* ctx);
  session_info info(std::uint32_t s) const noexcept;
  port_allocator& ports(nat_protocol p) noexcept { return ports_[static_cast<std::size_t>(p)]; }

  nat_config config_;
  nat_counters counters_;
  clock_time now_{};  // the latest time seen: time never runs backwards inside
  port_rng rng_;
  std::array<port_allocator, nat_protocol_count> ports_;
  std::array<zeroed_array<external_entry>, nat_protocol_count> by_external_;
  std::array<std::vector<bool>, nat_protocol_count> reserved_;
  std::array<std::size_t, nat_protocol_count> reserved_count_{};
  std::vector<mapping> mappings_;
  std::vector<std::uint32_t> free_mappings_;
  index_table mapping_index_;
  std::vector<session> sessions_;
  std::vector<std::uint32_t> free_sessions_;
  index_table session_index_;
  // Each distinct (mapping slot, remote address) with its number of sessions, indexed
  // once per pair (not per session: one pair's sessions must not pile up on one hash).
  // Inbound filtering of a miss asks it in O(1), however many sessions the mapping has:
  // a spoofed source aimed at a busy mapping must not cost a scan of them. The hash is
  // salted per engine, as clients choose the remote addresses.
  struct remote_group {
    std::uint32_t mapping = npos;
    proto::ipv4_address remote;
    std::uint32_t sessions = 0;
  };
  std::vector<remote_group> groups_;
  std::vector<std::uint32_t> free_groups_;
  index_table remote_index_;
  // Mixed into every index's slot choice (the fragment table's too): clients choose addresses
  // and ports, anyone on the Internet inbound fragments' keys, and with a known hash they
  // could aim many flows at one probe run (hash flooding).
  std::uint64_t hash_salt_ = 0;
  [[nodiscard]] std::uint32_t slot_hash(std::uint32_t h) const noexcept { return salted_hash(h, hash_salt_); }
  [[nodiscard]] std::uint32_t client_hash(proto::ipv4_address a) const noexcept { return slot_hash(mix64(a.value)); }
  std::uint32_t remote_hash(std::uint32_t m, proto::ipv4_address remote) const noexcept;
  std::uint32_t find_group(std::uint32_t m, proto::ipv4_address remote) const noexcept;
  void group_add(std::uint32_t m, proto::ipv4_address remote) noexcept;
  void group_remove(std::uint32_t m, proto::ipv4_address remote) noexcept;
  timer_queues<session> timers_;
  std::vector<client_entry> clients_;
  std::vector<std::uint32_t> free_clients_;
  index_table client_index_;
  fragment_table fragments_;
  std::vector<translation> released_;
};

}  // namespace aw::nat
