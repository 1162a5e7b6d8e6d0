// Compiling a client's numbered rule lines: numeric order, gaps, and fail-closed errors.
#include <doctest/doctest.h>

#include "rules/ruleset.hpp"

using namespace aw::rules;
using lines = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("ruleset: rule keys are sorted numerically, gaps allowed") {
  auto s = compile_ruleset("drop", lines{{"0010", "action=accept proto=tcp dstports=443-443"},
                                         {"0000", "action=accept specialtarget=dns"},
                                         {"0003", "action=drop proto=udp"}});
  CHECK_FALSE(s.failed_closed());
  REQUIRE(s.rules.size() == 3);
  CHECK(s.rules[0].special_dns);
  CHECK(s.rules[1].protocol == rule_protocol::udp);
  CHECK(s.rules[2].dstports == port_range{443, 443});
  CHECK(s.policy == action::drop);
}

TEST_CASE("ruleset: a policy of accept ends the list") {
  auto s = compile_ruleset("accept", {});
  CHECK_FALSE(s.failed_closed());
  CHECK(s.policy == action::accept);
}

TEST_CASE("ruleset: a missing policy fails closed") {
  auto s = compile_ruleset(std::nullopt, lines{{"0000", "action=accept"}});
  CHECK(s.failed_closed());
  CHECK(s.rules.empty());
  CHECK(s.policy == action::drop);
  CHECK(s.error->kind == rule_error_kind::missing_policy);
}

TEST_CASE("ruleset: a bad policy fails closed") {
  CHECK(compile_ruleset("reject", {}).error->kind == rule_error_kind::bad_policy);
}

TEST_CASE("ruleset: one bad line makes the whole set deny-all, naming the rule number") {
  auto s = compile_ruleset("accept", lines{{"0000", "action=accept"}, {"0001", "action=accept proto=gre"}});
  CHECK(s.failed_closed());
  CHECK(s.rules.empty());
  CHECK(s.policy == action::drop);
  CHECK(s.error->to_string() == "bad_value 'proto': rule 0001: expected tcp, udp or icmp");
}

TEST_CASE("ruleset: any other key name under the client is refused") {
  for (const char* key : {"00001", "12", "abcd", "0x01", "expire"}) {
    auto s = compile_ruleset("drop", lines{{key, "action=accept"}});
    CHECK(s.failed_closed());
    CHECK(s.error->kind == rule_error_kind::bad_rule_number);
  }
}

TEST_CASE("ruleset: the dsthost names are listed once each") {
  auto s = compile_ruleset("drop", lines{{"0000", "action=accept dsthost=a.example"},
                                         {"0001", "action=drop dsthost=b.example proto=tcp"},
                                         {"0002", "action=accept dsthost=a.example proto=udp"}});
  CHECK(s.host_names() == std::vector<std::string>{"a.example", "b.example"});
}

TEST_CASE("ruleset: lines already in rule order compile the same as numbered ones") {
  auto a = compile_ordered_ruleset("drop", std::vector<std::string>{"action=accept specialtarget=dns", "action=drop proto=udp"});
  auto b = compile_ruleset("drop", lines{{"0007", "action=drop proto=udp"}, {"0002", "action=accept specialtarget=dns"}});
  CHECK(a.rules == b.rules);
  auto bad = compile_ordered_ruleset("drop", std::vector<std::string>{"action=accept", "action=maybe"});
  CHECK(bad.failed_closed());
  CHECK(bad.error->detail == "rule 0001: expected accept or drop, got 'maybe'");
  auto numbered = compile_ordered_ruleset("drop", std::vector<std::string>{"action=accept", "action=maybe"}, {3, 17});
  CHECK(numbered.error->detail == "rule 0017: expected accept or drop, got 'maybe'");
}
