// link/netns.hpp — named network namespaces (as `ip netns` makes them): create and delete,
// run code inside one, and configure interfaces there.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "link/command.hpp"
#include "link/os_error.hpp"
#include "link/unique_fd.hpp"
#include "protocol/result.hpp"

namespace aw::link {

// Runs fn on a new thread that has joined the namespace behind ns_fd (the
// calling thread stays where it is). Sockets created by fn live in that
// namespace for good, whichever thread uses them later.
std::optional<os_error> run_in_netns(int ns_fd, const std::function<void()>& fn);

// One /run/netns/NAME namespace. Owned (made by create): deleted, with the
// virtual links inside it, when this object goes, also when a test fails.
class netns {
 public:
  // `ip netns add name`; fails if it exists.
  static result<netns, os_error> create(std::string name);
  // An existing one, not deleted on destruction.
  static result<netns, os_error> open(std::string name);

  netns(netns&& other) noexcept
      : name_(std::move(other.name_)), fd_(std::move(other.fd_)), owned_(std::exchange(other.owned_, false)) {}
  netns& operator=(netns&& other) noexcept;
  netns(const netns&) = delete;
  netns& operator=(const netns&) = delete;
  ~netns();

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

  // fn() inside the namespace; its value, or why it could not run.
  template <class F>
  auto run(F&& fn) const -> result<std::conditional_t<std::is_void_v<std::invoke_result_t<F&>>, bool,
                                                      std::invoke_result_t<F&>>,
                                   os_error> {
    using R = std::invoke_result_t<F&>;
    if constexpr (std::is_void_v<R>) {
      if (auto e = run_in_netns(fd(), [&] { fn(); })) return *e;
      return true;
    } else {
      std::optional<R> value;
      if (auto e = run_in_netns(fd(), [&] { value.emplace(fn()); })) return *e;
      return std::move(*value);
    }
  }

  // `ip -n NAME args...`, wanting exit status 0.
  std::optional<os_error> ip(const std::vector<std::string>& args) const;
  // Conveniences over ip(): `link set dev IF up`, `addr add CIDR dev IF`.
  std::optional<os_error> set_up(const std::string& ifname) const;
  std::optional<os_error> add_address(const std::string& ifname, const std::string& cidr) const;

 private:
  netns(std::string name, unique_fd fd, bool owned) noexcept
      : name_(std::move(name)), fd_(std::move(fd)), owned_(owned) {}
  void destroy() noexcept;
  std::string name_;
  unique_fd fd_;
  bool owned_ = false;
};

// Moves the interface ifindex of the caller's namespace into the namespace
// behind ns_fd, renamed to new_name when given, with one rtnetlink
// RTM_NEWLINK (IFLA_NET_NS_FD). A TAP keeps working through its fd.
std::optional<os_error> move_link_to_netns(int ifindex, int ns_fd, const std::string& new_name = {});

}  // namespace aw::link
