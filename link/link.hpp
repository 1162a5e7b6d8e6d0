// link/link.hpp — the interface the actors use: a non-blocking, fd-driven Ethernet link.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "link/link_error.hpp"
#include "protocol/buffer.hpp"
#include "protocol/packet.hpp"

namespace aw::link {

// What send() accepts besides finished frames; a sender completes checksums
// (proto::complete_l4_checksum) and avoids GSO meta where these are false.
struct link_offloads {
  bool partial_checksum = false;  // frames with checksum_state::partial
  bool gso = false;               // TCP super-packets (gso tcpv4/tcpv6), segmented by the kernel
  friend bool operator==(const link_offloads&, const link_offloads&) = default;
};

// One Ethernet link. The owner (one actor) polls fd() for readability in its
// reactor and calls receive() when readable; no call ever blocks, throws or
// aborts on what the kernel or a peer hands it: problems become counters.
class link {
 public:
  link() = default;
  link(const link&) = delete;
  link& operator=(const link&) = delete;
  virtual ~link() = default;

  // The descriptor to poll (readable: frames wait; writable: send may proceed).
  [[nodiscard]] virtual int fd() const noexcept = 0;
  // The interface name as the kernel knows it (in the namespace it was opened in).
  [[nodiscard]] virtual const std::string& name() const noexcept = 0;
  [[nodiscard]] virtual link_offloads offloads() const noexcept = 0;

  // Appends up to max whole Ethernet frames to out, without blocking, with
  // the offload state (partial / verified checksum, GSO) in packet_meta and
  // meta.interface set to interface_id(). Returns how many were appended;
  // 0 when none were waiting. Frames the kernel handed over but that were
  // malformed are dropped and counted, never returned. Buffers come from
  // pool (the caller owns it: acquire is single-threaded).
  virtual std::size_t receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) noexcept = 0;

  // Sends frames (Ethernet, one or two slices each, never flattened) in as
  // few system calls as the link allows. Returns n: frames [0, n) are done,
  // each sent or dropped and counted (bad_offload, frame_too_large, io_error);
  // frames [n, end) were not tried because the kernel queue is full
  // (counted once in would_block): retry when fd() is writable, or drop.
  virtual std::size_t send(std::span<const proto::packet> frames) noexcept = 0;

  // True once the device is gone for good (deleted with the network namespace it was
  // moved to): nothing will be received or sent again, the owner closes the link and
  // may open a new one. A device that is only down is not gone. Links that cannot
  // tell say false.
  [[nodiscard]] virtual bool gone() const noexcept { return false; }

  [[nodiscard]] const link_counters& counters() const noexcept { return counters_; }
  // Stamped into meta.interface of every received frame.
  [[nodiscard]] std::uint32_t interface_id() const noexcept { return interface_id_; }
  void set_interface_id(std::uint32_t id) noexcept { interface_id_ = id; }

 protected:
  link_counters counters_;
  std::uint32_t interface_id_ = 0;
};

}  // namespace aw::link
