// link/tap_link.hpp — a TAP device with virtio-net headers: checksum offload and 64 KiB
// TSO/GSO frames both ways, non-blocking, batched by draining until EAGAIN.
#pragma once

#include <memory>
#include <string>

#include "link/link.hpp"
#include "link/os_error.hpp"
#include "link/rx_slot.hpp"
#include "link/unique_fd.hpp"
#include "protocol/address.hpp"
#include "protocol/result.hpp"

namespace aw::link {

struct tap_config {
  std::string name;  // empty: the kernel picks ("tap0", "tap1", ...)
  // TUN_F_CSUM: the kernel may hand over (and we send) partial checksums.
  bool checksum_offload = true;
  // TUN_F_TSO4 | TUN_F_TSO6 (needs checksum_offload): the kernel may hand
  // over 64 KiB TCP super-packets. Costs one large pool block (64.5 KiB)
  // held per link as the receive scratch, plus one per super-packet in flight.
  bool gso = true;
};

// The device lives as long as the link (not persistent): closing the fd
// deletes it, in whichever network namespace it was moved to.
class tap_link final : public link {
 public:
  static result<std::unique_ptr<tap_link>, os_error> open(const tap_config& config);

  [[nodiscard]] int fd() const noexcept override { return fd_.get(); }
  [[nodiscard]] const std::string& name() const noexcept override { return name_; }
  // A TAP takes partial checksums and GSO frames whatever TUNSETOFFLOAD said
  // (that governs only what the kernel hands over).
  [[nodiscard]] link_offloads offloads() const noexcept override { return {true, true}; }
  // The device's index in the namespace it was created in (before any move).
  [[nodiscard]] int ifindex() const noexcept { return ifindex_; }
  // The MAC of the kernel side of the link (the device's address), wherever it lives now.
  [[nodiscard]] proto::mac_address device_mac() const noexcept;
  [[nodiscard]] const tap_config& config() const noexcept { return config_; }
  // After a link_gone error: the tun file is detached from its device (TUNGETIFF
  // answers EBADFD), i.e. the device was deleted, e.g. with its namespace.
  [[nodiscard]] bool gone() const noexcept override;

  std::size_t receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) noexcept override;
  std::size_t send(std::span<const proto::packet> frames) noexcept override;

 private:
  tap_link(unique_fd fd, std::string name, int ifindex, tap_config config) noexcept;
  unique_fd fd_;
  std::string name_;
  int ifindex_ = 0;
  tap_config config_;
  rx_slot slot_;
};

}  // namespace aw::link
