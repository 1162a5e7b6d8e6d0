// xen/netback/tx_chain.cpp — reading and validating one tx packet's slots (see netif.h, Linux xen-netback).
#include "xen/netback/tx_chain.hpp"

namespace aw::xen::netback {

std::uint16_t tx_chain::slot_bytes(std::uint32_t i) const noexcept {
  if (i != 0) return data[i].size;
  std::uint32_t rest = 0;
  for (std::uint32_t k = 1; k < data_count; ++k) rest += data[k].size;
  return static_cast<std::uint16_t>(total - rest);  // validated: rest <= total
}

namespace {
std::optional<tx_drop> validate(tx_chain& c, const tx_limits& limits) noexcept {
  if (c.drop) return c.drop;
  if (c.total < 14) return tx_drop::runt;
  if (c.data_count > limits.max_slots) return tx_drop::too_many_slots;
  std::uint32_t rest = 0;
  for (std::uint32_t k = 1; k < c.data_count; ++k) {
    const auto& r = c.data[k];
    if (std::uint32_t{r.offset} + r.size > page_size) return tx_drop::slot_crosses_page;
    rest += r.size;
  }
  if (rest > c.total) return tx_drop::size_mismatch;
  if (std::uint32_t{c.data[0].offset} + (c.total - rest) > page_size) return tx_drop::slot_crosses_page;
  for (std::uint32_t a = 0; a < c.data_count; ++a)
    for (std::uint32_t b = a + 1; b < c.data_count; ++b)
      if (c.data[a].id == c.data[b].id) return tx_drop::duplicate_id;
  if (c.gso) {
    const auto t = static_cast<netif::gso_type>(c.gso->gso_type);
    const bool offered = (t == netif::gso_type::tcpv4 && limits.gso_tcpv4) ||
                         (t == netif::gso_type::tcpv6 && limits.gso_tcpv6);
    // A super-packet's checksum is the segmenter's job: it must come blank.
    if (!offered || c.gso->gso_size == 0 || (c.data[0].flags & netif::txf::csum_blank) == 0) return tx_drop::bad_gso;
  }
  return std::nullopt;
}
}  // namespace

result<tx_chain, netback_fatal> read_tx_chain(const netif::ring_view& ring, std::uint32_t cons, std::uint32_t prod,
                                             const tx_limits& limits) noexcept {
  tx_chain c;
  if (auto fatal = read_tx_chain(ring, cons, prod, limits, c)) return *fatal;
  return c;
}

std::optional<netback_fatal> read_tx_chain(const netif::ring_view& ring, std::uint32_t cons, std::uint32_t prod,
                                           const tx_limits& limits, tx_chain& c) noexcept {
  c.slots = c.data_count = c.extra_count = 0;
  c.gso.reset();
  c.drop.reset();
  std::uint32_t i = cons;
  c.data[0] = netif::read_tx_request(ring.slot(i++));
  c.data_count = 1;
  c.total = c.data[0].size;
  if (c.data[0].flags & netif::txf::extra_info) {
    for (;;) {
      if (i == prod) return netback_fatal::chain_past_req_prod;
      if (c.extra_count == max_extras) return netback_fatal::too_many_extras;
      const auto e = netif::read_extra(ring.slot(i++));
      ++c.extra_count;
      if (e.type == static_cast<std::uint8_t>(netif::extra_type::gso) && !c.gso) {
        c.gso = e;
      } else if (!c.drop) {
        c.drop = tx_drop::bad_extra;  // not offered (mcast, hash), unknown, or a repeat
      }
      if ((e.flags & netif::extra_flag_more) == 0) break;
    }
  }
  std::uint16_t prev_flags = c.data[0].flags;
  while (prev_flags & netif::txf::more_data) {
    if (i == prod) return netback_fatal::chain_past_req_prod;
    if (c.data_count == std::min(limits.fatal_slots, max_fatal_slots)) return netback_fatal::slots_over_fatal_bound;
    c.data[c.data_count] = netif::read_tx_request(ring.slot(i++));
    prev_flags = c.data[c.data_count].flags;
    ++c.data_count;
  }
  c.slots = i - cons;
  c.drop = validate(c, limits);
  return std::nullopt;
}

}  // namespace aw::xen::netback
