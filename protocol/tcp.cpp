// protocol/tcp.cpp — TCP view and repr.
#include "protocol/tcp.hpp"

#include <algorithm>

#include "protocol/checksum.hpp"
#include "protocol/ipv4.hpp"

namespace aw::proto {
namespace {

constexpr std::uint8_t option_end = 0, option_nop = 1, option_mss = 2;

// Walks the options; calls f(kind, value bytes) for each; false when malformed.
template <class F>
bool walk_options(bytes opts, F&& f) noexcept {
  std::size_t i = 0;
  while (i < opts.size()) {
    std::uint8_t kind = opts[i];
    if (kind == option_end) return true;
    if (kind == option_nop) { ++i; continue; }
    if (i + 1 >= opts.size()) return false;
    std::size_t len = opts[i + 1];
    if (len < 2 || i + len > opts.size()) return false;
    f(kind, opts.subspan(i + 2, len - 2));
    i += len;
  }
  return true;
}

}  // namespace

result<tcp_view, wire_error> tcp_view::make(bytes segment) noexcept {
  if (segment.size() < min_header_len) return wire_error::truncated;
  std::size_t hl = static_cast<std::size_t>(segment[tcp_field::offset] >> 4) * 4;
  if (hl < min_header_len) return wire_error::bad_header_length;
  if (hl > segment.size()) return wire_error::truncated;
  return tcp_view{segment};
}

std::optional<std::uint16_t> tcp_view::mss() const noexcept {
  std::optional<std::uint16_t> found;
  bool ok = walk_options(options(), [&](std::uint8_t kind, bytes value) {
    if (kind == option_mss && value.size() == 2) found = load16(value.data());
  });
  return ok ? found : std::nullopt;
}

bool tcp_view::options_well_formed() const noexcept {
  return walk_options(options(), [](std::uint8_t, bytes) {});
}

bool tcp_view::verify_checksum(ipv4_address src, ipv4_address dst) const noexcept {
  return checksum::verifies(b_, checksum::pseudo_header_v4(src, dst, static_cast<std::uint8_t>(ip_protocol::tcp),
                                                           static_cast<std::uint16_t>(b_.size())));
}

tcp_repr tcp_repr::parse(const tcp_view& v) noexcept {
  tcp_repr r;
  r.src_port = v.src_port();
  r.dst_port = v.dst_port();
  r.seq = v.seq();
  r.ack = v.ack();
  r.flags = v.flags();
  r.window = v.window();
  r.urgent = v.urgent();
  bytes opts = v.options();
  r.options_length = static_cast<std::uint8_t>(opts.size());
  std::copy(opts.begin(), opts.end(), r.options.begin());
  return r;
}

void tcp_repr::set_mss(std::uint16_t mss) noexcept {
  options = {};
  options[0] = option_mss;
  options[1] = 4;
  store16(options.data() + 2, mss);
  options_length = 4;
}

void tcp_repr::emit(mutable_bytes segment, ipv4_address src, ipv4_address dst) const noexcept {
  std::uint8_t* p = segment.data();
  store16(p + tcp_field::src_port, src_port);
  store16(p + tcp_field::dst_port, dst_port);
  store32(p + tcp_field::seq, seq);
  store32(p + tcp_field::ack, ack);
  p[tcp_field::offset] = static_cast<std::uint8_t>((header_length() / 4) << 4);
  p[tcp_field::flags] = flags;
  store16(p + tcp_field::window, window);
  store16(p + tcp_field::checksum, 0);
  store16(p + tcp_field::urgent, urgent);
  std::copy_n(options.begin(), options_length, p + tcp_field::options);
  std::uint16_t s = checksum::sum(segment, checksum::pseudo_header_v4(src, dst, static_cast<std::uint8_t>(ip_protocol::tcp),
                                                                      static_cast<std::uint16_t>(segment.size())));
  store16(p + tcp_field::checksum, checksum::finish(s));
}

}  // namespace aw::proto
