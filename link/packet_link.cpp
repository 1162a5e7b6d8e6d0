// link/packet_link.cpp — an AF_PACKET socket on an existing interface, batched.
#include "link/packet_link.hpp"

#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>

#include "link/errno_class.hpp"
#include "link/tx_frame.hpp"

namespace aw::link {

namespace {
int set_int(int fd, int level, int name, int value) noexcept {
  return ::setsockopt(fd, level, name, &value, sizeof value);
}
}  // namespace

result<std::unique_ptr<packet_link>, os_error> packet_link::open(const packet_link_config& config) {
  const std::string& ifname = config.interface;
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) return os_error{EINVAL, "bad interface name: " + ifname};
  const auto ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
  if (ifindex == 0) return os_error::from_errno("interface " + ifname);
  // Protocol 0 receives nothing until bind(): no frames of other interfaces slip in.
  unique_fd fd{::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (!fd) return os_error::from_errno("socket(AF_PACKET)");

  bool vnet = config.vnet_header && set_int(fd.get(), SOL_PACKET, PACKET_VNET_HDR, 1) == 0;
  // Older kernels (< 4.20) lack it; receive() also drops PACKET_OUTGOING.
  (void)set_int(fd.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
  if (config.socket_buffer > 0) {
    (void)set_int(fd.get(), SOL_SOCKET, SO_RCVBUF, config.socket_buffer);
    (void)set_int(fd.get(), SOL_SOCKET, SO_SNDBUF, config.socket_buffer);
  }

  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = ifindex;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0)
    return os_error::from_errno("bind AF_PACKET to " + ifname);

  if (config.promiscuous) {
    packet_mreq mr{};
    mr.mr_ifindex = ifindex;
    mr.mr_type = PACKET_MR_PROMISC;
    if (::setsockopt(fd.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0)
      return os_error::from_errno("PACKET_MR_PROMISC on " + ifname);
  }

  proto::mac_address mac;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
  if (::ioctl(fd.get(), SIOCGIFHWADDR, &ifr) < 0) return os_error::from_errno("SIOCGIFHWADDR " + ifname);
  std::memcpy(mac.bytes.data(), ifr.ifr_hwaddr.sa_data, mac.bytes.size());

  packet_link_config effective = config;
  effective.batch = std::clamp<std::size_t>(config.batch, 1, 1024);
  return std::unique_ptr<packet_link>(new packet_link(std::move(fd), std::move(effective), ifindex, mac, vnet));
}

packet_link::packet_link(unique_fd fd, packet_link_config config, int ifindex, proto::mac_address mac, bool vnet)
    : fd_(std::move(fd)),
      config_(std::move(config)),
      ifindex_(ifindex),
      mac_(mac),
      vnet_(vnet),
      msgs_(config_.batch),
      iovs_(config_.batch),
      addrs_(config_.batch),
      slots_(config_.batch),
      tx_hdrs_(config_.batch),
      tx_index_(config_.batch) {}

std::size_t packet_link::receive(std::vector<proto::packet>& out, std::size_t max,
                                 proto::buffer_pool& pool) noexcept {
  ++counters_.rx_calls;
  const std::size_t before = out.size();
  const std::size_t header = vnet_ ? vnet_header_size : 0;
  std::size_t reads = 0;  // frames taken from the kernel: at most max
  while (reads < max) {
    std::size_t k = std::min(config_.batch, max - reads);
    bool exhausted = false;
    for (std::size_t i = 0; i < k; ++i) {
      if (!slots_[i].prepare(pool, config_.large_frames)) {
        counters_.count(link_error::pool_exhausted);
        k = i;
        exhausted = true;
        break;
      }
      msghdr& m = msgs_[i].msg_hdr;
      m = msghdr{};
      m.msg_name = &addrs_[i];
      m.msg_namelen = sizeof(sockaddr_ll);
      m.msg_iov = iovs_[i].data();
      m.msg_iovlen = slots_[i].iovecs(iovs_[i], vnet_);
    }
    if (k == 0) break;
    const int r = ::recvmmsg(fd_.get(), msgs_.data(), static_cast<unsigned>(k), MSG_DONTWAIT, nullptr);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (!is_would_block(errno)) counters_.count(classify_errno(errno));
      break;
    }
    const auto got = static_cast<std::size_t>(r);
    for (std::size_t i = 0; i < got; ++i) {
      if (addrs_[i].sll_pkttype == PACKET_OUTGOING) continue;  // our own, on kernels without IGNORE_OUTGOING
      const std::size_t len = msgs_[i].msg_len;
      if (len < header) {
        counters_.count(link_error::bad_vnet_header);
        continue;
      }
      const bool truncated = (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
      slots_[i].deliver(len - header, truncated, vnet_, interface_id_, counters_, out);
    }
    reads += got;
    if (got < k || exhausted) break;  // drained, or out of buffers
  }
  return out.size() - before;
}

std::size_t packet_link::send(std::span<const proto::packet> frames) noexcept {
  ++counters_.tx_calls;
  std::size_t next = 0;  // frames before next are done
  while (next < frames.size()) {
    // Gather a batch, dropping (and counting) frames that cannot be sent.
    std::size_t k = 0, scan = next;
    for (; scan < frames.size() && k < config_.batch; ++scan) {
      auto n = tx_iovecs(frames[scan], vnet_, tx_hdrs_[k], iovs_[k]);
      if (!n) {
        counters_.count(n.error());
        continue;
      }
      msghdr& m = msgs_[k].msg_hdr;
      m = msghdr{};  // no address: the bound interface
      m.msg_iov = iovs_[k].data();
      m.msg_iovlen = *n;
      tx_index_[k++] = scan;
    }
    if (k == 0) {
      next = scan;
      continue;
    }
    const int r = ::sendmmsg(fd_.get(), msgs_.data(), static_cast<unsigned>(k), MSG_DONTWAIT);
    if (r < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      if (is_would_block(err)) {
        counters_.count(link_error::would_block);
        return tx_index_[0];
      }
      if (is_gone(err)) {
        counters_.count(link_error::link_gone, frames.size() - tx_index_[0]);
        return frames.size();
      }
      counters_.count(classify_errno(err));  // the first message was refused: drop it, go on
      next = tx_index_[0] + 1;
      continue;
    }
    const auto sent = static_cast<std::size_t>(r);
    if (sent == 0) {
      counters_.count(link_error::would_block);
      return tx_index_[0];
    }
    for (std::size_t i = 0; i < sent; ++i) {
      ++counters_.tx_frames;
      counters_.tx_bytes += frames[tx_index_[i]].size();
    }
    // A short count: the next message failed; the next round reports why.
    next = sent == k ? scan : tx_index_[sent];
  }
  return frames.size();
}

}  // namespace aw::link
