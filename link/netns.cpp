// link/netns.cpp — named network namespaces and moving links between them.
#include "link/netns.hpp"

#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace aw::link {

std::optional<os_error> run_in_netns(int ns_fd, const std::function<void()>& fn) {
  std::optional<os_error> error;
  std::thread t([&] {
    if (::setns(ns_fd, CLONE_NEWNET) < 0) {
      error = os_error::from_errno("setns");
      return;
    }
    fn();
  });
  t.join();
  return error;
}

result<netns, os_error> netns::create(std::string name) {
  if (auto e = run_checked({"ip", "netns", "add", name})) return *e;
  auto ns = open(name);
  if (!ns) {
    (void)run_checked({"ip", "netns", "del", name});
    return ns.error();
  }
  ns->owned_ = true;
  return ns;
}

result<netns, os_error> netns::open(std::string name) {
  const std::string path = "/run/netns/" + name;
  unique_fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!fd) return os_error::from_errno("open " + path);
  return netns(std::move(name), std::move(fd), false);
}

netns& netns::operator=(netns&& other) noexcept {
  if (this != &other) {
    destroy();
    name_ = std::move(other.name_);
    fd_ = std::move(other.fd_);
    owned_ = std::exchange(other.owned_, false);
  }
  return *this;
}

netns::~netns() { destroy(); }

void netns::destroy() noexcept {
  fd_.reset();
  if (owned_) {
    owned_ = false;
    try {
      (void)run_checked({"ip", "netns", "del", name_});
    } catch (...) {  // out of memory while tearing down: nothing better to do
    }
  }
}

std::optional<os_error> netns::ip(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"ip", "-n", name_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_checked(argv);
}

std::optional<os_error> netns::set_up(const std::string& ifname) const {
  return ip({"link", "set", "dev", ifname, "up"});
}

std::optional<os_error> netns::add_address(const std::string& ifname, const std::string& cidr) const {
  return ip({"addr", "add", cidr, "dev", ifname});
}

namespace {

// Appends one attribute to a netlink message held in buf (aligned sizes).
template <std::size_t N>
bool add_attr(std::array<std::uint8_t, N>& buf, nlmsghdr& h, std::uint16_t type, const void* data,
              std::size_t len) noexcept {
  const std::size_t at = NLMSG_ALIGN(h.nlmsg_len);
  const std::size_t rta_len = RTA_LENGTH(len);
  if (at + RTA_ALIGN(rta_len) > N) return false;
  rtattr rta{};
  rta.rta_len = static_cast<unsigned short>(rta_len);
  rta.rta_type = type;
  std::memcpy(buf.data() + at, &rta, sizeof rta);
  std::memcpy(buf.data() + at + RTA_LENGTH(0), data, len);
  h.nlmsg_len = static_cast<std::uint32_t>(at + RTA_ALIGN(rta_len));
  return true;
}

}  // namespace

std::optional<os_error> move_link_to_netns(int ifindex, int ns_fd, const std::string& new_name) {
  if (new_name.size() >= IFNAMSIZ) return os_error{EINVAL, "interface name too long: " + new_name};
  unique_fd sock{::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)};
  if (!sock) return os_error::from_errno("socket(NETLINK_ROUTE)");

  alignas(nlmsghdr) std::array<std::uint8_t, 256> buf{};
  nlmsghdr h{};
  h.nlmsg_type = RTM_NEWLINK;
  h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  h.nlmsg_seq = 1;
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = ifindex;
  std::memcpy(buf.data() + NLMSG_HDRLEN, &ifi, sizeof ifi);
  h.nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(sizeof ifi));
  const auto fd_value = static_cast<std::uint32_t>(ns_fd);
  bool ok = add_attr(buf, h, IFLA_NET_NS_FD, &fd_value, sizeof fd_value);
  if (!new_name.empty()) ok = ok && add_attr(buf, h, IFLA_IFNAME, new_name.c_str(), new_name.size() + 1);
  if (!ok) return os_error{EINVAL, "netlink message too long"};
  std::memcpy(buf.data(), &h, sizeof h);

  if (::send(sock.get(), buf.data(), h.nlmsg_len, 0) < 0) return os_error::from_errno("netlink send RTM_NEWLINK");
  std::array<std::uint8_t, 1024> reply{};
  const ssize_t n = ::recv(sock.get(), reply.data(), reply.size(), 0);
  if (n < 0) return os_error::from_errno("netlink recv");
  if (static_cast<std::size_t>(n) < NLMSG_HDRLEN + sizeof(nlmsgerr)) return os_error{EPROTO, "short netlink reply"};
  nlmsghdr rh{};
  std::memcpy(&rh, reply.data(), sizeof rh);
  if (rh.nlmsg_type != NLMSG_ERROR) return os_error{EPROTO, "unexpected netlink reply"};
  nlmsgerr err{};
  std::memcpy(&err, reply.data() + NLMSG_HDRLEN, sizeof err);
  if (err.error != 0)
    return os_error::from_errno("move interface " + std::to_string(ifindex) + " to another namespace", -err.error);
  return std::nullopt;
}

}  // namespace aw::link
