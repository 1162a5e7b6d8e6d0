// xen/netback/connection.hpp — one connected client vif's data path: owns the mapped tx/rx
// rings and the event channel, takes frames from the frontend (tx) and delivers frames
// into its posted buffers (rx), treating the frontend as hostile.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/buffer.hpp"
#include "protocol/packet.hpp"
#include "xen/event_channels.hpp"
#include "xen/event_wakeups.hpp"
#include "xen/grant_mapper.hpp"
#include "xen/netback/tx_chain.hpp"

namespace aw::xen::netback {

// What the frontend published in XenStore, read once at connect.
struct frontend_keys {
  domid frontend = 0;
  grant_ref tx_ring_ref = 0;
  grant_ref rx_ring_ref = 0;
  evtchn_port tx_port = 0;  // event-channel, or event-channel-tx
  evtchn_port rx_port = 0;  // equal to tx_port unless split
  bool sg = false;                 // takes rx packets over several slots
  bool gso_tcpv4 = false;          // takes rx GSO super-packets
  bool gso_tcpv6 = false;
  bool csum_offload = true;        // !feature-no-csum-offload: takes blank IPv4 checksums
  bool ipv6_csum_offload = false;  // takes blank IPv6 checksums
};

struct connection_config {
  tx_limits tx;                       // what we offered and accept
  std::uint32_t tx_packets_per_call = 256;  // work bound per receive(): one flooding client cannot starve others
  std::size_t rx_backlog = 256;       // packets waiting for rx buffers; more are dropped
  // ...and the pool memory they pin: a queued frame holds its payload's block in the
  // pool of the port it came from (the uplink's: 256 large blocks for every client),
  // so a client that stops posting buffers may hold only a few large blocks (16).
  // Charged per frame: its block's size (2 KiB, or 64.5 KiB above 2 KiB), not its own.
  std::size_t rx_backlog_bytes = std::size_t{1} << 20;
};

#define AW_NETBACK_RX_DROPS(X)                                                  \
  X(no_buffers, "rx_no_buffers")          /* the frontend posted too few */    \
  X(too_big, "rx_too_big")                /* over 64 KiB or over the ring */   \
  X(needs_sg, "rx_needs_sg")              /* over one page, no feature-sg */   \
  X(gso_not_offered, "rx_gso_not_offered") /* frontend takes no such GSO */    \
  X(checksum_failed, "rx_checksum_failed") /* could not complete a blank checksum */ \
  X(copy_failed, "rx_grant_copy_failed")  /* e.g. a read-only buffer grant */  \
  X(closed, "rx_closed")                  /* sent after disconnect */
AW_NAMED_ENUM(rx_drop, AW_NETBACK_RX_DROPS)

struct connection_counters {
  std::uint64_t tx_packets = 0, tx_bytes = 0, tx_gso_packets = 0;
  std::uint64_t rx_packets = 0, rx_bytes = 0;
  wakeup_counters wakeups;
  std::array<std::uint64_t, tx_drop_count> tx_drops{};
  std::array<std::uint64_t, rx_drop_count> rx_drops{};
  std::optional<netback_fatal> fatal;

  // Adds another connection's counts (a vif's totals over its reconnects).
  connection_counters& operator+=(const connection_counters& other) noexcept;
};

// "name value" lines, each name prefixed; zero counters left out.
std::string format_counters(const connection_counters& c, const std::string& prefix);

class connection {
 public:
  // Maps both rings and binds the event channel(s); the handles become the
  // connection's own. Errors leave nothing mapped or bound.
  static xen_result<std::unique_ptr<connection>> connect(std::unique_ptr<grant_mapper> grants,
                                                         std::unique_ptr<event_channels> events,
                                                         const frontend_keys& keys, connection_config config = {});
  ~connection();  // close()
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Readable when there is work: an event from the frontend, or tx requests
  // left over from a receive() that hit its bound.
  [[nodiscard]] int fd() const noexcept { return wakeups_->fd(); }

  // Frames the frontend transmitted (Ethernet, offload state in the meta),
  // up to max, appended to out; also delivers rx frames that waited for
  // buffers. Non-blocking; 0 after close().
  std::size_t receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool);
  // Frames for the frontend: delivered into its posted buffers now, or queued
  // (bounded) until it posts more. Returns how many were taken.
  std::size_t send(std::span<const proto::packet> frames);

  // Stops all I/O: unbinds the event channel(s), then unmaps the rings.
  // Idempotent; afterwards nothing touches the frontend's pages.
  void close() noexcept;
  [[nodiscard]] bool closed() const noexcept { return !tx_ring_.mapped(); }
  [[nodiscard]] const connection_counters& counters() const noexcept { return counters_; }
  // "name value" lines, each name prefixed; zero counters left out.
  [[nodiscard]] std::string counters_text(const std::string& prefix) const;
  [[nodiscard]] const frontend_keys& keys() const noexcept { return keys_; }

 private:
  connection(std::unique_ptr<grant_mapper> grants, std::unique_ptr<event_channels> events, const frontend_keys& keys,
             connection_config config);
  void fail(netback_fatal why) noexcept;
  void process_tx(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool);
  void flush_rx();
  std::optional<proto::packet> prepare_rx(const proto::packet& frame);

  connection_config config_;
  frontend_keys keys_;
  std::unique_ptr<grant_mapper> grants_;
  std::unique_ptr<event_channels> events_;
  // The only holders of the frontend's ring pages (see closed()).
  grant_mapping tx_ring_, rx_ring_;
  netif::back_ring tx_back_, rx_back_;
  evtchn_port tx_local_ = 0, rx_local_ = 0;
  std::unique_ptr<event_wakeups> wakeups_;
  // Ring positions at the last settle: work done in between (also rx work done by
  // send(), between two receive() calls) counts for the events that asked for it.
  std::uint32_t tx_cons_settled_ = 0, rx_cons_settled_ = 0;
  std::deque<proto::packet> rx_backlog_;
  std::size_t rx_backlog_bytes_ = 0;
  void pop_rx_backlog() noexcept;
  proto::buffer_pool scratch_pool_;  // completed checksums on the rx side
  connection_counters counters_;
  // Per-call scratch, kept to avoid allocation: the drain's packets (chain, buffer, its
  // copy segments) and the copy segments of all.
  struct planned_tx {
    tx_chain chain;
    std::optional<proto::unique_buffer> buffer;
    std::size_t first_segment = 0, end_segment = 0;
  };
  std::vector<planned_tx> batch_;
  std::vector<copy_segment> segments_;
};

}  // namespace aw::xen::netback
