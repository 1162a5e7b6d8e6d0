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

namespace {
// Parses count lines in order: line_at(i) is line i, number_of(i) its rule number for errors.
template <class NumberOf, class LineAt>
ruleset compile(const std::optional<std::string>& policy, std::size_t count, NumberOf&& number_of, LineAt&& line_at) {
  ruleset out;
  if (!policy) return deny_all({rule_error_kind::missing_policy, "policy", "no policy key"});
  if (*policy == "accept") out.policy = action::accept;
  else if (*policy == "drop") out.policy = action::drop;
  else return deny_all({rule_error_kind::bad_policy, "policy", "expected accept or drop, got '" + *policy + "'"});
  out.rules.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto r = parse_rule(line_at(i));
    if (!r) {
      rule_error e = r.error();
      char num[8];
      std::snprintf(num, sizeof num, "%04u", number_of(i));
      e.detail = "rule " + std::string{num} + ": " + e.detail;
      return deny_all(std::move(e));
    }
    out.rules.push_back(std::move(*r));
  }
  return out;
}
}  // namespace

ruleset compile_ordered_ruleset(const std::optional<std::string>& policy, const std::vector<std::string>& ordered_lines,
                                const std::vector<unsigned>& numbers) {
  return compile(
      policy, ordered_lines.size(),
      [&](std::size_t i) { return i < numbers.size() ? numbers[i] : static_cast<unsigned>(i); },
      [&](std::size_t i) -> const std::string& { return ordered_lines[i]; });
}

ruleset compile_ruleset(const std::optional<std::string>& policy,
                        const std::vector<std::pair<std::string, std::string>>& numbered_lines) {
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
  return compile(
      policy, numbered.size(), [&](std::size_t i) { return numbered[i].first; },
      [&](std::size_t i) -> const std::string& { return *numbered[i].second; });
}

}  // namespace aw::rules
