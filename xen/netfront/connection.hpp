// xen/netfront/connection.hpp — the frontend data path (for an uplink through a backend
// domain, and the simulated client qubes): shares its rings and buffer pages, transmits by
// copying frames into its own granted pages, receives by copying out of them, and treats the
// backend as hostile (response ids, bounds, producers going backwards).
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
#include "protocol/named_enum.hpp"
#include "protocol/packet.hpp"
#include "xen/event_channels.hpp"
#include "xen/event_wakeups.hpp"
#include "xen/grant_sharer.hpp"
#include "xen/netif_ring.hpp"

namespace aw::xen::netfront {

// What the backend offered (its feature-* keys), read before connecting.
struct backend_features {
  bool sg = false;
  bool gso_tcpv4 = false;
  bool gso_tcpv6 = false;
  bool ipv6_csum_offload = false;
};

// The keys to publish in the frontend directory (then state Connected).
struct published_keys {
  grant_ref tx_ring_ref = 0;
  grant_ref rx_ring_ref = 0;
  evtchn_port event_channel = 0;
};

#define AW_NETFRONT_DROPS(X)                                                      \
  X(tx_ring_full, "tx_ring_full")            /* no free slots or pages now */    \
  X(tx_too_big, "tx_too_big")                /* over 64 KiB, or over one page without sg */ \
  X(tx_gso_not_offered, "tx_gso_not_offered") /* GSO the backend did not offer */ \
  X(tx_error, "tx_error")                    /* the backend answered ERROR/DROPPED */ \
  X(rx_error, "rx_error")                    /* a response with an error status */ \
  X(rx_bad_response, "rx_bad_response")      /* offset/size out of the page, chain too long */ \
  X(rx_no_buffer, "rx_no_buffer")            /* the pool is at its bound */      \
  X(closed, "closed")
AW_NAMED_ENUM(front_drop, AW_NETFRONT_DROPS)

#define AW_NETFRONT_FATALS(X)                                           \
  X(tx_rsp_prod_implausible, "fatal_tx_rsp_prod_implausible")           \
  X(rx_rsp_prod_implausible, "fatal_rx_rsp_prod_implausible")           \
  X(tx_bad_response_id, "fatal_tx_bad_response_id")                    \
  X(event_channel_failed, "fatal_event_channel_failed")
AW_NAMED_ENUM(front_fatal, AW_NETFRONT_FATALS)

struct front_counters {
  std::uint64_t tx_packets = 0, tx_bytes = 0, rx_packets = 0, rx_bytes = 0;
  wakeup_counters wakeups;
  std::array<std::uint64_t, front_drop_count> drops{};
  std::optional<front_fatal> fatal;

  // Adds another connection's counts (an uplink's totals over its reconnects).
  front_counters& operator+=(const front_counters& other) noexcept;
};

// "name value" lines, each name prefixed; zero counters left out.
std::string format_counters(const front_counters& c, const std::string& prefix);

class connection {
 public:
  // Bounds on frames queued behind a full ring (beyond them: tx_ring_full drops). With the
  // uplink port's egress back-pressure the firewall stops sending soon after the ring
  // fills, but the batches already credited (4 per busy port, 256 frames each) still come:
  // the backlog takes four busy ports' worth, and at most 8 MiB (GSO packets).
  static constexpr std::size_t tx_backlog_max = 16 * 256;
  static constexpr std::size_t tx_backlog_bytes_max = std::size_t{8} << 20;

  // Shares two ring pages and one page per ring slot for each direction with
  // `backend`, initialises the rings, posts rx buffers (every slot; fewer to play a client
  // short of buffers) and allocates the event channel. Publish keys(), then connect() once
  // the backend answers.
  static xen_result<std::unique_ptr<connection>> create(std::unique_ptr<grant_sharer> sharer,
                                                        std::unique_ptr<event_channels> events, domid backend,
                                                        std::uint32_t rx_buffers = netif::rx_ring_size);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  [[nodiscard]] published_keys keys() const noexcept { return keys_; }
  // The backend connected with these features: sending may start.
  void connect(const backend_features& f) noexcept {
    features_ = f;
    connected_ = true;
  }
  // Readable when there is work: an event from the backend, or rx responses left over from a
  // receive() that hit its bound.
  [[nodiscard]] int fd() const noexcept { return wakeups_->fd(); }

  // Frames the backend delivered, up to max; also reclaims answered tx slots.
  std::size_t receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool);
  // Copies frames into free tx pages and publishes them; frames the ring
  // cannot take now wait in a bounded backlog (sent as responses free pages,
  // from receive()); beyond it they are dropped (tx_ring_full). Returns how
  // many were taken (sent or queued).
  std::size_t send(std::span<const proto::packet> frames);

  // Frames send() queued behind a full ring.
  [[nodiscard]] std::size_t tx_queued() const noexcept { return tx_backlog_.size(); }
  // Takes the backend's notifications, reclaims answered tx slots and sends what waited,
  // without receiving (rx frames stay on the ring for the next receive()).
  void poll_tx();

  // Ends the event channel, then the grants (revocation waits for the backend to unmap).
  void close() noexcept;
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  [[nodiscard]] const front_counters& counters() const noexcept { return counters_; }
  [[nodiscard]] std::string counters_text(const std::string& prefix) const;
  // Tx slots waiting for the backend's answer (pages not reusable yet).
  [[nodiscard]] std::size_t tx_in_flight() const noexcept;

 private:
  connection(std::unique_ptr<grant_sharer> sharer, std::unique_ptr<event_channels> events)
      : sharer_(std::move(sharer)), events_(std::move(events)) {}
  void fail(front_fatal why) noexcept;
  // Takes the event channel's notifications (the port stays masked until settle_events);
  // whether one woke this call, nullopt when the channel failed (then closed).
  std::optional<bool> take_events();
  // After the work: the port unmasked (or, for a backend notifying without work, later).
  void settle_events(bool woken);
  void service_tx();
  void reclaim_tx();
  void process_rx(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool);
  void post_rx(std::uint32_t count);
  // Places one frame on the tx ring; false when the ring or the pages are short now.
  bool place_tx(const proto::packet& f);
  void flush_tx();

  std::unique_ptr<grant_sharer> sharer_;
  std::unique_ptr<event_channels> events_;
  shared_pages tx_ring_page_, rx_ring_page_, tx_pages_, rx_pages_;
  published_keys keys_;
  evtchn_port port_ = 0;
  std::unique_ptr<event_wakeups> wakeups_;
  // Ring positions at the last settle: the backend's work since (answers) counts for its events.
  std::uint32_t tx_rsp_settled_ = 0, rx_rsp_settled_ = 0;
  netif::front_ring tx_front_, rx_front_;
  // Tx ids are page numbers; a page is free again only after its response.
  std::vector<std::uint16_t> tx_free_;
  std::array<bool, netif::tx_ring_size> tx_outstanding_{};
  std::deque<proto::packet> tx_backlog_;
  std::size_t tx_backlog_bytes_ = 0;
  backend_features features_;
  bool connected_ = false;
  bool closed_ = false;
  front_counters counters_;
};

}  // namespace aw::xen::netfront
