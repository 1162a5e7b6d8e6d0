// dsthost resolution state: due names, TTL refresh, failures retried, fail-closed lookups.
#include <doctest/doctest.h>

#include "rules/host_table.hpp"

using namespace aw::rules;
using namespace std::chrono_literals;
using aw::proto::ipv4_address;

namespace {
const ipv4_address a1 = ipv4_address::from_octets(192, 0, 2, 1);
const ipv4_address a2 = ipv4_address::from_octets(192, 0, 2, 2);
clock_time at(std::chrono::seconds s) { return std::chrono::duration_cast<clock_time>(s); }
}  // namespace

TEST_CASE("host table: a new name is due at once and has no addresses until answered") {
  host_table t;
  t.set_wanted({"example.com"});
  CHECK_FALSE(t.lookup("example.com"));
  CHECK(t.due(at(0s)) == std::vector<std::string>{"example.com"});
  CHECK(t.due(at(1s)).empty());  // in flight
  t.resolved("example.com", {a2, a1, a1}, 300s, at(1s));
  auto got = t.lookup("example.com");
  REQUIRE(got);
  CHECK(std::vector<ipv4_address>(got->begin(), got->end()) == std::vector<ipv4_address>{a1, a2});
}

TEST_CASE("host table: a name is re-resolved when its TTL expires, the old answer kept meanwhile") {
  host_table t;
  t.set_wanted({"example.com"});
  (void)t.due(at(0s));
  t.resolved("example.com", {a1}, 60s, at(0s));
  CHECK(t.due(at(59s)).empty());
  CHECK(t.next_due() == at(60s));
  CHECK(t.due(at(60s)) == std::vector<std::string>{"example.com"});
  CHECK(t.lookup("example.com"));  // still usable while refreshing
  t.resolved("example.com", {a2}, 60s, at(61s));
  CHECK((*t.lookup("example.com"))[0] == a2);
}

TEST_CASE("host table: a name that never resolved has no addresses and is retried later") {
  host_table t{{.retry_after_failure = 10s}};
  t.set_wanted({"nx.example"});
  (void)t.due(at(0s));
  t.failed("nx.example", at(1s));
  CHECK_FALSE(t.lookup("nx.example"));
  CHECK(t.due(at(10s)).empty());
  CHECK(t.due(at(11s)) == std::vector<std::string>{"nx.example"});
}

TEST_CASE("host table: a failed refresh keeps the last good answer and retries (the Linux agent resolves once)") {
  host_table t{{.min_ttl = 30s, .retry_after_failure = 10s, .query_timeout = 5s}};
  t.set_wanted({"example.com", "slow.example"});
  (void)t.due(at(0s));
  t.resolved("example.com", {a1}, 30s, at(0s));
  t.resolved("slow.example", {a2}, 30s, at(0s));
  CHECK(t.due(at(30s)).size() == 2);  // both refreshing
  t.failed("example.com", at(31s));   // SERVFAIL, or no A records
  CHECK(t.due(at(35s)).empty());      // slow.example's refresh times out: a failure too
  REQUIRE(t.lookup("example.com"));
  CHECK((*t.lookup("example.com"))[0] == a1);
  REQUIRE(t.lookup("slow.example"));
  CHECK((*t.lookup("slow.example"))[0] == a2);
  CHECK(t.addresses().size() == 2);
  CHECK(t.due(at(41s)) == std::vector<std::string>{"example.com"});  // retried after 10 s
  t.resolved("example.com", {a2}, 30s, at(41s));
  CHECK((*t.lookup("example.com"))[0] == a2);
}

TEST_CASE("host table: an empty answer counts as a failure") {
  host_table t;
  t.set_wanted({"empty.example"});
  (void)t.due(at(0s));
  t.resolved("empty.example", {}, 300s, at(0s));
  CHECK_FALSE(t.lookup("empty.example"));
}

TEST_CASE("host table: an unanswered query times out into a failure") {
  host_table t{{.retry_after_failure = 10s, .query_timeout = 5s}};
  t.set_wanted({"slow.example"});
  (void)t.due(at(0s));
  CHECK(t.due(at(5s)).empty());  // timed out: failed, retry in 10 s
  CHECK(t.due(at(15s)) == std::vector<std::string>{"slow.example"});
}

TEST_CASE("host table: TTLs are clamped to the configured bounds") {
  host_table t{{.min_ttl = 30s, .max_ttl = 3600s}};
  t.set_wanted({"a", "b"});
  (void)t.due(at(0s));
  t.resolved("a", {a1}, 0s, at(0s));
  t.resolved("b", {a1}, 999999s, at(0s));
  CHECK(t.due(at(29s)).empty());
  CHECK(t.due(at(30s)) == std::vector<std::string>{"a"});
  CHECK(t.due(at(3600s)) == std::vector<std::string>{"b"});
}

TEST_CASE("host table: names no rule set wants are forgotten, answers for them ignored") {
  host_table t;
  t.set_wanted({"a", "b"});
  t.set_wanted({"b"});
  CHECK(t.size() == 1);
  t.resolved("a", {a1}, 60s, at(0s));
  CHECK_FALSE(t.lookup("a"));
}

TEST_CASE("host table: the number of names is bounded") {
  host_table t{{.max_names = 2}};
  t.set_wanted({"a", "b", "c"});
  CHECK(t.size() == 2);
}
