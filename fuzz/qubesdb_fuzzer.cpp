// fuzz/qubesdb_fuzzer.cpp — arbitrary bytes as a QubesDB byte stream: the decoder (whole and in
// chunks must agree; messages re-encode), and the client matching them against a fixed set of
// requests over a socketpair. Any inconsistency aborts.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include "qubes/qdb_client.hpp"
#include "qubes/qdb_wire.hpp"

namespace {
using namespace aw::qubes;

void require(bool ok) {
  if (!ok) std::abort();
}

struct decoded {
  std::vector<qdb_message> messages;
  std::optional<qdb_error> error;
  friend bool operator==(const decoded&, const decoded&) = default;
};

decoded decode(aw::proto::bytes in, qdb_decoder::from peer, std::size_t chunk) {
  qdb_decoder d{peer};
  decoded out;
  while (!in.empty() && !out.error) {
    auto piece = in.first(std::min(chunk, in.size()));
    while (!piece.empty()) {
      auto s = d.feed(piece);
      require(s.consumed <= piece.size());
      require(s.consumed > 0 || s.error);
      piece = piece.subspan(s.consumed);
      in = in.subspan(s.consumed);
      if (s.message) out.messages.push_back(std::move(*s.message));
      if (s.error) {
        out.error = s.error;
        break;
      }
    }
  }
  return out;
}

void check_decoder(aw::proto::bytes in, qdb_decoder::from peer, std::size_t chunk) {
  decoded whole = decode(in, peer, in.size() + 1);
  require(decode(in, peer, chunk) == whole);
  for (const auto& m : whole.messages) {
    require(m.data.size() <= qdb_max_data && valid_wire_path(m.path));
    require(is_request(m.type) == (peer == qdb_decoder::from::client));
    std::vector<std::uint8_t> again;
    require(encode(m, again).has_value());
    decoded back = decode(again, peer, again.size());
    require(!back.error && back.messages.size() == 1 && back.messages[0] == m);
  }
}

void check_client(aw::proto::bytes in) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return;
  int answered = 0;
  std::size_t events = 0;
  qdb_client c{"/nonexistent", {[&](const std::string& p) {
                                  require(valid_wire_path(p));
                                  ++events;
                                },
                                {}, {}}};
  c.watch("/qubes-firewall/");
  require(c.adopt(sv[0]).has_value());
  auto count = [&](auto) { ++answered; };
  c.read("/qubes-ip", count);
  c.multiread("/qubes-", count);
  c.list("", count);
  c.write("/qubes-service/x", "1", count);
  c.rm("/qubes-firewall/10.137.0.5/", count);
  // The daemon side: the fuzz bytes, then EOF.
  std::size_t off = 0;
  while (off < in.size()) {
    ssize_t n = ::send(sv[1], in.data() + off, in.size() - off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::shutdown(sv[1], SHUT_WR);
  c.on_readable();
  require(!c.connected());  // EOF at the latest
  require(c.outstanding() == 0 && answered == 5);
  require(events <= 1024);
  ::close(sv[1]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  aw::proto::bytes in{data, size};
  std::size_t chunk = size > 0 ? 1u + data[0] % 80u : 1u;
  check_decoder(in, qdb_decoder::from::daemon, chunk);
  check_decoder(in, qdb_decoder::from::client, chunk);
  check_client(in);
  return 0;
}
