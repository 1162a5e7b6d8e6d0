// qubes/qdb_file.cpp — strict reader and writer of QubesDB-format text.
#include "qubes/qdb_file.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

namespace aw::qubes {

std::string file_error::message() const {
  return line == 0 ? reason : "line " + std::to_string(line) + ": " + reason;
}

result<qdb_map, file_error> parse_qdb_text(std::string_view text) {
  qdb_map out;
  std::size_t number = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++number;
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == ' ' || line.front() == '\t') return file_error{number, "leading whitespace"};
    std::size_t sp = line.find(' ');
    std::string_view key = line.substr(0, sp);
    std::string_view value = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
    if (!valid_key(key)) return file_error{number, "bad key \"" + std::string{key} + "\""};
    if (value.size() > qdb_max_data) return file_error{number, std::string{key} + ": value longer than 3072 bytes"};
    if (std::any_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
      return file_error{number, std::string{key} + ": control character in the value"};
    if (!out.emplace(std::string{key}, std::string{value}).second)
      return file_error{number, std::string{key} + ": key given twice"};
  }
  return out;
}

result<qdb_map, file_error> load_qdb_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return file_error{0, path + ": cannot open"};
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return file_error{0, path + ": read error"};
  auto r = parse_qdb_text(text);
  if (!r) return file_error{r.error().line, path + ": " + r.error().reason};
  return r;
}

std::string format_qdb_text(const qdb_map& keys) {
  std::string out;
  for (const auto& [k, v] : keys) {
    out += k;
    out += ' ';
    out += v;
    out += '\n';
  }
  return out;
}

}  // namespace aw::qubes
