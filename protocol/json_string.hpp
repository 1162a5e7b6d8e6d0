// protocol/json_string.hpp — a JSON string body (RFC 8259 §7): the one escaper every JSON
// writer (the trace, `actorwall status --json`) uses.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace aw::proto {

// Quotes, backslashes and control characters escaped; other bytes as they are.
inline std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace aw::proto
