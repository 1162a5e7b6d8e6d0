// xen/sim/aw_xenstore_main.cpp — aw-xenstore: a tiny XenStore client (real libxenstore) for labs and smoke tests.
// Usage: aw-xenstore SOCKET read PATH | write PATH VALUE | ls PATH | rm PATH | perms PATH
#include <cstdio>
#include <string>
#include <string_view>

#include "xen/real/real_xen.hpp"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SOCKET read|write|ls|rm|perms PATH [VALUE]\n", argv[0]);
    return 2;
  }
  auto xs = aw::xen::real::open_xenstore(argv[1]);
  if (!xs) {
    std::fprintf(stderr, "cannot connect: %s\n", std::string(to_string(xs.error())).c_str());
    return 1;
  }
  std::string_view cmd = argv[2];
  std::string path = argv[3];
  auto fail = [](aw::xen::xen_error e) {
    std::fprintf(stderr, "error: %s\n", std::string(to_string(e)).c_str());
    return 1;
  };
  if (cmd == "read") {
    auto v = (*xs)->read(path);
    if (!v) return fail(v.error());
    std::printf("%s\n", v->c_str());
  } else if (cmd == "write" && argc == 5) {
    auto s = (*xs)->write(path, argv[4]);
    if (!s) return fail(s.error());
  } else if (cmd == "ls") {
    auto v = (*xs)->directory(path);
    if (!v) return fail(v.error());
    for (const auto& n : *v) std::printf("%s\n", n.c_str());
  } else if (cmd == "rm") {
    auto s = (*xs)->rm(path);
    if (!s) return fail(s.error());
  } else if (cmd == "perms") {
    auto v = (*xs)->get_permissions(path);
    if (!v) return fail(v.error());
    for (const auto& p : *v) std::printf("%s ", aw::xen::format_permission(p).c_str());
    std::printf("\n");
  } else {
    std::fprintf(stderr, "unknown command\n");
    return 2;
  }
  return 0;
}
