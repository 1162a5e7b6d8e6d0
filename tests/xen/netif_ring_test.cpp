// netif ring codecs (netif.h, ring.h) on literal bytes: slots, free-running indices, notification rules.
#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <vector>

#include "xen/netif_ring.hpp"

using namespace aw::xen;
using namespace aw::xen::netif;

namespace {
// A little-endian host is assumed for the literal bytes (x86, as Xen's PV ABI here).
static_assert(std::endian::native == std::endian::little);

struct alignas(4096) page_buffer {
  std::array<std::uint8_t, 4096> bytes{};
};
}  // namespace

TEST_CASE("netif: a tx request is gref, offset, flags, id, size") {
  const std::uint8_t slot[12] = {
      0x2a, 0x01, 0x00, 0x00,  // gref 0x12a
      0x40, 0x00,              // offset 64
      0x0d, 0x00,              // flags csum_blank | more_data | extra_info
      0x07, 0x00,              // id 7
      0xdc, 0x05,              // size 1500
  };
  tx_request r = read_tx_request(slot);
  CHECK(r == tx_request{0x12a, 64, txf::csum_blank | txf::more_data | txf::extra_info, 7, 1500});
  std::uint8_t out[12] = {};
  write_tx_request(out, r);
  CHECK(std::memcmp(out, slot, 12) == 0);
}

TEST_CASE("netif: a tx response is id and signed status") {
  const std::uint8_t slot[4] = {0x07, 0x00, 0xfe, 0xff};  // id 7, status -2 (dropped)
  tx_response r = read_tx_response(slot);
  CHECK(r.id == 7);
  CHECK(r.status == static_cast<std::int16_t>(response_status::dropped));
  std::uint8_t out[4] = {};
  write_tx_response(out, {7, -2});
  CHECK(std::memcmp(out, slot, 4) == 0);
}

TEST_CASE("netif: an rx request is id, padding, gref") {
  const std::uint8_t slot[8] = {0x03, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00};  // id 3, gref 16
  CHECK(read_rx_request(slot) == rx_request{3, 16});
  std::uint8_t out[8];
  std::memset(out, 0xff, sizeof out);
  write_rx_request(out, {3, 16});
  CHECK(std::memcmp(out, slot, 8) == 0);  // padding written as zero
}

TEST_CASE("netif: an rx response is id, offset, flags, status") {
  const std::uint8_t slot[8] = {
      0x03, 0x00,  // id 3
      0x00, 0x00,  // offset 0
      0x05, 0x00,  // flags data_validated | more_data
      0x00, 0x10,  // status 4096 bytes
  };
  CHECK(read_rx_response(slot) == rx_response{3, 0, rxf::data_validated | rxf::more_data, 4096});
  std::uint8_t out[8] = {};
  write_rx_response(out, {3, 0, rxf::data_validated | rxf::more_data, 4096});
  CHECK(std::memcmp(out, slot, 8) == 0);
}

TEST_CASE("netif: a GSO extra carries the MSS, the GSO type and features") {
  const std::uint8_t slot[8] = {
      0x01,        // type gso
      0x00,        // flags: no more extras
      0xb4, 0x05,  // size (MSS) 1460
      0x01,        // gso type tcpv4
      0x00,        // pad
      0x00, 0x00,  // features
  };
  extra_info e = read_extra(slot);
  CHECK(e.type == static_cast<std::uint8_t>(extra_type::gso));
  CHECK(e.flags == 0);
  CHECK(e.gso_size == 1460);
  CHECK(e.gso_type == static_cast<std::uint8_t>(gso_type::tcpv4));
  std::uint8_t out[8];
  std::memset(out, 0xee, sizeof out);
  write_extra(out, e);
  CHECK(std::memcmp(out, slot, 8) == 0);
}

TEST_CASE("netif: an extra of unknown type keeps its type and raw bytes for the caller to refuse") {
  const std::uint8_t slot[8] = {0x09, 0x01, 1, 2, 3, 4, 5, 6};  // type 9, more
  extra_info e = read_extra(slot);
  CHECK(e.type == 9);
  CHECK(e.flags == extra_flag_more);
  CHECK(e.gso_size == 0);
  CHECK(e.raw[0] == 1);
  CHECK(e.raw[5] == 6);
  std::uint8_t out[8] = {};
  write_extra(out, e);
  CHECK(std::memcmp(out, slot, 8) == 0);
}

TEST_CASE("netif: both rings have 256 slots per page and slots wrap by mask") {
  CHECK(tx_ring_size == 256);
  CHECK(rx_ring_size == 256);
  CHECK(slot_of(0, 256) == 0);
  CHECK(slot_of(257, 256) == 1);
  CHECK(slot_of(0xffffffffu, 256) == 255);
  page_buffer page;
  auto r = ring_view::make(page.bytes, tx_slot_size);
  REQUIRE(r);
  CHECK(r->slot(0).data() == page.bytes.data() + 64);
  CHECK(r->slot(255).data() == page.bytes.data() + 64 + 255 * 12);
  CHECK(r->slot(256).data() == r->slot(0).data());
  auto rx = ring_view::make(page.bytes, rx_slot_size);
  REQUIRE(rx);
  CHECK(rx->slot(255).data() + 8 == page.bytes.data() + 64 + 256 * 8);
}

TEST_CASE("netif: a ring view refuses a short page, a misaligned page and an unknown slot size") {
  std::vector<std::uint8_t> small(4095);
  CHECK(ring_view::make(small, tx_slot_size).error() == xen_error::invalid_argument);
  page_buffer page;
  CHECK(ring_view::make(page.bytes, 10).error() == xen_error::invalid_argument);
  std::vector<std::uint8_t> big(4200);
  auto misaligned = std::span<std::uint8_t>(big).subspan(reinterpret_cast<std::uintptr_t>(big.data()) % 4 == 0 ? 1 : 0);
  CHECK(ring_view::make(misaligned, tx_slot_size).error() == xen_error::invalid_argument);
}

TEST_CASE("netif: the shared header holds req_prod, req_event, rsp_prod, rsp_event") {
  page_buffer page;
  auto r = ring_view::make(page.bytes, rx_slot_size).value();
  r.init();
  const std::uint8_t fresh[16] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
  CHECK(std::memcmp(page.bytes.data(), fresh, 16) == 0);
  r.set_req_prod(0x01020304);
  r.set_rsp_prod(0xa0b0c0d0);
  const std::uint8_t after[16] = {4, 3, 2, 1, 1, 0, 0, 0, 0xd0, 0xc0, 0xb0, 0xa0, 1, 0, 0, 0};
  CHECK(std::memcmp(page.bytes.data(), after, 16) == 0);
  CHECK(r.req_prod() == 0x01020304);
  CHECK(r.rsp_event() == 1);
}

TEST_CASE("netif: a push notifies only when the peer's event index lies in the pushed range") {
  CHECK(push_needs_notify(0, 1, 1));        // peer waits for the first entry
  CHECK(push_needs_notify(0, 5, 3));        // event inside (0, 5]
  CHECK_FALSE(push_needs_notify(5, 8, 5));  // event already passed: the peer is still busy
  CHECK_FALSE(push_needs_notify(5, 8, 9));  // event ahead: not yet
  CHECK(push_needs_notify(5, 8, 8));
  // Across the u32 wrap.
  CHECK(push_needs_notify(0xfffffffeu, 2, 0xffffffffu));
  CHECK(push_needs_notify(0xfffffffeu, 2, 1));
  CHECK_FALSE(push_needs_notify(0xfffffffeu, 2, 3));
  CHECK_FALSE(push_needs_notify(7, 7, 7));  // nothing pushed
}

TEST_CASE("netif: push_responses publishes the private producer and reports whether to notify") {
  page_buffer page;
  auto r = ring_view::make(page.bytes, tx_slot_size).value();
  r.init();  // rsp_event = 1: the frontend waits for the first response
  back_ring b;
  write_tx_response(r.slot(b.rsp_prod_pvt++), {1, 0});
  CHECK(push_responses(r, b));
  CHECK(r.rsp_prod() == 1);
  write_tx_response(r.slot(b.rsp_prod_pvt++), {2, 0});
  CHECK_FALSE(push_responses(r, b));  // the frontend has not asked again (rsp_event still 1)
  r.set_rsp_event(3);
  write_tx_response(r.slot(b.rsp_prod_pvt++), {3, 0});
  CHECK(push_responses(r, b));
}

TEST_CASE("netif: the final check re-arms the event and catches a request that raced in") {
  page_buffer page;
  auto r = ring_view::make(page.bytes, tx_slot_size).value();
  r.init();
  back_ring b;
  r.set_req_prod(2);
  CHECK(final_check_for_requests(r, b));  // work pending: event untouched
  CHECK(r.req_event() == 1);
  b.req_cons = 2;
  CHECK_FALSE(final_check_for_requests(r, b));
  CHECK(r.req_event() == 3);  // wake me at the next request
  front_ring f;
  f.req_prod_pvt = 3;
  CHECK(push_requests(r, f));  // the frontend crosses the event: notify
}

TEST_CASE("netif: the frontend's final check asks for the next response") {
  page_buffer page;
  auto r = ring_view::make(page.bytes, rx_slot_size).value();
  r.init();
  front_ring f{4, 4};
  r.set_rsp_prod(4);
  CHECK_FALSE(final_check_for_responses(r, f));
  CHECK(r.rsp_event() == 5);
  r.set_rsp_prod(5);
  CHECK(final_check_for_responses(r, f));
}

TEST_CASE("netif: a req_prod more than a ring ahead is impossible, also across the wrap") {
  CHECK(requests_plausible(256, 0, 256));
  CHECK_FALSE(requests_plausible(257, 0, 256));
  CHECK(requests_plausible(0, 0xffffff00u, 256));         // exactly a ring ahead, across the wrap
  CHECK(requests_plausible(0xffffff80u, 0xffffff00u, 256));  // 128 ahead
  CHECK_FALSE(requests_plausible(1, 0xffffff00u, 256));      // 257 ahead
  CHECK_FALSE(requests_plausible(0xffffffffu, 0, 256));  // "behind" the consumer
  CHECK(unconsumed_requests(10, 4, 4, 256) == 6);
  CHECK(unconsumed_requests(300, 44, 0, 256) == 212);  // bounded by free response slots
}

TEST_CASE("netif: a frontend's view of responses and free request slots") {
  CHECK(responses_plausible(5, 3, 8));
  CHECK_FALSE(responses_plausible(9, 3, 8));   // answers requests never made
  CHECK_FALSE(responses_plausible(2, 3, 8));   // went backwards
  CHECK(free_requests(10, 10, 256) == 256);
  CHECK(free_requests(0x00000005u, 0xfffffff0u, 256) == 235);
}
