// link/tx_frame.hpp — one frame to send as iovecs: [vnet header] head [tail], never flattened.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <span>

#include "link/link_error.hpp"
#include "link/vnet_header.hpp"
#include "protocol/packet.hpp"
#include "protocol/result.hpp"

namespace aw::link {

// Fills iov (and hdr, when the link speaks vnet headers) for frame; returns
// how many iovecs it used. Errors: runt (< 14 bytes); bad_offload when the
// meta needs a vnet header (partial checksum or GSO) the link does not
// speak, or one the frame cannot carry (see encode_vnet_header).
result<std::size_t, link_error> tx_iovecs(const proto::packet& frame, bool vnet, vnet_header& hdr,
                                          std::span<iovec, 3> iov) noexcept;

}  // namespace aw::link
