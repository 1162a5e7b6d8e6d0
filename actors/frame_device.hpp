// actors/frame_device.hpp — what a port actor drives: a non-blocking source and sink of
// Ethernet frames with a pollable fd (a Linux link, or a Xen netback connection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "protocol/buffer.hpp"
#include "protocol/packet.hpp"

namespace aw::actors {

class frame_device {
 public:
  virtual ~frame_device() = default;
  // Readable when frames may be waiting.
  [[nodiscard]] virtual int fd() const = 0;
  // Appends up to max frames without blocking; returns how many.
  virtual std::size_t receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) = 0;
  // Queues frames for transmission without blocking; returns how many were taken.
  virtual std::size_t send(std::span<const proto::packet> frames) = 0;
  // Frames send() took that still wait for room on the link (a netfront's ring full,
  // the backend behind): the uplink port holds the firewall's egress credit while any wait,
  // so a slow netvm slows the clients instead of costing drops after rules and NAT.
  [[nodiscard]] virtual std::size_t tx_queued() const { return 0; }
  // Moves waiting frames on and takes the link's notifications without receiving (a port
  // out of ingress credit still needs its egress to progress).
  virtual void flush() {}
  // The device's own counters as "name value" lines, each name prefixed.
  [[nodiscard]] virtual std::string counters(const std::string& prefix) const = 0;
  // True once the device has gone for good (a TAP deleted with its namespace, a vif
  // disconnected): its port stops with port_device_gone() and the supervisor waits
  // for a new device (port_spec::open) without counting a crash.
  [[nodiscard]] virtual bool gone() const { return false; }
  // Changes when the link behind the device is a new one (the uplink's netvm came back,
  // maybe another netvm): what was learnt about the other end (its MAC) may be stale.
  [[nodiscard]] virtual std::uint64_t generation() const { return 0; }
};

}  // namespace aw::actors
