// tests/support/bytes.hpp — helpers for byte-array literals in tests.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "protocol/bytes.hpp"

namespace aw::test {

using byte_vector = std::vector<std::uint8_t>;

inline byte_vector concat(std::initializer_list<aw::proto::bytes> parts) {
  byte_vector out;
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline std::string hex(aw::proto::bytes b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (auto c : b) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

}  // namespace aw::test
