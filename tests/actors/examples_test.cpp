// The shipped example QubesDB files and rule sets parse, and compile without failing closed.
#include <doctest/doctest.h>

#include <filesystem>

#include "qubes/network_config.hpp"
#include "qubes/qdb_file.hpp"
#include "rules/ruleset.hpp"

using namespace aw;

TEST_CASE("examples: every QubesDB file and rule set compiles without failing closed") {
  std::size_t files = 0;
  for (const char* dir : {"examples/qubesdb", "examples/rules"}) {
    for (const auto& entry : std::filesystem::directory_iterator{std::filesystem::path{AW_SOURCE_DIR} / dir}) {
      CAPTURE(entry.path().string());
      auto keys = qubes::load_qdb_file(entry.path().string());
      REQUIRE(keys);
      auto clients = qubes::firewall_rules(*keys);
      CHECK_FALSE(clients.empty());
      for (const auto& [ip, lines] : clients) {
        REQUIRE(lines);
        auto set = rules::compile_ordered_ruleset(lines->policy, lines->lines);
        CHECK_FALSE(set.failed_closed());
      }
      ++files;
    }
  }
  CHECK(files >= 4);
}

TEST_CASE("examples: the lab's QubesDB file is a complete network configuration") {
  auto keys = qubes::load_qdb_file(std::string{AW_SOURCE_DIR} + "/examples/qubesdb/lab.qubesdb");
  REQUIRE(keys);
  auto net = qubes::read_network_config(*keys);
  REQUIRE(net);
  CHECK(net->ip.to_string() == "10.137.0.6");
  CHECK(net->connected_ips.size() == 2);
}
