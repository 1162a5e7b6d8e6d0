// link/tap_link.cpp — a TAP device with virtio-net headers.
#include "link/tap_link.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <array>
#include <cstring>

#include "link/errno_class.hpp"
#include "link/tx_frame.hpp"

namespace aw::link {

result<std::unique_ptr<tap_link>, os_error> tap_link::open(const tap_config& config) {
  if (config.name.size() >= IFNAMSIZ) return os_error{EINVAL, "TAP name longer than 15 bytes: " + config.name};
  unique_fd fd{::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)};
  if (!fd) return os_error::from_errno("open /dev/net/tun");

  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  std::memcpy(ifr.ifr_name, config.name.data(), config.name.size());
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0) return os_error::from_errno("TUNSETIFF " + config.name);
  std::string name(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));

  int hdr_size = static_cast<int>(vnet_header_size);
  if (::ioctl(fd.get(), TUNSETVNETHDRSZ, &hdr_size) < 0) return os_error::from_errno("TUNSETVNETHDRSZ " + name);

  unsigned long offload = 0;
  if (config.checksum_offload) {
    offload |= TUN_F_CSUM;
    if (config.gso) offload |= TUN_F_TSO4 | TUN_F_TSO6;
  }
  if (::ioctl(fd.get(), TUNSETOFFLOAD, offload) < 0) return os_error::from_errno("TUNSETOFFLOAD " + name);

  int ifindex = static_cast<int>(::if_nametoindex(name.c_str()));
  tap_config effective = config;
  effective.name = name;
  effective.gso = config.checksum_offload && config.gso;
  return std::unique_ptr<tap_link>(new tap_link(std::move(fd), std::move(name), ifindex, std::move(effective)));
}

tap_link::tap_link(unique_fd fd, std::string name, int ifindex, tap_config config) noexcept
    : fd_(std::move(fd)), name_(std::move(name)), ifindex_(ifindex), config_(std::move(config)) {}

proto::mac_address tap_link::device_mac() const noexcept {
  ifreq ifr{};
  proto::mac_address mac;
  if (::ioctl(fd_.get(), SIOCGIFHWADDR, &ifr) == 0)
    std::memcpy(mac.bytes.data(), ifr.ifr_hwaddr.sa_data, mac.bytes.size());
  return mac;
}

bool tap_link::gone() const noexcept {
  if (counters_[link_error::link_gone] == 0) return false;  // no system call on the data path
  ifreq ifr{};
  return ::ioctl(fd_.get(), TUNGETIFF, &ifr) < 0 && errno == EBADFD;
}

std::size_t tap_link::receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) noexcept {
  ++counters_.rx_calls;
  const std::size_t before = out.size();
  // One readv per frame, at most max of them: the bound holds even when
  // every frame is dropped as malformed.
  for (std::size_t reads = 0; reads < max;) {
    if (!slot_.prepare(pool, config_.gso)) {
      counters_.count(link_error::pool_exhausted);
      break;
    }
    std::array<iovec, 3> iov{};
    const std::size_t n = slot_.iovecs(iov, true);
    const ssize_t r = ::readv(fd_.get(), iov.data(), static_cast<int>(n));
    if (r < 0) {
      if (errno == EINTR) continue;
      if (!is_would_block(errno)) counters_.count(classify_errno(errno));
      break;
    }
    ++reads;
    const auto total = static_cast<std::size_t>(r);
    if (total < vnet_header_size) {
      counters_.count(link_error::bad_vnet_header);
      continue;
    }
    const std::size_t frame = total - vnet_header_size;
    // With IFF_NO_PI the kernel truncates silently: a full buffer may have been cut.
    slot_.deliver(frame, frame >= slot_.capacity(), true, interface_id_, counters_, out);
  }
  return out.size() - before;
}

std::size_t tap_link::send(std::span<const proto::packet> frames) noexcept {
  ++counters_.tx_calls;
  vnet_header hdr{};
  std::array<iovec, 3> iov{};
  for (std::size_t i = 0; i < frames.size(); ++i) {
    auto n = tx_iovecs(frames[i], true, hdr, iov);
    if (!n) {
      counters_.count(n.error());
      continue;
    }
    ssize_t r;
    do r = ::writev(fd_.get(), iov.data(), static_cast<int>(*n));
    while (r < 0 && errno == EINTR);
    if (r < 0) {
      const int err = errno;
      if (is_would_block(err)) {
        counters_.count(link_error::would_block);
        return i;
      }
      if (is_gone(err)) {
        counters_.count(link_error::link_gone, frames.size() - i);
        return frames.size();
      }
      counters_.count(classify_errno(err));
      continue;
    }
    ++counters_.tx_frames;
    counters_.tx_bytes += frames[i].size();
  }
  return frames.size();
}

}  // namespace aw::link
