// The project's xenstored, driven by the real libxenstore (through real::open_xenstore(socket)) and by raw frames.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "xenstored_fixture.hpp"

using namespace aw;
using namespace aw::xen;
using aw::test::backend_dom;
using aw::test::frontend_dom;
using aw::test::xenstored_fixture;
using sim::xs_type;

namespace {
bool has_event(const std::vector<xs_watch_event>& evs, std::string_view path, std::string_view token) {
  return std::any_of(evs.begin(), evs.end(), [&](const auto& e) { return e.path == path && e.token == token; });
}
std::string ok() { return std::string("OK\0", 3); }
std::string err(const char* name) { return std::string(name) + '\0'; }
}  // namespace

TEST_CASE("xenstored: the real libxenstore writes, reads, lists and removes nodes") {
  xenstored_fixture f;
  auto xs = f.client(dom0);
  REQUIRE(xs);
  CHECK(xs->write("/a/b/c", "hello"));
  CHECK(xs->read("/a/b/c").value() == "hello");
  CHECK(xs->read("/a/b").value().empty());  // created on the way, empty
  CHECK(xs->write("/a/b/d", std::string("bin\0ary", 7)));
  CHECK(xs->read("/a/b/d").value() == std::string("bin\0ary", 7));
  CHECK(xs->directory("/a/b").value() == std::vector<std::string>{"c", "d"});
  CHECK(xs->mkdir("/a/e"));
  CHECK(xs->directory("/a").value() == std::vector<std::string>{"b", "e"});
  CHECK(xs->rm("/a/b"));
  CHECK(xs->read("/a/b/c").error() == xen_error::not_found);
  CHECK(xs->directory("/a").value() == std::vector<std::string>{"e"});
  CHECK(xs->get_domain_path(7).value() == "/local/domain/7");
}

TEST_CASE("xenstored: removing a missing node succeeds under an existing parent, fails with ENOENT otherwise") {
  xenstored_fixture f;
  auto xs = f.client(dom0);
  REQUIRE(xs);
  CHECK(xs->write("/p", ""));
  CHECK(xs->rm("/p/gone"));
  CHECK(xs->rm("/nowhere/gone").error() == xen_error::not_found);
}

TEST_CASE("xenstored: a watch fires once when set and again on a child write") {
  xenstored_fixture f;
  auto xs = f.client(dom0);
  REQUIRE(xs);
  CHECK(xs->write("/w", ""));
  REQUIRE(xs->watch("/w", "tok"));
  auto first = test::wait_events(*xs, 1);
  REQUIRE(first.size() == 1);
  CHECK(first[0].path == "/w");
  CHECK(first[0].token == "tok");
  CHECK(test::quiet_events(*xs).empty());

  auto other = f.client(dom0);
  REQUIRE(other);
  CHECK(other->write("/w/child", "1"));
  auto second = test::wait_events(*xs, 1);
  REQUIRE(second.size() == 1);
  CHECK(second[0].path == "/w/child");
  CHECK(second[0].token == "tok");
  // A sibling that merely shares the prefix is not below the watch.
  CHECK(other->write("/wx", "1"));
  CHECK(test::quiet_events(*xs).empty());
  CHECK(xs->unwatch("/w", "tok"));
  CHECK(other->write("/w/child", "2"));
  CHECK(test::quiet_events(*xs).empty());
}

TEST_CASE("xenstored: removing a node fires the watches below it with their own paths") {
  xenstored_fixture f;
  auto xs = f.client(dom0);
  REQUIRE(xs);
  CHECK(xs->write("/dev/vif/0/state", "4"));
  REQUIRE(xs->watch("/dev/vif/0/state", "state"));
  REQUIRE(xs->watch("/dev", "dev"));
  (void)test::wait_events(*xs, 2);
  CHECK(xs->rm("/dev/vif"));
  auto evs = test::wait_events(*xs, 2);
  CHECK(has_event(evs, "/dev/vif/0/state", "state"));
  CHECK(has_event(evs, "/dev/vif", "dev"));
}

TEST_CASE("xenstored: a conflicting transaction ends with EAGAIN") {
  xenstored_fixture f;
  auto a = f.client(dom0);
  auto b = f.client(dom0);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->write("/x", "0"));
  auto t = a->transaction_start();
  REQUIRE(t);
  CHECK(a->read("/x", *t).value() == "0");
  CHECK(a->write("/y", "from-a", *t));
  CHECK(b->write("/x", "1"));  // changes what the transaction read
  CHECK(a->transaction_end(*t, true).error() == xen_error::again);
  CHECK(a->read("/y").error() == xen_error::not_found);
  CHECK(a->read("/x").value() == "1");
}

TEST_CASE("xenstored: a transaction's writes are invisible to others until it commits") {
  xenstored_fixture f;
  auto a = f.client(dom0);
  auto b = f.client(dom0);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(b->write("/seen", ""));
  REQUIRE(b->watch("/seen", "w"));
  (void)test::wait_events(*b, 1);
  auto t = a->transaction_start();
  REQUIRE(t);
  CHECK(a->write("/seen/k", "v", *t));
  CHECK(a->read("/seen/k", *t).value() == "v");
  CHECK(b->read("/seen/k").error() == xen_error::not_found);
  CHECK(test::quiet_events(*b).empty());  // no event before the commit
  CHECK(b->write("/unrelated", "1"));     // an unrelated change is no conflict
  CHECK(a->transaction_end(*t, true));
  CHECK(b->read("/seen/k").value() == "v");
  CHECK(has_event(test::wait_events(*b, 1), "/seen/k", "w"));
}

TEST_CASE("xenstored: an aborted transaction leaves the store unchanged") {
  xenstored_fixture f;
  auto a = f.client(dom0);
  REQUIRE(a);
  auto t = a->transaction_start();
  REQUIRE(t);
  CHECK(a->write("/ab/c", "v", *t));
  CHECK(a->rm("/local", *t));
  CHECK(a->transaction_end(*t, false));
  CHECK(a->read("/ab/c").error() == xen_error::not_found);
  CHECK(a->directory("/local").has_value());
  CHECK(a->transaction_end(*t, true).error() == xen_error::not_found);  // gone
}

TEST_CASE("xenstored: with_transaction runs the body again after a conflict") {
  xenstored_fixture f;
  auto a = f.client(dom0);
  auto b = f.client(dom0);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->write("/counter", "0"));
  int runs = 0;
  auto s = with_transaction(*a, [&](xs_transaction t) -> status {
    ++runs;
    auto v = a->read("/counter", t);
    if (!v) return v.error();
    if (runs == 1) (void)b->write("/counter", "10");  // a concurrent writer, once
    return a->write("/counter", std::to_string(std::stoi(*v) + 1), t);
  });
  CHECK(s);
  CHECK(runs == 2);
  CHECK(a->read("/counter").value() == "11");
}

TEST_CASE("xenstored: permissions let a frontend read but not write the backend's nodes") {
  xenstored_fixture f;
  auto d0 = f.client(dom0);
  auto be = f.client(backend_dom);
  auto fe = f.client(frontend_dom);
  REQUIRE(d0);
  REQUIRE(be);
  REQUIRE(fe);
  std::string dir = "/local/domain/1/backend/vif/5/0";
  CHECK(d0->write(dir + "/state", "1"));
  // Nodes inherit their parent's ACL: the backend's home is its own, dom0's tools area is not.
  CHECK(d0->get_permissions(dir).value()[0].domain == backend_dom);
  CHECK(d0->write("/tool/secret", "1"));
  CHECK(be->read("/tool/secret").error() == xen_error::permission_denied);
  CHECK(fe->read(dir + "/state").error() == xen_error::permission_denied);
  xs_permissions perms{{backend_dom, xs_access::none}, {frontend_dom, xs_access::read}};
  CHECK(d0->set_permissions(dir, perms));
  CHECK(d0->set_permissions(dir + "/state", perms));
  CHECK(d0->get_permissions(dir).value() == perms);
  CHECK(be->write(dir + "/state", "2"));  // the owner
  CHECK(fe->read(dir + "/state").value() == "2");
  CHECK(fe->write(dir + "/state", "6").error() == xen_error::permission_denied);
  CHECK(fe->rm(dir).error() == xen_error::permission_denied);
  CHECK(fe->set_permissions(dir, {{frontend_dom, xs_access::both}}).error() == xen_error::permission_denied);
  // A node the backend creates under its own directory is the backend's, with the inherited ACL.
  CHECK(be->write(dir + "/feature-sg", "1"));
  auto p = d0->get_permissions(dir + "/feature-sg");
  REQUIRE(p);
  CHECK((*p)[0].domain == backend_dom);
  CHECK(fe->read(dir + "/feature-sg").value() == "1");
  // The owner may not give the node away.
  CHECK(be->set_permissions(dir, {{frontend_dom, xs_access::none}}).error() == xen_error::permission_denied);
}

TEST_CASE("xenstored: a watch on a node the watcher cannot read stays silent") {
  xenstored_fixture f;
  auto d0 = f.client(dom0);
  auto fe = f.client(frontend_dom);
  REQUIRE(d0);
  REQUIRE(fe);
  CHECK(d0->write("/secret", ""));
  REQUIRE(fe->watch("/secret", "s"));
  (void)test::wait_events(*fe, 1);  // the initial event is always sent
  CHECK(d0->write("/secret/key", "1"));
  CHECK(test::quiet_events(*fe).empty());
}

TEST_CASE("xenstored: relative paths live under the caller's home and their events stay relative") {
  xenstored_fixture f;
  auto fe = f.client(frontend_dom);
  REQUIRE(fe);
  REQUIRE(fe->watch("device", "dev"));
  (void)test::wait_events(*fe, 1);
  CHECK(fe->write("device/vif/0/state", "1"));
  CHECK(fe->read("/local/domain/5/device/vif/0/state").value() == "1");
  auto evs = test::wait_events(*fe, 1);
  CHECK(has_event(evs, "device/vif/0/state", "dev"));
}

TEST_CASE("xenstored: a directory too big for one message is listed in parts") {
  xenstored_fixture f;
  auto xs = f.client(dom0);
  REQUIRE(xs);
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) {
    names.push_back("a-rather-long-child-name-" + std::to_string(1000 + i));
    REQUIRE(xs->write("/big/" + names.back(), ""));
  }
  auto listed = xs->directory("/big");
  REQUIRE(listed);
  CHECK(listed->size() == 300);
  CHECK(*listed == names);
}

TEST_CASE("xenstored: a domain over its node quota gets ENOSPC") {
  sim::xs_limits limits;
  limits.max_nodes_per_domain = 10;
  xenstored_fixture f(limits);
  auto fe = f.client(frontend_dom);
  REQUIRE(fe);
  int written = 0;
  status last = done{};
  for (int i = 0; i < 20 && last; ++i) {
    last = fe->write("data/" + std::to_string(i), "x");
    if (last) ++written;
  }
  CHECK(last.error() == xen_error::quota_exceeded);
  CHECK(written == 8);  // home + data + 8 = 10
  auto d0 = f.client(dom0);
  REQUIRE(d0);
  CHECK(d0->write("/local/domain/5/by-dom0", "x"));  // dom0 is not limited
}

TEST_CASE("xenstored: the watch limit per connection answers E2BIG") {
  sim::xs_limits limits;
  limits.max_watches_per_connection = 3;
  xenstored_fixture f(limits);
  auto xs = f.client(dom0);
  REQUIRE(xs);
  CHECK(xs->watch("/a", "1"));
  CHECK(xs->watch("/b", "1"));
  CHECK(xs->watch("/c", "1"));
  CHECK(xs->watch("/d", "1").error() == xen_error::too_big);
  CHECK(xs->watch("/a", "1").error() == xen_error::exists);
}

TEST_CASE("xenstored: invalid paths are refused with EINVAL") {
  xenstored_fixture f;
  auto xs = f.client(dom0);
  REQUIRE(xs);
  CHECK(xs->write("/a//b", "").error() == xen_error::invalid_argument);
  CHECK(xs->write("/a/", "").error() == xen_error::invalid_argument);
  CHECK(xs->write("/a b", "").error() == xen_error::invalid_argument);
  CHECK(xs->write("/" + std::string(3100, 'a'), "").error() == xen_error::invalid_argument);
  CHECK(xs->rm("/").error() == xen_error::invalid_argument);
  CHECK(xs->write("@special", "").error() == xen_error::invalid_argument);
}

TEST_CASE("xenstored: a raw request answers with the same request id") {
  xenstored_fixture f;
  int fd = f.raw(dom0);
  REQUIRE(fd >= 0);
  test::send_bytes(fd, test::frame(xs_type::write, std::string("/r\0v", 4), 42));
  auto r = test::read_reply(fd);
  CHECK(r.type == static_cast<std::uint32_t>(xs_type::write));
  CHECK(r.req_id == 42);
  CHECK(r.payload == ok());
  // A request split into single bytes is reassembled.
  auto bytes = test::frame(xs_type::read, std::string("/r\0", 3), 43);
  for (auto b : bytes) test::send_bytes(fd, {b});
  r = test::read_reply(fd);
  CHECK(r.req_id == 43);
  CHECK(r.payload == "v");
  ::close(fd);
}

TEST_CASE("xenstored: a request without its terminating NUL gets EINVAL") {
  xenstored_fixture f;
  int fd = f.raw(dom0);
  REQUIRE(fd >= 0);
  test::send_bytes(fd, test::frame(xs_type::read, "/local"));
  auto r = test::read_reply(fd);
  CHECK(r.type == static_cast<std::uint32_t>(xs_type::error));
  CHECK(r.payload == err("EINVAL"));
  test::send_bytes(fd, test::frame(xs_type::write, "/no-nul-at-all"));
  CHECK(test::read_reply(fd).payload == err("EINVAL"));
  test::send_bytes(fd, test::frame(xs_type::set_perms, std::string("/local\0x9\0", 10)));
  CHECK(test::read_reply(fd).payload == err("EINVAL"));
  test::send_bytes(fd, test::frame(xs_type::transaction_end, std::string("T\0", 2), 7, 999));
  CHECK(test::read_reply(fd).payload == err("ENOENT"));
  ::close(fd);
}

TEST_CASE("xenstored: an unknown or reply-only message type gets EINVAL") {
  xenstored_fixture f;
  int fd = f.raw(dom0);
  REQUIRE(fd >= 0);
  for (auto t : {std::uint32_t{99}, std::uint32_t{15}, std::uint32_t{16}, std::uint32_t{0xffff}}) {
    std::vector<std::uint8_t> b;
    sim::append_message(b, static_cast<xs_type>(t), 1, 0, std::string_view{"x\0", 2});
    test::send_bytes(fd, b);
    auto r = test::read_reply(fd);
    CHECK(r.type == static_cast<std::uint32_t>(xs_type::error));
    CHECK(r.payload == err("EINVAL"));
  }
  ::close(fd);
}

TEST_CASE("xenstored: a payload over 4096 bytes disconnects that client only") {
  xenstored_fixture f;
  auto good = f.client(dom0);
  REQUIRE(good);
  int fd = f.raw(dom0);
  REQUIRE(fd >= 0);
  std::uint8_t h[sim::xs_header_size];
  sim::encode_header({static_cast<std::uint32_t>(xs_type::write), 1, 0, 4097}, h);
  test::send_bytes(fd, std::vector<std::uint8_t>(h, h + sizeof h));
  CHECK(test::read_reply(fd).type == UINT32_MAX);  // hung up
  ::close(fd);
  CHECK(good->write("/still", "alive"));
  CHECK(good->read("/still").value() == "alive");
}

TEST_CASE("xenstored: only dom0 introduces and releases domains, and @releaseDomain watchers hear of it") {
  xenstored_fixture f;
  int d0 = f.raw(dom0);
  int fe = f.raw(frontend_dom);
  REQUIRE(d0 >= 0);
  REQUIRE(fe >= 0);
  test::send_bytes(d0, test::frame(xs_type::watch, std::string("@releaseDomain\0t\0", 17)));
  CHECK(test::read_reply(d0).payload == ok());
  auto initial = test::read_reply(d0);
  CHECK(initial.type == static_cast<std::uint32_t>(xs_type::watch_event));
  CHECK(initial.payload == std::string("@releaseDomain\0t\0", 17));
  test::send_bytes(fe, test::frame(xs_type::release, std::string("5\0", 2)));
  CHECK(test::read_reply(fe).payload == err("EACCES"));
  test::send_bytes(d0, test::frame(xs_type::is_domain_introduced, std::string("5\0", 2)));
  CHECK(test::read_reply(d0).payload == std::string("T\0", 2));
  test::send_bytes(d0, test::frame(xs_type::release, std::string("5\0", 2)));
  // The event and the reply, in either order.
  auto x = test::read_reply(d0);
  auto y = test::read_reply(d0);
  CHECK((x.type == static_cast<std::uint32_t>(xs_type::watch_event) ||
         y.type == static_cast<std::uint32_t>(xs_type::watch_event)));
  test::send_bytes(d0, test::frame(xs_type::is_domain_introduced, std::string("5\0", 2)));
  CHECK(test::read_reply(d0).payload == std::string("F\0", 2));
  ::close(d0);
  ::close(fe);
}

TEST_CASE("xenstored: a client that never reads its events is disconnected at the output limit") {
  sim::xs_limits limits;
  limits.max_output_bytes = 64 * 1024;
  xenstored_fixture f(limits);
  int lazy = f.raw(dom0);
  REQUIRE(lazy >= 0);
  int small = 4096;
  (void)::setsockopt(lazy, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  test::send_bytes(lazy, test::frame(xs_type::watch, std::string("/flood\0t\0", 9)));
  CHECK(test::read_reply(lazy).payload == ok());
  CHECK(test::read_reply(lazy).type == static_cast<std::uint32_t>(xs_type::watch_event));
  auto writer = f.client(dom0);
  REQUIRE(writer);
  REQUIRE(writer->write("/flood", ""));
  REQUIRE(f.server.clients() == 2);
  const std::string path = "/flood/" + std::string(1000, 'x');  // ~1 KiB per event
  int writes = 0;
  while (writes < 2000 && f.server.clients() == 2) {
    REQUIRE(writer->write(path, "v"));
    ++writes;
  }
  CHECK(writes < 2000);
  CHECK(f.server.clients() == 1);  // the writer is still served
  CHECK(writer->read(path).value() == "v");
  ::close(lazy);
}

TEST_CASE("xenstored: a transaction that removed a subtree conflicts with a concurrent write below it") {
  xenstored_fixture f;
  auto a = f.client(dom0);
  auto b = f.client(dom0);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->write("/tree/leaf", "1"));
  auto t = a->transaction_start();
  REQUIRE(t);
  CHECK(a->rm("/tree", *t));
  CHECK(b->write("/tree/leaf", "2"));
  CHECK(a->transaction_end(*t, true).error() == xen_error::again);
  CHECK(b->read("/tree/leaf").value() == "2");
}

TEST_CASE("xenstored: a transaction that created a node conflicts with another creating it first") {
  xenstored_fixture f;
  auto a = f.client(dom0);
  auto b = f.client(dom0);
  REQUIRE(a);
  REQUIRE(b);
  auto t = a->transaction_start();
  REQUIRE(t);
  CHECK(a->read("/new", *t).error() == xen_error::not_found);
  CHECK(a->write("/new", "a", *t));
  CHECK(b->write("/new", "b"));
  CHECK(a->transaction_end(*t, true).error() == xen_error::again);
  CHECK(a->read("/new").value() == "b");
}

TEST_CASE("xenstored: with_transaction gives up with again after its attempts and an error aborts at once") {
  xenstored_fixture f;
  auto a = f.client(dom0);
  auto b = f.client(dom0);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->write("/hot", "0"));
  int runs = 0;
  auto s = with_transaction(
      *a,
      [&](xs_transaction t) -> status {
        ++runs;
        (void)a->read("/hot", t);
        (void)b->write("/hot", std::to_string(runs));  // always conflicts
        return a->write("/hot-copy", "x", t);
      },
      3);
  CHECK(s.error() == xen_error::again);
  CHECK(runs == 3);
  CHECK(a->read("/hot-copy").error() == xen_error::not_found);
  runs = 0;
  s = with_transaction(*a, [&](xs_transaction t) -> status {
    ++runs;
    (void)a->write("/partial", "x", t);
    return a->read("/missing", t).error();
  });
  CHECK(s.error() == xen_error::not_found);
  CHECK(runs == 1);
  CHECK(a->read("/partial").error() == xen_error::not_found);
}

TEST_CASE("xenstored: a domain's transaction count is limited") {
  sim::xs_limits limits;
  limits.max_transactions_per_connection = 2;
  xenstored_fixture f(limits);
  auto a = f.client(frontend_dom);
  REQUIRE(a);
  auto t1 = a->transaction_start();
  auto t2 = a->transaction_start();
  REQUIRE(t1);
  REQUIRE(t2);
  CHECK(a->transaction_start().error() == xen_error::quota_exceeded);
  CHECK(a->transaction_end(*t1, false));
  CHECK(a->transaction_start().has_value());
}
