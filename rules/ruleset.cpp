// rules/ruleset.cpp — compile numbered rule lines into a ruleset.
#include "rules/ruleset.hpp"

#include <algorithm>
#include <cstdio>

namespace aw::rules {

std::vector<std::string> ruleset::host_names() const {
  std::vector<std::string> names;
  for (const auto& r : rules)
    if (r.dsthost && std::find(names.begin(), names.end(), *r.dsthost) == names.end()) names.push_back(*r.dsthost);
  return names;
}

ruleset deny_all(rule_error why) {
  ruleset s;
  s.error = std::move(why);
  return s;
}

ruleset compile_ruleset(const std::optional<std::string>& policy,
                        const std::vector<std::pair<std::string, std::string>>& numbered_lines) {
  ruleset out;
  if (!policy) return deny_all({rule_error_kind::missing_policy, "policy", "no policy key"});
  if (*policy == "accept") out.policy = action::accept;
  else if (*policy == "drop") out.policy = action::drop;
  else return deny_all({rule_error_kind::bad_policy, "policy", "expected accept or drop, got '" + *policy + "'"});

  std::vector<std::pair<unsigned, const std::string*>> numbered;
  numbered.reserve(numbered_lines.size());
  for (const auto& [key, line] : numbered_lines) {
    bool four_digits = key.size() == 4 && std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!four_digits) return deny_all({rule_error_kind::bad_rule_number, key, "rule keys are four digits"});
    numbered.emplace_back(static_cast<unsigned>(std::stoul(key)), &line);
  }
  std::sort(numbered.begin(), numbered.end());
  for (std::size_t i = 1; i < numbered.size(); ++i)
    if (numbered[i].first == numbered[i - 1].first)
      return deny_all({rule_error_kind::bad_rule_number, std::to_string(numbered[i].first), "rule number repeated"});
  out.rules.reserve(numbered.size());
  for (const auto& [number, line] : numbered) {
    auto r = parse_rule(*line);
    if (!r) {
      rule_error e = r.error();
      char num[8];
      std::snprintf(num, sizeof num, "%04u", number);
      e.detail = "rule " + std::string{num} + ": " + e.detail;
      return deny_all(std::move(e));
    }
    out.rules.push_back(std::move(*r));
  }
  return out;
}

}  // namespace aw::rules
