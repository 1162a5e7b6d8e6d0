// xen/sim/aw_xenstored_main.cpp — aw-xenstored: the simulated xenstored as a program.
// Usage: aw-xenstored SOCKET:DOMID [SOCKET:DOMID ...]   (e.g. /tmp/xs0:0 /tmp/xs5:5)
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "xen/sim/xenstored.hpp"

namespace {
volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SOCKET:DOMID [SOCKET:DOMID ...]\n", argv[0]);
    return 2;
  }
  aw::xen::sim::xenstored server;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto colon = arg.rfind(':');
    if (colon == std::string::npos) {
      std::fprintf(stderr, "bad argument %s (want SOCKET:DOMID)\n", argv[i]);
      return 2;
    }
    char* end = nullptr;
    unsigned long d = std::strtoul(arg.c_str() + colon + 1, &end, 10);
    if (end == nullptr || *end != '\0' || d > 0x7fefu) {
      std::fprintf(stderr, "bad domain id in %s\n", argv[i]);
      return 2;
    }
    auto s = server.listen(arg.substr(0, colon), static_cast<aw::xen::domid>(d));
    if (!s) {
      std::fprintf(stderr, "cannot listen on %s: %s\n", arg.c_str(), std::string(to_string(s.error())).c_str());
      return 1;
    }
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  while (stop_requested == 0) server.poll_once(200);
  return 0;
}
