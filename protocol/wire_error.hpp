// protocol/wire_error.hpp — why untrusted bytes were refused: one enum, one name table.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/named_enum.hpp"

namespace aw::proto {

// X(enumerator, counter name): the name is stable; counters and logs use it.
#define AW_WIRE_ERRORS(X)                                              \
  X(truncated, "truncated")                                            \
  X(bad_version, "bad_version")                                        \
  X(bad_header_length, "bad_header_length")                            \
  X(header_exceeds_total, "header_length_exceeds_total_length")        \
  X(total_exceeds_buffer, "total_length_exceeds_buffer")               \
  X(bad_length, "bad_length")                                          \
  X(bad_checksum, "bad_checksum")                                      \
  X(unsupported_format, "unsupported_format")                          \
  X(bad_embedded_packet, "bad_embedded_packet")                        \
  X(not_first_fragment, "not_first_fragment")                          \
  X(unsupported_protocol, "unsupported_protocol")                      \
  X(pool_exhausted, "buffer_pool_exhausted")

AW_NAMED_ENUM(wire_error, AW_WIRE_ERRORS)

}  // namespace aw::proto
