// qubes/qdb_wire.cpp — QubesDB message encoding and the incremental decoder.
#include "qubes/qdb_wire.hpp"

#include <algorithm>
#include <cstring>

namespace aw::qubes {

std::string_view to_string(qdb_type t) noexcept {
  switch (t) {
    case qdb_type::read: return "READ";
    case qdb_type::write: return "WRITE";
    case qdb_type::multiread: return "MULTIREAD";
    case qdb_type::list: return "LIST";
    case qdb_type::rm: return "RM";
    case qdb_type::watch: return "WATCH";
    case qdb_type::unwatch: return "UNWATCH";
    case qdb_type::resp_ok: return "RESP_OK";
    case qdb_type::resp_error_noent: return "RESP_ERROR_NOENT";
    case qdb_type::resp_error: return "RESP_ERROR";
    case qdb_type::resp_read: return "RESP_READ";
    case qdb_type::resp_multiread: return "RESP_MULTIREAD";
    case qdb_type::resp_list: return "RESP_LIST";
    case qdb_type::resp_watch: return "RESP_WATCH";
  }
  return "UNKNOWN";
}

bool valid_path_chars(std::string_view path) noexcept {
  return std::all_of(path.begin(), path.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '/' ||
           c == '.' || c == ':' || c == '@' || c == '-';
  });
}

bool valid_wire_path(std::string_view path) noexcept {
  if (path.empty()) return true;
  return path.size() <= qdb_max_path && path.front() == '/' && valid_path_chars(path);
}

bool valid_key(std::string_view path) noexcept {
  return !path.empty() && valid_wire_path(path) && path.back() != '/';
}

result<std::size_t, qdb_error> encode(const qdb_message& m, std::vector<std::uint8_t>& out) {
  if (!valid_wire_path(m.path)) return qdb_error::bad_path;
  if (m.data.size() > qdb_max_data) return qdb_error::data_too_long;
  std::size_t start = out.size();
  out.resize(start + qdb_field::header_len + m.data.size(), 0);
  std::uint8_t* p = out.data() + start;
  p[qdb_field::type] = static_cast<std::uint8_t>(m.type);
  std::memcpy(p + qdb_field::path, m.path.data(), m.path.size());
  auto len = static_cast<std::uint32_t>(m.data.size());
  std::memcpy(p + qdb_field::data_len, &len, sizeof len);  // native byte order
  std::memcpy(p + qdb_field::header_len, m.data.data(), m.data.size());
  return qdb_field::header_len + m.data.size();
}

void qdb_decoder::reset() noexcept {
  have_ = 0;
  header_done_ = false;
  failed_ = false;
  current_ = {};
  data_len_ = 0;
}

std::optional<qdb_error> qdb_decoder::check_header() {
  std::uint8_t type = header_[qdb_field::type];
  if (type > static_cast<std::uint8_t>(qdb_type::resp_watch)) return qdb_error::unknown_type;
  auto t = static_cast<qdb_type>(type);
  if (is_request(t) != (peer_ == from::client)) return qdb_error::unexpected_type;
  const char* path = reinterpret_cast<const char*>(header_ + qdb_field::path);
  const void* nul = std::memchr(path, 0, qdb_field::path_len);
  if (nul == nullptr) return qdb_error::path_not_terminated;
  std::string_view p{path, static_cast<std::size_t>(static_cast<const char*>(nul) - path)};
  if (!valid_wire_path(p)) return qdb_error::bad_path;
  std::uint32_t len = 0;
  std::memcpy(&len, header_ + qdb_field::data_len, sizeof len);
  if (len > qdb_max_data) return qdb_error::data_too_long;
  current_.type = t;
  current_.path.assign(p);
  current_.data.clear();
  current_.data.reserve(len);
  data_len_ = len;
  return std::nullopt;
}

qdb_decoder::step qdb_decoder::feed(bytes in) {
  step s;
  if (failed_) {
    s.error = error_;
    return s;
  }
  if (!header_done_) {
    std::size_t take = std::min(in.size(), qdb_field::header_len - have_);
    std::memcpy(header_ + have_, in.data(), take);
    have_ += take;
    s.consumed += take;
    if (have_ < qdb_field::header_len) return s;
    if (auto e = check_header()) {
      failed_ = true;
      error_ = *e;
      s.error = e;
      return s;
    }
    header_done_ = true;
  }
  std::size_t want = data_len_ - current_.data.size();
  std::size_t take = std::min(in.size() - s.consumed, want);
  current_.data.append(reinterpret_cast<const char*>(in.data() + s.consumed), take);
  s.consumed += take;
  if (current_.data.size() == data_len_) {
    s.message = std::move(current_);
    current_ = {};
    have_ = 0;
    header_done_ = false;
    data_len_ = 0;
  }
  return s;
}

}  // namespace aw::qubes
