// xen/xenbus.hpp — xenbus states and strict parsers for the values peers write into XenStore.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aw::xen {

// enum xenbus_state (xen/io/xenbus.h); values are what `state` nodes hold.
enum class xenbus_state : std::uint8_t {
  unknown = 0,
  initialising = 1,
  init_wait = 2,
  initialised = 3,
  connected = 4,
  closing = 5,
  closed = 6,
  reconfiguring = 7,
  reconfigured = 8,
};

std::string_view to_string(xenbus_state s) noexcept;

// Values written by another domain are untrusted: each parser accepts only the
// canonical form ("%u" without sign, spaces or leading zeros; no trailing
// newline) and returns nullopt for anything else.
std::optional<std::uint32_t> parse_xs_uint(std::string_view s) noexcept;
// "0" or "1" (feature flags).
std::optional<bool> parse_xs_bool(std::string_view s) noexcept;
// A `state` value: 0..8.
std::optional<xenbus_state> parse_xenbus_state(std::string_view s) noexcept;
// The string to write for a state ("4").
std::string format_xenbus_state(xenbus_state s);

}  // namespace aw::xen
