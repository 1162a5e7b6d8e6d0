// rules/ruleset.hpp — a client's compiled rule set: an immutable value, fail-closed on any error.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/rule.hpp"

namespace aw::rules {

struct ruleset {
  std::vector<rule> rules;       // in rule-number order
  action policy = action::drop;  // what ends the list
  // Set when the source did not parse: then rules is empty and policy drop.
  std::optional<rule_error> error;

  [[nodiscard]] bool failed_closed() const noexcept { return error.has_value(); }
  // The dsthost names the rules need resolved, each once.
  [[nodiscard]] std::vector<std::string> host_names() const;
};

using ruleset_ptr = std::shared_ptr<const ruleset>;

// Compiles what QubesDB holds under /qubes-firewall/<ip>/: `policy` and the
// rule lines keyed by their number ("0000", "0001", ...). Keys are sorted
// numerically and gaps are allowed; any other key, a bad policy, a missing
// policy or a bad line makes the whole set one deny-all rule, with the error
// kept for the log.
ruleset compile_ruleset(const std::optional<std::string>& policy,
                        const std::vector<std::pair<std::string, std::string>>& numbered_lines);

// The same from rule lines already in rule-number order (keys checked by the
// QubesDB reader); numbers[i], when given, is line i's rule number in errors.
ruleset compile_ordered_ruleset(const std::optional<std::string>& policy, const std::vector<std::string>& ordered_lines,
                                const std::vector<unsigned>& numbers = {});

// The deny-all set, e.g. for a client whose rules have not been read yet.
ruleset deny_all(rule_error why);

}  // namespace aw::rules
