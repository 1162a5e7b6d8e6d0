// firewall/l4_validity.hpp — what Linux conntrack marks invalid at the transport layer, which a
// Linux sys-firewall drops (`ct state invalid drop`), as one decision taken before the flow
// table and the rules: TCP flag combinations no TCP sends, UDP length fields that disagree
// with the IP payload. Checksums are checked before (protocol/checksum_policy); a header too
// short to read is the NAT's `malformed`.
#pragma once

#include <cstdint>

#include "protocol/ipv4.hpp"

namespace aw::firewall {

enum class l4_defect : std::uint8_t {
  none,
  tcp_invalid_flags,  // !proto::tcp_flags_valid (SYN+FIN, no flags, FIN without ACK, ...)
  tcp_bad_data_offset,  // header length under 20 or past the segment (conntrack: truncated)
  udp_bad_length,     // under 8, over the IP payload, or (a first fragment) under the fragment's
};

// v: a whole datagram or any fragment (only a first fragment carries the L4 header; later
// fragments are judged by the fate of their first, which the caller refuses in the NAT's
// fragment hold when it drops it).
[[nodiscard]] l4_defect check_l4(const proto::ipv4_view& v) noexcept;

}  // namespace aw::firewall
