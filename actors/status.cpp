// actors/status.cpp — formatting the counters.
#include "actors/status.hpp"

#include <cstdio>

#include "protocol/counter_lines.hpp"

namespace aw::actors {
namespace {
void line(std::string& s, const std::string& name, std::uint64_t value) { proto::append_counter(s, {}, name, value); }

void drops(std::string& s, const std::string& prefix, const firewall::counters& c) {
  for (std::size_t i = 0; i < firewall::drop_reason_count; ++i) {
    if (c.drops[i] != 0)
      line(s, prefix + "drop." + std::string{to_string(static_cast<firewall::drop_reason>(i))}, c.drops[i]);
  }
}
}  // namespace

std::string format_firewall_status(const firewall::firewall& fw, std::uint64_t undeliverable) {
  std::string s;
  const auto& t = fw.totals();
  line(s, "forwarded", t.forwarded);
  line(s, "icmp_sent", t.icmp_sent);
  line(s, "undeliverable", undeliverable);
  drops(s, "", t);
  const auto& nat = fw.nat();
  line(s, "nat.mappings", nat.mapping_count());
  line(s, "nat.sessions", nat.session_count());
  for (std::size_t i = 0; i < nat::nat_drop_count; ++i) {
    auto v = nat.counters().drops[i];
    if (v != 0) line(s, "nat.drop." + std::string{to_string(static_cast<nat::nat_drop>(i))}, v);
  }
  for (const auto& ip : fw.client_addresses()) {
    const auto* c = fw.client_counters(ip);
    std::string prefix = "client." + ip.to_string() + ".";
    line(s, prefix + "forwarded", c->forwarded);
    line(s, prefix + "icmp_sent", c->icmp_sent);
    drops(s, prefix, *c);
  }
  return s;
}

}  // namespace aw::actors
