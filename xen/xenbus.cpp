// xen/xenbus.cpp — xenbus states and strict XenStore value parsing, checked against xenbus.h.
#include "xen/xenbus.hpp"

#include <charconv>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
extern "C" {
#include <xen/io/xenbus.h>
}
#pragma GCC diagnostic pop

namespace aw::xen {

static_assert(XenbusStateInitialising == static_cast<int>(xenbus_state::initialising));
static_assert(XenbusStateInitWait == static_cast<int>(xenbus_state::init_wait));
static_assert(XenbusStateInitialised == static_cast<int>(xenbus_state::initialised));
static_assert(XenbusStateConnected == static_cast<int>(xenbus_state::connected));
static_assert(XenbusStateClosing == static_cast<int>(xenbus_state::closing));
static_assert(XenbusStateClosed == static_cast<int>(xenbus_state::closed));
static_assert(XenbusStateReconfigured == static_cast<int>(xenbus_state::reconfigured));

std::string_view to_string(xenbus_state s) noexcept {
  switch (s) {
    case xenbus_state::unknown: return "unknown";
    case xenbus_state::initialising: return "initialising";
    case xenbus_state::init_wait: return "init_wait";
    case xenbus_state::initialised: return "initialised";
    case xenbus_state::connected: return "connected";
    case xenbus_state::closing: return "closing";
    case xenbus_state::closed: return "closed";
    case xenbus_state::reconfiguring: return "reconfiguring";
    case xenbus_state::reconfigured: return "reconfigured";
  }
  return "invalid";
}

std::optional<std::uint32_t> parse_xs_uint(std::string_view s) noexcept {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> parse_xs_bool(std::string_view s) noexcept {
  if (s == "0") return false;
  if (s == "1") return true;
  return std::nullopt;
}

std::optional<xenbus_state> parse_xenbus_state(std::string_view s) noexcept {
  auto v = parse_xs_uint(s);
  if (!v || *v > static_cast<std::uint32_t>(xenbus_state::reconfigured)) return std::nullopt;
  return static_cast<xenbus_state>(*v);
}

std::string format_xenbus_state(xenbus_state s) { return std::to_string(static_cast<unsigned>(s)); }

}  // namespace aw::xen
