// qubes/qdb_wire.hpp — the QubesDB socket protocol: message types, errors, request encoding, a bounded incremental decoder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/result.hpp"

#include "protocol/named_enum.hpp"

namespace aw::qubes {

using proto::bytes;

// struct qdb_hdr from qubesdb.h: native byte order, 72 bytes.
namespace qdb_field {
constexpr std::size_t type = 0, path = 1, data_len = 68;
constexpr std::size_t path_len = 64;     // including the terminating NUL
constexpr std::size_t header_len = 72;
}  // namespace qdb_field
constexpr std::size_t qdb_max_path = qdb_field::path_len - 1;  // 63 characters
constexpr std::size_t qdb_max_data = 3072;

enum class qdb_type : std::uint8_t {
  read = 0, write = 1, multiread = 2, list = 3, rm = 4, watch = 5, unwatch = 6,
  resp_ok = 7, resp_error_noent = 8, resp_error = 9, resp_read = 10, resp_multiread = 11, resp_list = 12,
  resp_watch = 13,
};
constexpr bool is_request(qdb_type t) noexcept { return static_cast<std::uint8_t>(t) <= 6; }
std::string_view to_string(qdb_type t) noexcept;

// X(enumerator, counter name): why a QubesDB connection was dropped or a request refused.
#define AW_QDB_ERRORS(X)                                          \
  X(unknown_type, "qdb_unknown_type")                             \
  X(unexpected_type, "qdb_unexpected_type")                       \
  X(path_not_terminated, "qdb_path_not_terminated")               \
  X(bad_path, "qdb_bad_path")                                     \
  X(data_too_long, "qdb_data_too_long")                           \
  X(unexpected_reply, "qdb_unexpected_reply")                     \
  X(reply_too_large, "qdb_reply_too_large")                       \
  X(watch_overflow, "qdb_watch_overflow")                         \
  X(connection_closed, "qdb_connection_closed")                   \
  X(io_error, "qdb_io_error")                                     \
  X(connect_failed, "qdb_connect_failed")                         \
  X(too_many_requests, "qdb_too_many_requests")

AW_NAMED_ENUM(qdb_error, AW_QDB_ERRORS)

struct qdb_message {
  qdb_type type = qdb_type::read;
  std::string path;  // without the NUL; empty ends a LIST/MULTIREAD reply
  std::string data;  // value bytes, no NUL added
  friend bool operator==(const qdb_message&, const qdb_message&) = default;
};

// Path characters QubesDB accepts: [A-Za-z0-9_/.:@-].
bool valid_path_chars(std::string_view path) noexcept;
// A path to put on the wire: empty, or '/' then at most 62 more valid chars.
bool valid_wire_path(std::string_view path) noexcept;
// A stored key: a valid wire path, not empty, no trailing '/' (except "/" is not a key either).
bool valid_key(std::string_view path) noexcept;

// Appends the 72-byte header and the data. bad_path (not a valid_wire_path),
// data_too_long (over qdb_max_data).
result<std::size_t, qdb_error> encode(const qdb_message& m, std::vector<std::uint8_t>& out);

// Splits a byte stream into messages. Holds at most one header and one
// message's data (qdb_max_data bytes). After an error it stays failed until
// reset(): the stream has lost its framing.
class qdb_decoder {
 public:
  enum class from { daemon, client };  // daemons send types 7..13, clients 0..6

  explicit qdb_decoder(from peer) noexcept : peer_(peer) {}

  struct step {
    std::size_t consumed = 0;               // bytes of the input used
    std::optional<qdb_message> message;     // a complete message, if one ended
    std::optional<qdb_error> error;         // the stream is bad from here on
  };
  // Consumes input up to the end of one message (or all of it). Checks, on
  // the header: unknown_type (> 13), unexpected_type (a request from a daemon
  // or a reply from a client), path_not_terminated (no NUL in 64 bytes),
  // bad_path (characters, or not starting with '/'), data_too_long (> 3072).
  step feed(bytes in);
  void reset() noexcept;
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  [[nodiscard]] bool mid_message() const noexcept { return have_ != 0 || header_done_; }

 private:
  std::optional<qdb_error> check_header();

  from peer_;
  std::uint8_t header_[qdb_field::header_len]{};
  std::size_t have_ = 0;  // header bytes so far
  bool header_done_ = false;
  bool failed_ = false;
  qdb_error error_ = qdb_error::unknown_type;
  qdb_message current_;
  std::size_t data_len_ = 0;
};

}  // namespace aw::qubes
