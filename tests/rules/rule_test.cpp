// The Qubes rule-line grammar: every key, the order, and each way a line is refused.
#include <doctest/doctest.h>

#include "rules/rule.hpp"

using namespace aw::rules;
using aw::proto::ipv4_prefix;

namespace {
rule_error_kind error_of(std::string_view line) { return parse_rule(line).error().kind; }
std::string error_key(std::string_view line) { return parse_rule(line).error().key; }
}  // namespace

TEST_CASE("qubes.md example: accept UDP to 8.8.8.8/32 port 53") {
  auto r = parse_rule("action=accept dst4=8.8.8.8/32 proto=udp dstports=53-53");
  REQUIRE(r);
  CHECK(r->act == action::accept);
  CHECK(r->dst4 == ipv4_prefix::parse("8.8.8.8/32"));
  CHECK(r->protocol == rule_protocol::udp);
  CHECK(r->dstports == port_range{53, 53});
  CHECK_FALSE(r->special_dns);
}

TEST_CASE("qubes.md example: accept specialtarget=dns") {
  auto r = parse_rule("action=accept specialtarget=dns");
  REQUIRE(r);
  CHECK(r->special_dns);
  CHECK(r->protocol == rule_protocol::any);
}

TEST_CASE("qubes.md example: accept ICMP echo requests (icmptype=8)") {
  auto r = parse_rule("action=accept proto=icmp icmptype=8");
  REQUIRE(r);
  CHECK(r->protocol == rule_protocol::icmp);
  CHECK(r->icmp_type == 8);
}

TEST_CASE("qubes.md example: drop TCP port 80 to a dsthost") {
  auto r = parse_rule("action=drop dsthost=example.com proto=tcp dstports=80-80");
  REQUIRE(r);
  CHECK(r->act == action::drop);
  CHECK(r->dsthost == "example.com");
}

TEST_CASE("qubes.md example: a bare accept") {
  auto r = parse_rule("action=accept");
  REQUIRE(r);
  CHECK(r->act == action::accept);
  CHECK_FALSE(r->dst4);
}

TEST_CASE("grammar: dst6 prefixes are parsed and kept") {
  auto r = parse_rule("action=accept dst6=2001:db8::/32 proto=tcp dstports=443-443");
  REQUIRE(r);
  REQUIRE(r->dst6);
  CHECK(r->dst6->length == 32);
  CHECK(r->dst6->to_string() == "2001:db8::/32");
}

TEST_CASE("grammar: a port range N-M") {
  auto r = parse_rule("action=accept proto=tcp dstports=1024-65535");
  REQUIRE(r);
  CHECK(r->dstports == port_range{1024, 65535});
}

TEST_CASE("grammar: a rule prints back to the same line") {
  for (const char* line : {"action=accept dst4=10.0.0.0/8 proto=tcp dstports=22-22",
                           "action=drop dsthost=ads.example proto=udp specialtarget=dns dstports=53-53",
                           "action=accept proto=icmp icmptype=0", "action=drop"}) {
    CHECK(parse_rule(line)->to_string() == line);
  }
}

TEST_CASE("refuses an unknown key and names it") {
  CHECK(error_of("action=accept dst=1.2.3.4/32") == rule_error_kind::unknown_key);
  CHECK(error_key("action=accept dst=1.2.3.4/32") == "dst");
  CHECK(error_of("action=accept expire=1600000000") == rule_error_kind::unknown_key);
  CHECK(error_of("action=accept comment=x") == rule_error_kind::unknown_key);
}

TEST_CASE("refuses a duplicate key") {
  CHECK(error_of("action=accept proto=tcp proto=udp") == rule_error_kind::duplicate_key);
  CHECK(error_of("action=accept action=drop") == rule_error_kind::duplicate_key);
}

TEST_CASE("refuses keys out of dom0's order") {
  CHECK(error_of("action=accept proto=tcp dst4=1.2.3.4/32") == rule_error_kind::wrong_order);
  CHECK(error_of("action=accept dstports=80-80 proto=tcp") == rule_error_kind::wrong_order);
  CHECK(error_key("action=accept dstports=80-80 proto=tcp") == "proto");
}

TEST_CASE("refuses a line that does not start with action") {
  CHECK(error_of("proto=tcp action=accept") == rule_error_kind::missing_action);
  CHECK(error_of("dst4=1.2.3.4/32") == rule_error_kind::missing_action);
}

TEST_CASE("refuses two destinations in one rule") {
  CHECK(error_of("action=accept dst4=1.2.3.4/32 dsthost=example.com") == rule_error_kind::conflicting_keys);
  CHECK(error_of("action=accept dst4=1.2.3.4/32 dst6=::1/128") == rule_error_kind::conflicting_keys);
}

TEST_CASE("a prefix with host bits is masked, as nft does with what dom0 stores as typed") {
  auto r = parse_rule("action=accept dst4=192.168.1.5/24");
  REQUIRE(r);
  CHECK(r->dst4->to_string() == "192.168.1.0/24");
  auto r6 = parse_rule("action=accept dst6=2001:db8::1/32");
  REQUIRE(r6);
  CHECK(r6->dst6->to_string() == "2001:db8::/32");
  CHECK(error_of("action=accept dst4=1.2.3.4/08") == rule_error_kind::bad_value);  // nft refuses it too
}

TEST_CASE("port 0 is a port: dom0 accepts dstports from 0, nft too") {
  auto r = parse_rule("action=accept proto=tcp dstports=0-1024");
  REQUIRE(r);
  CHECK(r->dstports->first == 0);
  CHECK(r->dstports->last == 1024);
}

TEST_CASE("refuses bad values, one case per key") {
  CHECK(error_of("action=reject") == rule_error_kind::bad_value);
  CHECK(error_of("action=accept dst4=1.2.3.4") == rule_error_kind::bad_value);        // no prefix
  CHECK(error_of("action=accept dst4=1.2.3.4/33") == rule_error_kind::bad_value);
  CHECK(error_of("action=accept dst4=01.2.3.4/32") == rule_error_kind::bad_value);
  CHECK(error_of("action=accept dst6=fe80::1") == rule_error_kind::bad_value);
  CHECK(error_of("action=accept dsthost=Example.COM") == rule_error_kind::bad_value);  // dom0 writes lower case
  CHECK(error_of("action=accept dsthost=a..b") == rule_error_kind::bad_value);
  CHECK(error_of("action=accept dsthost=" + std::string(64, 'a') + ".com") == rule_error_kind::bad_value);
  CHECK(error_of("action=accept proto=sctp") == rule_error_kind::bad_value);
  CHECK(error_of("action=accept specialtarget=ntp") == rule_error_kind::bad_value);
  CHECK(error_of("action=accept proto=tcp dstports=80") == rule_error_kind::bad_value);
  CHECK(error_of("action=accept proto=tcp dstports=90-80") == rule_error_kind::bad_value);
  CHECK(error_of("action=accept proto=tcp dstports=1-65536") == rule_error_kind::bad_value);
  CHECK(error_of("action=accept proto=tcp dstports=-1-5") == rule_error_kind::bad_value);
  CHECK(error_of("action=accept proto=icmp icmptype=256") == rule_error_kind::bad_value);
  CHECK(error_of("action=accept proto=icmp icmptype=x") == rule_error_kind::bad_value);
}

TEST_CASE("refuses combinations dom0 never writes") {
  CHECK(error_of("action=accept proto=tcp icmptype=8") == rule_error_kind::conflicting_keys);
  CHECK(error_of("action=accept icmptype=8") == rule_error_kind::conflicting_keys);
  CHECK(error_of("action=accept proto=icmp dstports=1-2") == rule_error_kind::conflicting_keys);
}

TEST_CASE("refuses dpi: deep packet inspection is not supported (like the Linux agent)") {
  CHECK(error_of("action=accept proto=tcp dpi=http") == rule_error_kind::unsupported);
}

TEST_CASE("refuses malformed tokens and empty lines") {
  CHECK(error_of("") == rule_error_kind::empty_rule);
  CHECK(error_of("action=accept  proto=tcp") == rule_error_kind::malformed_token);
  CHECK(error_of("action=accept ") == rule_error_kind::malformed_token);
  CHECK(error_of("action") == rule_error_kind::malformed_token);
  CHECK(error_of("=accept") == rule_error_kind::malformed_token);
}

TEST_CASE("a rule error reads as a log line naming the key and the reason") {
  auto e = parse_rule("action=accept proto=gre").error();
  CHECK(e.to_string() == "bad_value 'proto': expected tcp, udp or icmp");
}
