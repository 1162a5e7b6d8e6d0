// tests/qubes/qdb_client_test.cpp — the QubesDB client against the fake daemon: requests, watches, interleaving, restarts, malformed input.
#include <doctest/doctest.h>

#include <poll.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "qdb_test_support.hpp"
#include "qubes/fake_qubesdb.hpp"
#include "qubes/network_config.hpp"
#include "qubes/qdb_client.hpp"

using namespace aw::qubes;
using aw::qubes::test::pump;
using aw::qubes::test::raw_header;
using aw::qubes::test::temp_dir;

namespace {

const qdb_map sys_firewall = {
    {"/qubes-ip", "10.137.0.2"},
    {"/qubes-netmask", "255.255.255.255"},
    {"/qubes-gateway", "10.137.0.1"},
    {"/qubes-netvm-gateway", "10.137.0.2"},
    {"/connected-ips", "10.137.0.5 10.137.0.7"},
    {"/qubes-firewall/10.137.0.5", ""},
    {"/qubes-firewall/10.137.0.5/policy", "drop"},
    {"/qubes-firewall/10.137.0.5/0000", "action=accept specialtarget=dns"},
    {"/qubes-firewall/10.137.0.5/0001", "action=accept proto=icmp icmptype=8"},
};

// One fake daemon, one connected client recording what it hears.
struct fixture {
  temp_dir dir;
  std::string sock = dir.file("qubesdb.sock");
  std::unique_ptr<fake_qubesdb> server;
  std::vector<std::string> events;     // watch paths in delivery order
  std::vector<std::string> log;        // "watch:<path>" and "reply:<what>" in order
  std::vector<qdb_error> disconnects;
  int connects = 0;
  qdb_client client{sock};

  explicit fixture(qdb_map keys = sys_firewall, qdb_client_limits limits = {}) : client{sock, {}, limits} {
    auto s = fake_qubesdb::start(sock, std::move(keys));
    REQUIRE(s.has_value());
    server = std::move(*s);
    client.set_handlers({[this](const std::string& p) {
                           events.push_back(p);
                           log.push_back("watch:" + p);
                         },
                         [this](qdb_error e, const std::string&) { disconnects.push_back(e); },
                         [this] { ++connects; }});
    REQUIRE(client.connect().has_value());
    REQUIRE(pump(client, server.get(), [&] { return server->client_count() == 1; }));
  }
  template <class Pred>
  bool run_until(Pred p) {
    return pump(client, server.get(), p);
  }
};

}  // namespace

TEST_CASE("qdb client: reads a key") {
  fixture f;
  std::optional<qdb_reply<std::string>> got;
  f.client.read("/qubes-ip", [&](qdb_reply<std::string> r) { got = std::move(r); });
  REQUIRE(f.run_until([&] { return got.has_value(); }));
  REQUIRE(got->has_value());
  CHECK(**got == "10.137.0.2");
}

TEST_CASE("qdb client: reading a missing key is not_found") {
  fixture f;
  std::optional<qdb_reply<std::string>> got;
  f.client.read("/qubes-ip6", [&](qdb_reply<std::string> r) { got = std::move(r); });
  REQUIRE(f.run_until([&] { return got.has_value(); }));
  CHECK(got->error() == qdb_failure::not_found);
  CHECK(f.client.connected());
}

TEST_CASE("qdb client: multiread returns every key under a prefix with its value") {
  fixture f;
  std::optional<qdb_reply<qdb_entries>> got;
  f.client.multiread("/qubes-firewall/10.137.0.5/", [&](qdb_reply<qdb_entries> r) { got = std::move(r); });
  REQUIRE(f.run_until([&] { return got.has_value(); }));
  REQUIRE(got->has_value());
  qdb_entries expected = {{"/qubes-firewall/10.137.0.5/0000", "action=accept specialtarget=dns"},
                          {"/qubes-firewall/10.137.0.5/0001", "action=accept proto=icmp icmptype=8"},
                          {"/qubes-firewall/10.137.0.5/policy", "drop"}};
  CHECK(**got == expected);
}

TEST_CASE("qdb client: multiread of the empty prefix returns the whole database") {
  fixture f;
  std::optional<qdb_reply<qdb_entries>> got;
  f.client.multiread("", [&](qdb_reply<qdb_entries> r) { got = std::move(r); });
  REQUIRE(f.run_until([&] { return got.has_value(); }));
  REQUIRE(got->has_value());
  CHECK(to_map(**got) == sys_firewall);
}

TEST_CASE("qdb client: list returns paths only, an empty match is an empty list") {
  fixture f;
  std::optional<qdb_reply<std::vector<std::string>>> got, none;
  f.client.list("/qubes-firewall/", [&](auto r) { got = std::move(r); });
  f.client.list("/nothing/", [&](auto r) { none = std::move(r); });
  REQUIRE(f.run_until([&] { return got.has_value() && none.has_value(); }));
  REQUIRE(got->has_value());
  CHECK(**got == std::vector<std::string>{"/qubes-firewall/10.137.0.5", "/qubes-firewall/10.137.0.5/0000",
                                          "/qubes-firewall/10.137.0.5/0001", "/qubes-firewall/10.137.0.5/policy"});
  REQUIRE(none->has_value());
  CHECK((*none)->empty());
}

TEST_CASE("qdb client: replies complete in request order") {
  fixture f;
  std::vector<std::string> order;
  f.client.read("/qubes-gateway", [&](auto) { order.push_back("read"); });
  f.client.multiread("/qubes-firewall/", [&](auto) { order.push_back("multiread"); });
  f.client.write("/x", "1", [&](auto) { order.push_back("write"); });
  f.client.list("/", [&](auto) { order.push_back("list"); });
  f.client.read("/missing", [&](auto) { order.push_back("read-missing"); });
  REQUIRE(f.run_until([&] { return order.size() == 5; }));
  CHECK(order == std::vector<std::string>{"read", "multiread", "write", "list", "read-missing"});
  CHECK(f.client.outstanding() == 0);
}

TEST_CASE("qdb client: write and rm, including a subtree with a trailing slash") {
  fixture f;
  int done = 0;
  std::optional<qdb_failure> rm_missing;
  f.client.write("/qubes-service/example", "1", [&](auto r) { done += r.has_value(); });
  f.client.rm("/qubes-firewall/10.137.0.5/", [&](auto r) { done += r.has_value(); });
  f.client.rm("/qubes-firewall/10.137.0.9/", [&](auto r) { rm_missing = r.error(); });
  REQUIRE(f.run_until([&] { return done == 2 && rm_missing.has_value(); }));
  CHECK(*rm_missing == qdb_failure::not_found);
  CHECK(f.server->keys().at("/qubes-service/example") == "1");
  CHECK(f.server->keys().count("/qubes-firewall/10.137.0.5/policy") == 0);
  CHECK(f.server->keys().count("/qubes-firewall/10.137.0.5") == 1);  // the marker is not under the slash
}

TEST_CASE("qdb client: a watch fires after another client's write") {
  fixture f;
  bool registered = false;
  f.client.watch("/qubes-ip", [&](auto r) { registered = r.has_value(); });
  REQUIRE(f.run_until([&] { return registered; }));
  qdb_client other{f.sock};
  REQUIRE(other.connect().has_value());
  bool written = false;
  other.write("/qubes-ip", "10.137.0.3", [&](auto r) { written = r.has_value(); });
  REQUIRE(pump(other, f.server.get(), [&] { return written; }));
  REQUIRE(f.run_until([&] { return !f.events.empty(); }));
  CHECK(f.events == std::vector<std::string>{"/qubes-ip"});
}

TEST_CASE("qdb client: a prefix watch covers the subtree, an exact watch only its key") {
  fixture f;
  int ok = 0;
  f.client.watch("/qubes-firewall/", [&](auto r) { ok += r.has_value(); });
  f.client.watch("/qubes-gateway", [&](auto r) { ok += r.has_value(); });
  REQUIRE(f.run_until([&] { return ok == 2; }));
  f.server->set("/qubes-firewall/10.137.0.7/policy", "drop");
  f.server->set("/qubes-gateway6", "fd09:24ef:4179::1");  // a sibling of the exact watch
  f.server->set("/qubes-gateway", "10.137.0.9");
  REQUIRE(f.run_until([&] { return f.events.size() == 2; }));
  CHECK(f.events == std::vector<std::string>{"/qubes-firewall/10.137.0.7/policy", "/qubes-gateway"});
  CHECK(f.client.watches() == std::set<std::string>{"/qubes-firewall/", "/qubes-gateway"});
}

TEST_CASE("qdb client: unwatch stops the events") {
  fixture f;
  int ok = 0;
  f.client.watch("/qubes-ip", [&](auto r) { ok += r.has_value(); });
  f.client.unwatch("/qubes-ip", [&](auto r) { ok += r.has_value(); });
  REQUIRE(f.run_until([&] { return ok == 2; }));
  CHECK(f.server->watches().empty());
  f.server->set("/qubes-ip", "10.137.0.4");
  bool read = false;
  f.client.read("/qubes-ip", [&](auto) { read = true; });
  REQUIRE(f.run_until([&] { return read; }));
  CHECK(f.events.empty());
}

TEST_CASE("qdb client: watch events inside a MULTIREAD reply are set aside and delivered after it") {
  fixture f;
  f.server->interleave_in_next_reply({"/qubes-firewall/10.137.0.5", "/qubes-ip"});
  std::optional<qdb_reply<qdb_entries>> got;
  f.client.multiread("/qubes-firewall/10.137.0.5/", [&](auto r) {
    got = std::move(r);
    f.log.push_back("reply:multiread");
  });
  REQUIRE(f.run_until([&] { return got.has_value() && f.events.size() == 2; }));
  REQUIRE(got->has_value());
  CHECK((*got)->size() == 3);  // the reply is whole: no event taken for an item
  CHECK(f.log == std::vector<std::string>{"reply:multiread", "watch:/qubes-firewall/10.137.0.5", "watch:/qubes-ip"});
  CHECK(f.disconnects.empty());
}

TEST_CASE("qdb client: watch events inside a LIST reply are set aside and delivered after it") {
  fixture f;
  f.server->interleave_in_next_reply({"/qubes-firewall/10.137.0.5"});
  std::optional<qdb_reply<std::vector<std::string>>> got;
  f.client.list("/qubes-", [&](auto r) {
    got = std::move(r);
    f.log.push_back("reply:list");
  });
  REQUIRE(f.run_until([&] { return got.has_value() && !f.events.empty(); }));
  REQUIRE(got->has_value());
  CHECK((*got)->size() == 8);
  CHECK(f.log == std::vector<std::string>{"reply:list", "watch:/qubes-firewall/10.137.0.5"});
}

TEST_CASE("qdb client: the same path set aside twice is delivered once") {
  fixture f;
  f.server->interleave_in_next_reply({"/qubes-ip", "/qubes-ip"});
  bool done = false;
  f.client.list("/qubes-ip", [&](auto) { done = true; });
  REQUIRE(f.run_until([&] { return done && !f.events.empty(); }));
  CHECK(f.events == std::vector<std::string>{"/qubes-ip"});
}

TEST_CASE("qdb client: daemon restart: disconnect reported, reconnect re-registers every watch") {
  fixture f;
  int ok = 0;
  f.client.watch("/qubes-firewall/", [&](auto r) { ok += r.has_value(); });
  f.client.watch("/connected-ips", [&](auto r) { ok += r.has_value(); });
  REQUIRE(f.run_until([&] { return ok == 2; }));

  std::optional<qdb_failure> in_flight;
  f.client.read("/qubes-ip", [&](auto r) { in_flight = r.has_value() ? std::nullopt : std::optional{r.error()}; });
  f.server.reset();  // the daemon goes away before answering
  REQUIRE(f.run_until([&] { return !f.client.connected(); }));
  CHECK(f.disconnects == std::vector<qdb_error>{qdb_error::connection_closed});
  CHECK(in_flight == qdb_failure::disconnected);
  CHECK(f.client.watches().size() == 2);  // kept for the next connection

  // While it is away, connecting fails; the owner backs off.
  CHECK(f.client.connect().error() == qdb_error::connect_failed);
  qdb_backoff backoff{100, 1000};
  CHECK(backoff.next_delay_ms() == 100);
  CHECK(backoff.next_delay_ms() == 200);
  CHECK(backoff.next_delay_ms() == 400);
  CHECK(backoff.next_delay_ms() == 800);
  CHECK(backoff.next_delay_ms() == 1000);
  CHECK(backoff.next_delay_ms() == 1000);
  backoff.reset();
  CHECK(backoff.next_delay_ms() == 100);

  auto restarted = fake_qubesdb::start(f.sock, sys_firewall);
  REQUIRE(restarted.has_value());
  f.server = std::move(*restarted);
  REQUIRE(f.client.connect().has_value());
  CHECK(f.connects == 2);
  REQUIRE(f.run_until([&] { return f.server->watches().size() == 2; }));
  CHECK(f.server->watches() == std::multiset<std::string>{"/connected-ips", "/qubes-firewall/"});
  f.server->set("/connected-ips", "10.137.0.5");
  REQUIRE(f.run_until([&] { return !f.events.empty(); }));
  CHECK(f.events == std::vector<std::string>{"/connected-ips"});
}

TEST_CASE("qdb client: requests while disconnected fail at once, watches wait for the connection") {
  temp_dir dir;
  qdb_client c{dir.file("absent.sock")};
  CHECK(c.connect().error() == qdb_error::connect_failed);
  std::optional<qdb_failure> failure;
  c.read("/qubes-ip", [&](auto r) { failure = r.error(); });
  CHECK(failure == qdb_failure::disconnected);
  bool watch_ok = false;
  c.watch("/qubes-ip", [&](auto r) { watch_ok = r.has_value(); });
  CHECK(watch_ok);
  CHECK(c.watches().count("/qubes-ip") == 1);
}

TEST_CASE("qdb client: paths the protocol cannot carry are refused without being sent") {
  fixture f;
  std::vector<qdb_failure> failures;
  auto record = [&](auto r) { failures.push_back(r.error()); };
  f.client.read("/dir/", record);
  f.client.read("/with space", record);
  f.client.write("/k", std::string(3073, 'x'), record);
  f.client.multiread("relative", record);
  f.client.watch("", record);
  CHECK(failures == std::vector<qdb_failure>(5, qdb_failure::bad_request));
  CHECK(f.client.outstanding() == 0);
  CHECK(f.client.connected());
}

TEST_CASE("qdb client: too many requests in flight are refused as busy") {
  qdb_client_limits limits;
  limits.max_outstanding = 2;
  fixture f{sys_firewall, limits};
  std::vector<std::string> results;
  for (int i = 0; i < 3; ++i) {
    f.client.read("/qubes-ip", [&](auto r) { results.push_back(r.has_value() ? *r : std::string{to_string(r.error())}); });
  }
  CHECK(results == std::vector<std::string>{"busy"});
  REQUIRE(f.run_until([&] { return results.size() == 3; }));
  CHECK(results == std::vector<std::string>{"busy", "10.137.0.2", "10.137.0.2"});
}

TEST_CASE("qdb client: watches re-sent on connect do not count against max_outstanding") {
  qdb_client_limits limits;
  limits.max_outstanding = 1;
  fixture f{sys_firewall, limits};
  f.client.disconnect();
  for (const char* w : {"/qubes-ip", "/qubes-gateway", "/qubes-firewall/"}) f.client.watch(w);
  REQUIRE(f.client.connect().has_value());
  REQUIRE(f.run_until([&] { return f.server->watches().size() == 3; }));
  CHECK(f.client.watches().size() == 3);
  CHECK(f.client.outstanding() == 0);
}

namespace {

// The fake daemon sends `raw`; the client must report `expected`, close the
// connection, fail what was in flight, and connect again afterwards.
void check_malformed(const std::vector<std::uint8_t>& raw, qdb_error expected) {
  fixture f;
  std::optional<qdb_failure> in_flight;
  f.client.read("/qubes-ip", [&](auto r) { in_flight = r.has_value() ? std::nullopt : std::optional{r.error()}; });
  // Deliver the garbage before the daemon answers the read.
  f.server->send_raw(raw);
  REQUIRE(f.run_until([&] { return !f.client.connected(); }));
  CHECK(f.disconnects == std::vector<qdb_error>{expected});
  CHECK(f.client.last_error() == expected);
  CHECK(in_flight == qdb_failure::disconnected);
  // Reconnect: the daemon is still there.
  REQUIRE(f.client.connect().has_value());
  std::optional<qdb_reply<std::string>> got;
  f.client.read("/qubes-ip", [&](auto r) { got = std::move(r); });
  REQUIRE(f.run_until([&] { return got.has_value(); }));
  CHECK(got->has_value());
}

}  // namespace

TEST_CASE("qdb client: a message of unknown type is an error and a reconnect") {
  check_malformed(raw_header(99, "/qubes-ip", 0), qdb_error::unknown_type);
}

TEST_CASE("qdb client: a request type from the daemon is an error and a reconnect") {
  check_malformed(raw_header(1, "/qubes-ip", 0), qdb_error::unexpected_type);
}

TEST_CASE("qdb client: an unterminated path is an error and a reconnect") {
  check_malformed(raw_header(10, "/" + std::string(63, 'x'), 0), qdb_error::path_not_terminated);
}

TEST_CASE("qdb client: an oversized data_len is an error and a reconnect") {
  check_malformed(raw_header(10, "/qubes-ip", 1u << 20), qdb_error::data_too_long);
}

TEST_CASE("qdb client: a reply of the wrong type is an error and a reconnect") {
  check_malformed(raw_header(12, "/qubes-ip", 0), qdb_error::unexpected_reply);  // RESP_LIST to a READ
}

TEST_CASE("qdb client: a reply with no request outstanding is an error and a reconnect") {
  fixture f;
  f.server->send_raw(raw_header(7, "/qubes-ip", 0));  // RESP_OK out of nowhere
  REQUIRE(f.run_until([&] { return !f.client.connected(); }));
  CHECK(f.disconnects == std::vector<qdb_error>{qdb_error::unexpected_reply});
}

TEST_CASE("qdb client: a MULTIREAD item outside the prefix is an error") {
  fixture f;
  std::optional<qdb_failure> failure;
  f.client.multiread("/qubes-firewall/", [&](auto r) { failure = r.error(); });
  auto item = raw_header(11, "/qubes-ip", 0);
  f.server->send_raw(item);
  REQUIRE(f.run_until([&] { return failure.has_value(); }));
  CHECK(*failure == qdb_failure::disconnected);
  CHECK(f.disconnects == std::vector<qdb_error>{qdb_error::unexpected_reply});
}

TEST_CASE("qdb client: a reply longer than max_reply_entries is an error") {
  qdb_client_limits limits;
  limits.max_reply_entries = 2;
  fixture f{sys_firewall, limits};
  std::optional<qdb_failure> failure;
  f.client.list("/qubes-firewall/", [&](auto r) { failure = r.error(); });
  REQUIRE(f.run_until([&] { return failure.has_value(); }));
  CHECK(f.disconnects == std::vector<qdb_error>{qdb_error::reply_too_large});
}

TEST_CASE("qdb client: more distinct watch events than it may set aside is an error") {
  qdb_client_limits limits;
  limits.max_pending_watch_events = 1;
  fixture f{sys_firewall, limits};
  f.server->interleave_in_next_reply({"/a", "/b"});
  bool done = false;
  f.client.list("/qubes-ip", [&](auto) { done = true; });
  REQUIRE(f.run_until([&] { return done; }));
  CHECK(f.disconnects == std::vector<qdb_error>{qdb_error::watch_overflow});
  CHECK(f.events.empty());
}

TEST_CASE("qdb client: dom0's rule reload reaches the reader as one commit signal") {
  fixture f;
  bool watching = false;
  f.client.watch("/qubes-firewall/", [&](auto r) { watching = r.has_value(); });
  REQUIRE(f.run_until([&] { return watching; }));

  // dom0 (another client): rm the client's dir, write policy and rules, then the marker.
  qdb_client dom0{f.sock};
  REQUIRE(dom0.connect().has_value());
  int done = 0;
  auto count = [&](auto r) { done += r.has_value(); };
  dom0.rm("/qubes-firewall/10.137.0.5/", count);
  dom0.write("/qubes-firewall/10.137.0.5/policy", "drop", count);
  dom0.write("/qubes-firewall/10.137.0.5/0000", "action=accept dst4=10.0.0.0/8", count);
  dom0.write("/qubes-firewall/10.137.0.5/0003", "action=drop proto=udp dstports=53-53", count);
  dom0.write("/qubes-firewall/10.137.0.5", "", count);
  REQUIRE(pump(dom0, f.server.get(), [&] { return done == 5; }));
  REQUIRE(f.run_until([&] { return f.events.size() == 5; }));

  std::vector<std::string> reloads;
  for (const auto& e : f.events) {
    if (auto ip = commit_signal_client(e)) reloads.push_back(*ip);
  }
  CHECK(reloads == std::vector<std::string>{"10.137.0.5"});

  std::optional<qdb_reply<qdb_entries>> got;
  f.client.multiread("/qubes-firewall/10.137.0.5", [&](auto r) { got = std::move(r); });
  REQUIRE(f.run_until([&] { return got.has_value(); }));
  REQUIRE(got->has_value());
  auto rules = firewall_rules_for(to_map(**got), "10.137.0.5");
  REQUIRE(rules.has_value());
  CHECK(rules->policy == "drop");
  CHECK(rules->lines == std::vector<std::string>{"action=accept dst4=10.0.0.0/8", "action=drop proto=udp dstports=53-53"});
}

TEST_CASE("qdb client: the fake daemon also runs on its own thread") {
  temp_dir dir;
  std::string sock = dir.file("qubesdb.sock");
  auto started = fake_qubesdb::start(sock, sys_firewall);
  REQUIRE(started.has_value());
  std::unique_ptr<fake_qubesdb> server = std::move(*started);
  std::thread loop([&] { server->run(); });

  std::vector<std::string> events;
  qdb_client c{sock, {[&](const std::string& p) { events.push_back(p); }, {}, {}}};
  REQUIRE(c.connect().has_value());
  bool watching = false;
  std::optional<qdb_reply<std::string>> got;
  c.watch("/qubes-netvm-gateway", [&](auto r) { watching = r.has_value(); });
  c.read("/qubes-gateway", [&](auto r) { got = std::move(r); });
  REQUIRE(pump(c, nullptr, [&] { return watching && got.has_value(); }));
  CHECK(**got == "10.137.0.1");
  server->post([](fake_qubesdb& s) { s.set("/qubes-netvm-gateway", "10.137.0.20"); });
  REQUIRE(pump(c, nullptr, [&] { return !events.empty(); }));
  CHECK(events == std::vector<std::string>{"/qubes-netvm-gateway"});

  server->stop();
  loop.join();
}

TEST_CASE("qdb client: a daemon writing without pause is read a bounded amount per call, the rest left readable") {
  // The same watch event over and over coalesces into one delivery: without a bound per
  // call, a daemon that never stops writing held the caller in on_readable() for ever.
  qdb_client_limits limits;
  limits.max_reads_per_call = 2;
  fixture f{sys_firewall, limits};
  f.client.watch("/qubes-ip");
  REQUIRE(f.run_until([&] { return f.server->watches().count("/qubes-ip") == 1; }));
  std::vector<std::uint8_t> flood;
  for (int i = 0; i < 400; ++i) {  // 28.8 KB: more than two 4 KiB reads
    auto m = raw_header(13, "/qubes-ip", 0);  // RESP_WATCH
    flood.insert(flood.end(), m.begin(), m.end());
  }
  f.server->send_raw(flood);
  pollfd p{f.client.fd(), POLLIN, 0};
  for (int i = 0; i < 100 && ::poll(&p, 1, 10) == 0; ++i) f.server->poll_once(10);
  REQUIRE(::poll(&p, 1, 0) == 1);
  f.client.on_readable();
  CHECK(f.client.connected());
  CHECK(::poll(&p, 1, 0) == 1);  // more left for the next call
}
