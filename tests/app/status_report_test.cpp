// tests/app/status_report_test.cpp — `actorwall status`: the dump read back, grouped, shown.
#include <doctest/doctest.h>

#include "app/status_report.hpp"

using namespace aw;
using app::parse_status;

namespace {

// A dump as the service writes it (shortened): totals, a section, a client, a vif port
// (a port name with a dot) serving it, the uplink, another client's vif.
constexpr std::string_view dump =
    "supervisor.restarts 0\n"
    "port.vif3.0.client 10.137.0.10\n"
    "port.vif3.0.rx_frames 12\n"
    "port.vif3.0.rx_batches 4\n"
    "port.vif3.0.tx_frames 9\n"
    "port.vif3.0.tx_dropped 0\n"
    "port.vif3.0.link.xenbus_state 4\n"
    "port.vif3.0.link.rx_no_buffers 7\n"
    "port.vif4.0.client 10.137.0.11\n"
    "port.vif4.0.rx_frames 1\n"
    "port.vif4.0.rx_batches 1\n"
    "port.uplink.rx_frames 30\n"
    "port.uplink.rx_batches 10\n"
    "port.uplink.link.link_down 1\n"
    "forwarded 21\n"
    "drop.spoofed_source 2\n"
    "nat.sessions 3\n"
    "client.10.137.0.10.forwarded 20\n"
    "client.10.137.0.10.drop.spoofed_source 2\n"
    "client.10.137.0.11.forwarded 1\n";

}  // namespace

TEST_CASE("status: the dump's lines are read as name and value, and other lines are counted, not shown") {
  auto r = parse_status("a 1\nno-value\n\nb two words\n c 3\nd 4");
  REQUIRE(r.entries.size() == 2);
  CHECK(r.entries[0].name == "a");
  CHECK(r.entries[1].name == "d");
  CHECK(r.entries[1].value == "4");
  CHECK(r.malformed == 3);
}

TEST_CASE("status: the table groups sections, clients and ports, and a vif port shows its client, its xenbus state and its drops") {
  const auto t = app::render_table(parse_status(dump));
  CHECK(t.find("supervisor  restarts 0") != std::string::npos);
  CHECK(t.find("totals      forwarded 21") != std::string::npos);
  CHECK(t.find("drops       spoofed_source 2") != std::string::npos);
  CHECK(t.find("nat         sessions 3") != std::string::npos);
  // A port named vif3.0 is one port, not "vif3" with a counter "0.rx_frames".
  const auto vif = t.find("\nvif3.0 ");
  REQUIRE(vif != std::string::npos);
  const auto row = t.substr(vif + 1, t.find('\n', vif + 1) - vif - 1);
  CHECK(row.find("10.137.0.10") != std::string::npos);
  CHECK(row.find("connected") != std::string::npos);
  CHECK(row.find("link.rx_no_buffers 7") != std::string::npos);
  CHECK(row.find("tx_dropped") == std::string::npos);  // zero: nothing to look at
  CHECK(row.find("rx_batches") == std::string::npos);  // traffic, not trouble
  CHECK(t.find("link.link_down 1") != std::string::npos);
  const auto client = t.find("\n10.137.0.10 ");
  REQUIRE(client != std::string::npos);
  CHECK(t.substr(client, t.find('\n', client + 1) - client).find("spoofed_source 2") != std::string::npos);
}

TEST_CASE("status: --client keeps that client's counters and the ports serving it, nothing of another client") {
  const auto r = app::only_client(parse_status(dump), proto::ipv4_address::from_octets(10, 137, 0, 10));
  const auto raw = app::render_raw(r);
  CHECK(raw ==
        "port.vif3.0.client 10.137.0.10\nport.vif3.0.rx_frames 12\nport.vif3.0.rx_batches 4\n"
        "port.vif3.0.tx_frames 9\nport.vif3.0.tx_dropped 0\nport.vif3.0.link.xenbus_state 4\n"
        "port.vif3.0.link.rx_no_buffers 7\nclient.10.137.0.10.forwarded 20\nclient.10.137.0.10.drop.spoofed_source 2\n");
  CHECK(app::only_client(parse_status(dump), proto::ipv4_address::from_octets(10, 137, 0, 99)).entries.empty());
}

TEST_CASE("status: JSON keeps counts as numbers, the client address as a string, and escapes names") {
  const auto j = app::render_json(parse_status(std::string{dump} + "port.a\"b.rx_batches 1\n"));
  CHECK(j.find("\"vif3.0\": {\"client\": \"10.137.0.10\", \"rx_frames\": 12,") != std::string::npos);
  CHECK(j.find("\"10.137.0.10\": {\"forwarded\": 20, \"drop.spoofed_source\": 2}") != std::string::npos);
  CHECK(j.find("\"totals\": {\"forwarded\": 21}") != std::string::npos);
  CHECK(j.find("\"a\\\"b\": {\"rx_batches\": 1}") != std::string::npos);
  CHECK(j.find("\"malformed_lines\": 0") != std::string::npos);
}

TEST_CASE("status: a raw dump round-trips the service's lines unchanged") {
  CHECK(app::render_raw(parse_status(dump)) == dump);
}

TEST_CASE("status: JSON from a foreign or hostile dump stays RFC 8259 (no leading zeros, UTF-8 only, no duplicate keys)") {
  const auto j = app::render_json(parse_status("a 007\nb 0\nports.x 1\nclients.y 2\nz\xff\xfe 3\n"));
  CHECK(j.find("\"a\": \"007\"") != std::string::npos);  // not a number: kept as text
  CHECK(j.find("\"b\": 0") != std::string::npos);
  CHECK(j.find("\"other.ports\": {\"x\": 1}") != std::string::npos);
  CHECK(j.find("\"other.clients\": {\"y\": 2}") != std::string::npos);
  CHECK(j.find("\"z\\ufffd\\ufffd\": 3") != std::string::npos);
  CHECK(j.find('\xff') == std::string::npos);
}
