// protocol/named_enum.hpp — one macro for the project's reason enums: from an X-macro list
// X(enumerator, "stable name") it defines the enum, its count and to_string(), so every
// drop or error reason has one enumerator and one counter name, in one table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#define AW_NAMED_ENUM_ENUMERATOR(name, str) name,
#define AW_NAMED_ENUM_NAME(name, str) str,

// AW_NAMED_ENUM(wire_error, AW_WIRE_ERRORS) defines enum class wire_error :
// std::uint8_t, wire_error_count and constexpr to_string(wire_error).
#define AW_NAMED_ENUM(type, list)                                                          \
  enum class type : std::uint8_t { list(AW_NAMED_ENUM_ENUMERATOR) };                       \
  inline constexpr std::string_view type##_names[] = {list(AW_NAMED_ENUM_NAME)};           \
  inline constexpr std::size_t type##_count = std::size(type##_names);                    \
  constexpr std::string_view to_string(type v) noexcept {                                  \
    const auto i = static_cast<std::size_t>(v);                                            \
    return i < type##_count ? type##_names[i] : std::string_view{"unknown"};               \
  }
