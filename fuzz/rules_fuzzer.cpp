// fuzz/rules_fuzzer.cpp — arbitrary text as a client's QubesDB rule entries: the
// first line is the policy, each further line "NNNN rule". Parsing never fails
// open, an accepted rule prints back to a line that parses to the same rule,
// and matching a compiled set never faults.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "rules/match.hpp"
#include "rules/ruleset.hpp"

namespace {
void require(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  std::optional<std::string> policy;
  std::vector<std::pair<std::string, std::string>> numbered;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i == 0) {
      policy = std::string{lines[0]};
      continue;
    }
    auto sp = lines[i].find(' ');
    std::string key{lines[i].substr(0, sp)};
    std::string rule_text{sp == std::string_view::npos ? std::string_view{} : lines[i].substr(sp + 1)};
    auto single = aw::rules::parse_rule(rule_text);
    if (single) {
      auto again = aw::rules::parse_rule(single->to_string());
      require(again && *again == *single);
    } else {
      (void)single.error().to_string();
    }
    numbered.emplace_back(std::move(key), std::move(rule_text));
  }
  auto set = aw::rules::compile_ruleset(policy, numbered);
  // Fail closed: an error leaves nothing that could accept.
  if (set.failed_closed()) require(set.rules.empty() && set.policy == aw::rules::action::drop);
  const aw::proto::ipv4_address dns[] = {aw::proto::ipv4_address::from_octets(10, 139, 1, 1)};
  aw::rules::match_context ctx{dns, {}};
  for (int proto : {1, 6, 17}) {
    aw::rules::flow_query q{aw::proto::ipv4_address{size > 4 ? std::uint32_t{data[0]} << 24 | data[1] : 0u},
                            aw::proto::ip_protocol{static_cast<std::uint8_t>(proto)}, std::uint16_t{53}, std::uint8_t{8}};
    auto m = aw::rules::match(set, q, ctx);
    if (set.failed_closed()) require(m.act == aw::rules::action::drop);
  }
  return 0;
}
