// protocol/counter_lines.hpp — the "name value" line every layer's counters are dumped as (the
// status socket, SIGUSR1): one format, written in one place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace aw::proto {

// Appends "<prefix><name> <value>\n".
inline void append_counter(std::string& out, std::string_view prefix, std::string_view name, std::uint64_t value) {
  out.append(prefix).append(name).append(1, ' ').append(std::to_string(value)).append(1, '\n');
}

// The same, left out when the value is 0 (drop reasons and errors that never happened).
inline void append_nonzero_counter(std::string& out, std::string_view prefix, std::string_view name,
                                   std::uint64_t value) {
  if (value != 0) append_counter(out, prefix, name, value);
}

}  // namespace aw::proto
