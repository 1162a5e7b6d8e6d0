// qubes/qdb_file.hpp — QubesDB-format text files ("key value" per line) as a key source for the lab and tests.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/result.hpp"
#include "qubes/network_config.hpp"

namespace aw::qubes {

struct file_error {
  std::size_t line = 0;  // 1-based; 0 when the file could not be read
  std::string reason;
  [[nodiscard]] std::string message() const;
  friend bool operator==(const file_error&, const file_error&) = default;
};

// One key per line: the key, then (optionally) one space and the value, which
// runs to the end of the line and may be empty or hold spaces. Lines that are
// empty or start with '#' are skipped. Strict: the key must be a valid
// QubesDB key (valid_key), appear once, and the value be at most 3072 bytes
// without control characters (tabs, CR, NUL); leading whitespace is an error.
result<qdb_map, file_error> parse_qdb_text(std::string_view text);
result<qdb_map, file_error> load_qdb_file(const std::string& path);
// The inverse of parse_qdb_text: sorted "key value\n" lines.
std::string format_qdb_text(const qdb_map& keys);

}  // namespace aw::qubes
