// tests/qubes/qdb_test_support.hpp — raw QubesDB headers, a temporary socket directory, and a loop that drives client and fake daemon.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <poll.h>
#include <unistd.h>

#include "qubes/fake_qubesdb.hpp"
#include "qubes/qdb_client.hpp"

namespace aw::qubes::test {

// A header as the daemon might send it, with `path` copied as is (up to 64
// bytes, no NUL added when it fills them) and data_len in native order.
inline std::vector<std::uint8_t> raw_header(std::uint8_t type, const std::string& path, std::uint32_t data_len) {
  std::vector<std::uint8_t> b(qdb_field::header_len, 0);
  b[qdb_field::type] = type;
  std::memcpy(b.data() + qdb_field::path, path.data(), std::min(path.size(), qdb_field::path_len));
  std::memcpy(b.data() + qdb_field::data_len, &data_len, sizeof data_len);
  return b;
}

// A private directory for sockets, removed with its files.
class temp_dir {
 public:
  temp_dir() {
    char tmpl[] = "/tmp/aw-qubes-test-XXXXXX";
    char* p = ::mkdtemp(tmpl);
    if (p == nullptr) std::abort();
    path_ = p;
  }
  ~temp_dir() {
    for (const auto& f : files_) ::unlink(f.c_str());
    ::rmdir(path_.c_str());
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::string file(const std::string& name) {
    files_.push_back(path_ + "/" + name);
    return files_.back();
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

// Runs the fake daemon (if given; otherwise it runs on its own thread) and the
// client's readiness handlers until done() or about two seconds pass.
template <class Pred>
bool pump(qdb_client& c, fake_qubesdb* server, Pred done) {
  for (int round = 0; round < 2000; ++round) {
    if (done()) return true;
    if (server != nullptr) server->poll_once(0);
    if (c.connected()) {
      pollfd p{c.fd(), static_cast<short>(POLLIN | (c.wants_write() ? POLLOUT : 0)), 0};
      if (::poll(&p, 1, 1) > 0) {
        if ((p.revents & POLLOUT) != 0) c.on_writable();
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) c.on_readable();
      }
    } else {
      ::usleep(1000);
    }
  }
  return done();
}

}  // namespace aw::qubes::test
