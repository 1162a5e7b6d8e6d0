// real::open_xenstore with an explicit socket: which daemon and domain it reaches, and the process environment it leaves.
#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "xenstored_fixture.hpp"

using namespace aw;
using namespace aw::xen;
using aw::test::backend_dom;
using aw::test::xenstored_fixture;

namespace {
std::optional<std::string> env_path() {
  const char* v = std::getenv("XENSTORED_PATH");
  return v ? std::optional<std::string>{v} : std::nullopt;
}
}  // namespace

TEST_CASE("open_xenstore(socket) acts as that socket's domain and leaves XENSTORED_PATH unset when it was") {
  xenstored_fixture f;
  ::unsetenv("XENSTORED_PATH");
  auto be = real::open_xenstore(f.socket_of(backend_dom));
  REQUIRE(be);
  CHECK_FALSE(env_path().has_value());
  CHECK((*be)->write("whoami", "backend"));  // relative: under the caller's home
  CHECK(f.client(dom0)->read("/local/domain/1/whoami").value() == "backend");
}

TEST_CASE("open_xenstore(socket) leaves a XENSTORED_PATH set by others as it was") {
  xenstored_fixture f;
  ::setenv("XENSTORED_PATH", f.socket_of(dom0).c_str(), 1);
  auto be = real::open_xenstore(f.socket_of(backend_dom));
  REQUIRE(be);
  CHECK(env_path() == f.socket_of(dom0));
  CHECK((*be)->get_domain_path(backend_dom).value() == "/local/domain/1");
  auto by_env = real::open_xenstore();  // no socket: $XENSTORED_PATH's, as before
  REQUIRE(by_env);
  CHECK((*by_env)->write("/by-env", "dom0"));  // only dom0 may write at the root
  ::unsetenv("XENSTORED_PATH");
}

TEST_CASE("two xenstoreds in one process: each connection reaches the daemon whose socket it was opened with") {
  xenstored_fixture first, second;
  auto a = real::open_xenstore(first.socket_of(dom0));
  auto b = real::open_xenstore(second.socket_of(dom0));
  auto a2 = real::open_xenstore(first.socket_of(dom0));  // opened after the second daemon's
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(a2);
  CHECK((*a)->write("/which", "first"));
  CHECK((*b)->write("/which", "second"));
  CHECK((*a2)->read("/which").value() == "first");
  CHECK((*b)->read("/which").value() == "second");
}

TEST_CASE("open_xenstore(socket) of a socket nobody serves fails instead of falling back to XENSTORED_PATH") {
  xenstored_fixture f;
  ::setenv("XENSTORED_PATH", f.socket_of(dom0).c_str(), 1);
  auto gone = real::open_xenstore((f.dir / "nobody").string());
  CHECK_FALSE(gone.has_value());
  CHECK(env_path() == f.socket_of(dom0));
  ::unsetenv("XENSTORED_PATH");
}
