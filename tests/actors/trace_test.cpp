// The actor trace: Chrome trace-event JSON that a JSON parser accepts, with one event per
// message; pcap files with the libpcap header and one record per frame; off costs nothing.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "actors/trace.hpp"
#include "protocol/ethernet.hpp"
#include "support/packets.hpp"

using namespace aw;

namespace {
std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char t[] = "/tmp/aw-trace-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};
}  // namespace

TEST_CASE("trace: messages become Chrome trace events a JSON parser accepts, one track per actor") {
  temp_dir d;
  auto& t = actors::tracer::instance();
  REQUIRE(t.start({(d.path / "t.json").string(), std::nullopt}));
  proto::buffer_pool pool;
  auto ip = test::udp_packet({}, 1000, 53, test::payload_of(20));
  auto p = proto::make_packet(pool, ip).value();
  t.message("port vif5.0", "firewall", "client_packets", std::span(&p, 1));
  t.message("firewall", "port \"uplink\"", "transmit_packets", std::span(&p, 1));
  CHECK(t.events_written() == 2);
  t.stop();
  const auto text = slurp(d.path / "t.json");
  CHECK(text.find("\"client_packets\"") != std::string::npos);
  CHECK(text.find("\"batch\":1") != std::string::npos);
  CHECK(text.find("udp 1000 > 53") != std::string::npos);  // the first packet's summary
  CHECK(text.find("port \\\"uplink\\\"") != std::string::npos);  // escaped
  const std::string cmd = "python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); "
                          "assert sum(1 for x in e if x.get(\"ph\")==\"i\")==2' " + (d.path / "t.json").string();
  CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("trace: frames go to <dir>/<interface>.pcap with the libpcap header and one record each") {
  temp_dir d;
  auto& t = actors::tracer::instance();
  REQUIRE(t.start({"", (d.path / "pcap").string()}));
  CHECK_FALSE(t.messages_on());
  proto::buffer_pool pool;
  std::vector<std::uint8_t> frame(60, 0);
  proto::ethernet_repr{proto::mac_address::broadcast(), proto::mac_address{{0, 0x16, 0x3e, 0, 0, 1}},
                       proto::ethertype::arp, std::nullopt}
      .emit(frame);
  std::vector<proto::packet> frames{proto::make_packet(pool, frame).value(), proto::make_packet(pool, frame).value()};
  t.frames("vif5.0", frames);
  t.stop();
  const auto bytes = slurp(d.path / "pcap" / "vif5.0.pcap");
  REQUIRE(bytes.size() == 24 + 2 * (16 + 60));
  std::uint32_t magic = 0, linktype = 0;
  std::memcpy(&magic, bytes.data(), 4);
  std::memcpy(&linktype, bytes.data() + 20, 4);
  CHECK(magic == 0xa1b2c3d4u);
  CHECK(linktype == 1u);
}

TEST_CASE("trace: off, nothing is written and the checks are a single flag") {
  auto& t = actors::tracer::instance();
  CHECK_FALSE(t.messages_on());
  CHECK_FALSE(t.frames_on());
  proto::buffer_pool pool;
  auto p = proto::make_packet(pool, test::udp_packet({}, 1, 2, {})).value();
  t.message("a", "b", "c", std::span(&p, 1));
  CHECK(t.events_written() == 0);
}
