// xen/sim/xs_wire.hpp — the XenStore wire protocol (xs_wire.h): header, types, error names, framing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace aw::xen::sim {

// Message types (enum xsd_sockmsg_type); values are the wire values.
enum class xs_type : std::uint32_t {
  control = 0,
  directory = 1,
  read = 2,
  get_perms = 3,
  watch = 4,
  unwatch = 5,
  transaction_start = 6,
  transaction_end = 7,
  introduce = 8,
  release = 9,
  get_domain_path = 10,
  write = 11,
  mkdir = 12,
  rm = 13,
  set_perms = 14,
  watch_event = 15,
  error = 16,
  is_domain_introduced = 17,
  resume = 18,
  set_target = 19,
  reset_watches = 21,
  directory_part = 22,
};

// struct xsd_sockmsg, host byte order (the unix-socket and ring protocols are native).
struct xs_header {
  std::uint32_t type = 0;
  std::uint32_t req_id = 0;
  std::uint32_t tx_id = 0;
  std::uint32_t len = 0;
};

inline constexpr std::size_t xs_header_size = 16;
inline constexpr std::size_t xs_payload_max = 4096;  // XENSTORE_PAYLOAD_MAX
inline constexpr std::size_t xs_abs_path_max = 3072;  // XENSTORE_ABS_PATH_MAX
inline constexpr std::size_t xs_rel_path_max = 2048;  // XENSTORE_REL_PATH_MAX

xs_header decode_header(std::span<const std::uint8_t, xs_header_size> b) noexcept;
void encode_header(const xs_header& h, std::span<std::uint8_t, xs_header_size> out) noexcept;

// Appends one whole message (header + payload) to out.
void append_message(std::vector<std::uint8_t>& out, xs_type type, std::uint32_t req_id, std::uint32_t tx_id,
                    std::span<const std::uint8_t> payload);
void append_message(std::vector<std::uint8_t>& out, xs_type type, std::uint32_t req_id, std::uint32_t tx_id,
                    std::string_view payload);

// The wire name of an errno ("ENOENT"), as the xsd_errors table; EINVAL's for unknown ones.
std::string_view errno_name(int err) noexcept;
// The errno of a wire name; nullopt if not in the table.
std::optional<int> errno_from_name(std::string_view name) noexcept;

// Splits a byte stream into messages. A header announcing more than
// xs_payload_max is a protocol violation: the stream is poisoned.
class xs_frame_reader {
 public:
  struct frame {
    xs_header header;
    std::vector<std::uint8_t> payload;
  };
  enum class state : std::uint8_t { need_more, ready, violation };

  void feed(std::span<const std::uint8_t> bytes);
  // Takes the next complete frame, if any.
  state next(frame& out);
  [[nodiscard]] std::size_t buffered() const noexcept { return buf_.size() - pos_; }

 private:
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0;
  bool poisoned_ = false;
};

}  // namespace aw::xen::sim
