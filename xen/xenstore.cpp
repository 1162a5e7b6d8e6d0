// xen/xenstore.cpp — permission strings and the transaction retry helper.
#include "xen/xenstore.hpp"

#include <charconv>

namespace aw::xen {

std::optional<xs_permission> parse_permission(std::string_view s) noexcept {
  if (s.size() < 2 || s.size() > 6) return std::nullopt;
  xs_access a{};
  switch (s[0]) {
    case 'n': a = xs_access::none; break;
    case 'r': a = xs_access::read; break;
    case 'w': a = xs_access::write; break;
    case 'b': a = xs_access::both; break;
    default: return std::nullopt;
  }
  std::string_view digits = s.substr(1);
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  unsigned v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc{} || end != digits.data() + digits.size() || v > 0xffffu) return std::nullopt;
  return xs_permission{static_cast<domid>(v), a};
}

std::string format_permission(const xs_permission& p) {
  static constexpr char letters[] = {'n', 'r', 'w', 'b'};
  return letters[static_cast<unsigned>(p.access) & 3u] + std::to_string(p.domain);
}

status with_transaction(xenstore& xs, const std::function<status(xs_transaction)>& body, int max_attempts) {
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    auto t = xs.transaction_start();
    if (!t) return t.error();
    status s = body(*t);
    if (!s) {
      (void)xs.transaction_end(*t, false);
      return s;
    }
    status e = xs.transaction_end(*t, true);
    if (e) return e;
    if (e.error() != xen_error::again) return e;
  }
  return xen_error::again;
}

}  // namespace aw::xen
