// xen/sim/xs_wire.cpp — XenStore wire framing, checked against xs_wire.h.
#include "xen/sim/xs_wire.hpp"

#include <cerrno>
#include <cstring>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <cstdint>
extern "C" {
#include <xen/io/xs_wire.h>
}
#pragma GCC diagnostic pop

namespace aw::xen::sim {

static_assert(sizeof(xsd_sockmsg) == xs_header_size);
static_assert(XENSTORE_PAYLOAD_MAX == xs_payload_max);
static_assert(XENSTORE_ABS_PATH_MAX == xs_abs_path_max);
static_assert(XENSTORE_REL_PATH_MAX == xs_rel_path_max);
static_assert(static_cast<std::uint32_t>(XS_DIRECTORY) == static_cast<std::uint32_t>(xs_type::directory));
static_assert(static_cast<std::uint32_t>(XS_READ) == static_cast<std::uint32_t>(xs_type::read));
static_assert(static_cast<std::uint32_t>(XS_WATCH) == static_cast<std::uint32_t>(xs_type::watch));
static_assert(static_cast<std::uint32_t>(XS_TRANSACTION_START) == static_cast<std::uint32_t>(xs_type::transaction_start));
static_assert(static_cast<std::uint32_t>(XS_TRANSACTION_END) == static_cast<std::uint32_t>(xs_type::transaction_end));
static_assert(static_cast<std::uint32_t>(XS_WRITE) == static_cast<std::uint32_t>(xs_type::write));
static_assert(static_cast<std::uint32_t>(XS_RM) == static_cast<std::uint32_t>(xs_type::rm));
static_assert(static_cast<std::uint32_t>(XS_SET_PERMS) == static_cast<std::uint32_t>(xs_type::set_perms));
static_assert(static_cast<std::uint32_t>(XS_WATCH_EVENT) == static_cast<std::uint32_t>(xs_type::watch_event));
static_assert(static_cast<std::uint32_t>(XS_ERROR) == static_cast<std::uint32_t>(xs_type::error));
static_assert(static_cast<std::uint32_t>(XS_IS_DOMAIN_INTRODUCED) ==
              static_cast<std::uint32_t>(xs_type::is_domain_introduced));
static_assert(static_cast<std::uint32_t>(XS_RESET_WATCHES) == static_cast<std::uint32_t>(xs_type::reset_watches));
static_assert(static_cast<std::uint32_t>(XS_DIRECTORY_PART) == static_cast<std::uint32_t>(xs_type::directory_part));

xs_header decode_header(std::span<const std::uint8_t, xs_header_size> b) noexcept {
  std::uint32_t w[4];
  std::memcpy(w, b.data(), sizeof w);
  return {w[0], w[1], w[2], w[3]};
}

void encode_header(const xs_header& h, std::span<std::uint8_t, xs_header_size> out) noexcept {
  const std::uint32_t w[4] = {h.type, h.req_id, h.tx_id, h.len};
  std::memcpy(out.data(), w, sizeof w);
}

void append_message(std::vector<std::uint8_t>& out, xs_type type, std::uint32_t req_id, std::uint32_t tx_id,
                    std::span<const std::uint8_t> payload) {
  std::uint8_t h[xs_header_size];
  encode_header({static_cast<std::uint32_t>(type), req_id, tx_id, static_cast<std::uint32_t>(payload.size())}, h);
  out.insert(out.end(), h, h + xs_header_size);
  out.insert(out.end(), payload.begin(), payload.end());
}

void append_message(std::vector<std::uint8_t>& out, xs_type type, std::uint32_t req_id, std::uint32_t tx_id,
                    std::string_view payload) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(payload.data());
  append_message(out, type, req_id, tx_id, std::span<const std::uint8_t>{p, payload.size()});
}

std::string_view errno_name(int err) noexcept {
  for (const auto& e : xsd_errors) {
    if (e.errnum == err) return e.errstring;
  }
  return "EINVAL";
}

std::optional<int> errno_from_name(std::string_view name) noexcept {
  for (const auto& e : xsd_errors) {
    if (name == e.errstring) return e.errnum;
  }
  return std::nullopt;
}

void xs_frame_reader::feed(std::span<const std::uint8_t> bytes) {
  if (poisoned_) return;
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 65536) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

xs_frame_reader::state xs_frame_reader::next(frame& out) {
  if (poisoned_) return state::violation;
  if (buffered() < xs_header_size) return state::need_more;
  xs_header h = decode_header(std::span<const std::uint8_t, xs_header_size>{buf_.data() + pos_, xs_header_size});
  if (h.len > xs_payload_max) {
    poisoned_ = true;
    buf_.clear();
    pos_ = 0;
    return state::violation;
  }
  if (buffered() < xs_header_size + h.len) return state::need_more;
  out.header = h;
  const auto* p = buf_.data() + pos_ + xs_header_size;
  out.payload.assign(p, p + h.len);
  pos_ += xs_header_size + h.len;
  return state::ready;
}

}  // namespace aw::xen::sim
