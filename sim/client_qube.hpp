// sim/client_qube.hpp — a simulated client qube: its vif's netfront (the xenbus frontend and
// data path, as Linux netfront) and a traffic script that checks every answer: ping, DNS,
// UDP echo, an HTTP-like TCP exchange, and a TCP port its rules refuse.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/netfront_device.hpp"
#include "protocol/address.hpp"
#include "protocol/buffer.hpp"
#include "sim/responder.hpp"

namespace aw::sim {

// What a client's script does each round, each answered or not.
enum class probe : std::uint8_t { ping, dns, udp_echo, tcp_exchange, tcp_refused };
inline constexpr std::size_t probe_count = 5;
std::string_view to_string(probe p) noexcept;

struct client_plan {
  proto::ipv4_address ip;
  proto::mac_address mac;
  proto::mac_address gateway_mac{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};  // Qubes: every backend's vif
  proto::ipv4_address dns_server;
  std::string dns_name;                  // asked each round
  proto::ipv4_address remote;            // pinged, UDP port 7, TCP port 80 (and 8080, refused)
};

struct probe_counts {
  std::uint64_t sent = 0, answered = 0, wrong = 0;  // wrong: an unexpected answer (e.g. DNS NXDOMAIN)
};

class client_qube {
 public:
  client_qube(client_plan plan, std::unique_ptr<actors::netfront_device> vif);
  // Takes what arrived and answers its part of the exchanges; starts a new round when
  // `round_due` (only while connected; a warm-up ping until one is answered). Returns
  // whether anything arrived. The counters belong to the polling thread.
  bool poll(bool round_due);
  [[nodiscard]] bool connected() const { return vif_->connected(); }
  [[nodiscard]] const probe_counts& counts(probe p) const { return counts_[static_cast<std::size_t>(p)]; }
  [[nodiscard]] const client_plan& plan() const { return plan_; }
  [[nodiscard]] std::uint64_t bad_checksums() const { return bad_checksums_; }
  [[nodiscard]] std::string counters(const std::string& prefix) const { return vif_->counters(prefix); }

 private:
  void start_round();
  void on_packet(const byte_vector& ip);
  void send(const byte_vector& ip);
  probe_counts& count(probe p) { return counts_[static_cast<std::size_t>(p)]; }

  client_plan plan_;
  std::unique_ptr<actors::netfront_device> vif_;
  proto::buffer_pool pool_;
  std::array<probe_counts, probe_count> counts_{};
  std::uint16_t round_ = 0;
  // Rounds are counted once a first ping went through: until then (the uplink still
  // asking the gateway's MAC, the vif just connected) a lost probe says nothing.
  bool ready_ = false;
  std::uint64_t bad_checksums_ = 0;
  std::vector<proto::packet> frames_;  // scratch
};

}  // namespace aw::sim
