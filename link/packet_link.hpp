// link/packet_link.hpp — an AF_PACKET socket on an existing interface (a firewall qube's
// eth0 as the uplink; a veth end in the lab), batched with recvmmsg/sendmmsg.
#pragma once

#include <linux/if_packet.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "link/link.hpp"
#include "link/os_error.hpp"
#include "link/rx_slot.hpp"
#include "link/unique_fd.hpp"
#include "protocol/address.hpp"
#include "protocol/result.hpp"

namespace aw::link {

struct packet_link_config {
  std::string interface;  // an existing interface of the calling thread's network namespace
  // PACKET_VNET_HDR: offload state and GRO/GSO super-packets both ways.
  // Falls back to plain frames (has_vnet_header() false) if the kernel refuses.
  bool vnet_header = true;
  // Offer a 64.5 KiB scratch per batch slot, for GRO super-packets (which
  // arrive even without vnet headers while GRO is on): batch x 64.5 KiB of
  // large pool blocks stay held (2 MiB at batch 32). Without it, frames over
  // the small class (2 KiB) are dropped as truncated: turn GRO off then.
  bool large_frames = true;
  bool promiscuous = false;  // PACKET_MR_PROMISC while the link is open
  std::size_t batch = 32;    // messages per recvmmsg / sendmmsg
  int socket_buffer = 0;     // SO_RCVBUF/SO_SNDBUF in bytes; 0 keeps the defaults
};

// Receives every frame the interface receives (PACKET_IGNORE_OUTGOING: not
// the ones sent through it, ours or the kernel's own); sends frames as is.
class packet_link final : public link {
 public:
  // Opens in the calling thread's network namespace (see netns::run_in).
  static result<std::unique_ptr<packet_link>, os_error> open(const packet_link_config& config);

  [[nodiscard]] int fd() const noexcept override { return fd_.get(); }
  [[nodiscard]] const std::string& name() const noexcept override { return config_.interface; }
  [[nodiscard]] link_offloads offloads() const noexcept override { return {vnet_, vnet_}; }
  [[nodiscard]] int ifindex() const noexcept { return ifindex_; }
  // The interface's own MAC (what its peers address it by).
  [[nodiscard]] const proto::mac_address& mac() const noexcept { return mac_; }
  // Whether frames carry virtio-net headers (offload state) on this kernel.
  [[nodiscard]] bool has_vnet_header() const noexcept { return vnet_; }

  std::size_t receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) noexcept override;
  std::size_t send(std::span<const proto::packet> frames) noexcept override;

 private:
  packet_link(unique_fd fd, packet_link_config config, int ifindex, proto::mac_address mac, bool vnet);
  unique_fd fd_;
  packet_link_config config_;
  int ifindex_ = 0;
  proto::mac_address mac_;
  bool vnet_ = false;
  // Batch state, allocated once.
  std::vector<mmsghdr> msgs_;
  std::vector<std::array<iovec, 3>> iovs_;
  std::vector<sockaddr_ll> addrs_;
  std::vector<rx_slot> slots_;
  std::vector<vnet_header> tx_hdrs_;
  std::vector<std::size_t> tx_index_;
};

}  // namespace aw::link
