// sim/netvm.cpp — the simulated sys-net's thread: xenbus steps, ARP, the responder.
#include "sim/netvm.hpp"

#include <algorithm>

#include "protocol/arp.hpp"
#include "protocol/checksum_policy.hpp"
#include "protocol/ethernet.hpp"
#include "protocol/framing.hpp"
#include "protocol/ipv4.hpp"
#include "sim/platform.hpp"

namespace aw::sim {

using namespace std::chrono_literals;

bool checksums_ok(const byte_vector& ip, proto::packet_meta meta, proto::buffer_pool& pool) {
  if (!proto::ipv4_view::make(ip)) return false;  // header checksum verified
  auto p = proto::make_packet(pool, ip, meta);
  return p && proto::check_l4_checksum(*p, {.trust_data_validated = false, .accept_partial = true}) !=
                  proto::checksum_verdict::invalid;
}

frame_ipv4 ipv4_of(const proto::packet& frame, byte_vector& ip, proto::buffer_pool& pool) {
  byte_vector b(frame.size());
  frame.copy_to(b);
  if (b.size() < 14 + 20 || b[12] != 0x08 || b[13] != 0x00) return frame_ipv4::not_ipv4;
  ip.assign(b.begin() + 14, b.end());
  auto v = proto::ipv4_view::make(ip, proto::ipv4_view::length_check::truncated_ok, proto::ipv4_view::checksum_check::skip);
  if (!v || v->total_length() > ip.size()) return frame_ipv4::malformed;
  ip.resize(v->total_length());
  return checksums_ok(ip, frame.meta(), pool) ? frame_ipv4::ok : frame_ipv4::bad_checksum;
}

netvm::netvm(std::shared_ptr<xen::sim::hypervisor> hv, std::unique_ptr<xen::xenstore> own, xen::xenstore& toolstack,
             netvm_config config)
    : hv_(std::move(hv)), xs_(std::move(own)), ts_(toolstack), config_(std::move(config)),
      peer_mac_(config_.firewall_mac) {}

xen::xen_result<std::unique_ptr<netvm>> netvm::start(std::shared_ptr<xen::sim::hypervisor> hv,
                                                     std::unique_ptr<xen::xenstore> own, xen::xenstore& toolstack,
                                                     netvm_config config) {
  if (!hv || !own) return xen::xen_error::invalid_argument;
  std::unique_ptr<netvm> n{new netvm(std::move(hv), std::move(own), toolstack, std::move(config))};
  if (auto s = n->attach(); !s) return s.error();
  n->thread_ = std::thread{[p = n.get()] { p->run(); }};
  return n;
}

netvm::~netvm() { stop(); }

xen::vif_spec netvm::uplink_vif() {
  std::lock_guard g{mu_};
  return {.backend = config_.self, .frontend = config_.firewall, .devid = 0, .mac = config_.firewall_mac.to_string()};
}

xen::status netvm::lose(std::chrono::milliseconds timeout) {
  const auto vif = uplink_vif();
  if (auto s = xen::request_vif_detach(ts_, vif); !s) return s;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (ts_.read(xen::vif_backend_path(vif))) {
    if (std::chrono::steady_clock::now() >= deadline) return xen::xen_error::busy;
    std::this_thread::sleep_for(1ms);
  }
  if (auto s = ts_.rm(xen::vif_frontend_path(vif)); !s) return s;
  std::lock_guard g{mu_};
  back_.reset();
  // Its backend directory is gone for good: a netvm that comes back as another domain
  // watches its own (the frontend's stays watched: the same path comes back).
  const auto be = xen::vif_backend_path(vif);
  (void)xs_->unwatch(be, be);
  return xen::done{};
}

xen::status netvm::come_back(xen::domid d, proto::mac_address mac) {
  {
    std::lock_guard g{mu_};
    config_.self = d;
    config_.mac = mac;
  }
  return attach();
}

void netvm::stop() {
  {
    std::lock_guard g{mu_};
    stopped_ = true;
    back_.reset();
  }
  if (thread_.joinable()) thread_.join();
}

void netvm::inject(const byte_vector& ip) {
  std::lock_guard g{mu_};
  auto* c = back_ ? back_->conn() : nullptr;
  if (c == nullptr) return;
  std::vector<proto::packet> out{frame(ip, peer_mac_)};
  c->send(out);
}

std::vector<byte_vector> netvm::seen() {
  std::lock_guard g{mu_};
  return seen_;
}

std::size_t netvm::seen_count(const std::function<bool(const proto::dissection&)>& pred) {
  std::size_t n = 0;
  for (const auto& ip : seen())
    if (pred(proto::dissect_ip(ip))) ++n;
  return n;
}

std::size_t netvm::bad_checksums() {
  std::lock_guard g{mu_};
  return bad_checksums_;
}

std::uint64_t netvm::misaddressed() {
  std::lock_guard g{mu_};
  return misaddressed_;
}

std::uint64_t netvm::received() {
  std::lock_guard g{mu_};
  return received_;
}

int netvm::connects() {
  std::lock_guard g{mu_};
  return connects_;
}

proto::packet netvm::frame(const byte_vector& ip, const proto::mac_address& dst) {
  byte_vector f(14 + ip.size());
  proto::ethernet_repr{dst, config_.mac, proto::ethertype::ipv4, std::nullopt}.emit(f);
  std::copy(ip.begin(), ip.end(), f.begin() + 14);
  return proto::make_packet(pool_, f).value();
}

// libxl's writes for the uplink vif, then this netvm's netback on it.
xen::status netvm::attach() {
  const auto vif = uplink_vif();
  if (auto s = xen::attach_vif(ts_, vif); !s) return s;
  std::lock_guard g{mu_};
  auto b = xen::netback::vif_backend::open(*xs_, xen::vif_backend_path(vif), backend_handles(hv_, config_.self));
  if (!b) return b.error();
  back_ = std::move(*b);
  back_->set_removal_delay(5ms);
  for (const auto& path : {xen::vif_backend_path(vif), xen::vif_frontend_path(vif)}) {
    auto w = xs_->watch(path, path);
    if (!w && w.error() != xen::xen_error::exists) return w;  // the frontend's: watched since the first attach
  }
  step_due_ = true;
  return xen::done{};
}

void netvm::run() {
  std::vector<proto::packet> in, out;
  for (;;) {
    bool busy = false;
    {
      std::lock_guard g{mu_};
      if (stopped_) return;
      auto events = xs_->read_watch_events();
      if (back_) {
        const auto due = back_->next_deadline();
        if (step_due_ || !events || !events->empty() || (due && *due <= std::chrono::steady_clock::now())) {
          step_due_ = false;
          if (back_->update() == xen::netback::vif_change::connected) ++connects_;
          (void)back_->take_retired();
        }
      }
      if (auto* c = back_ ? back_->conn() : nullptr) {
        in.clear();
        out.clear();
        c->receive(in, 256, pool_);
        for (const auto& f : in) handle(f, out);
        if (!out.empty()) c->send(out);
        busy = !in.empty();
      }
    }
    if (!busy) std::this_thread::sleep_for(500us);
  }
}

void netvm::handle(const proto::packet& f, std::vector<proto::packet>& out) {
  byte_vector b(f.size());
  f.copy_to(b);
  auto d = proto::dissect_frame(b);
  if (!d.ethernet) return;
  if (d.ethernet->dst != config_.mac && !d.ethernet->dst.is_multicast()) {
    ++misaddressed_;  // as a real NIC: not for this netvm (a stale gateway MAC, say)
    return;
  }
  if (d.arp) {
    if (d.arp->operation == proto::arp_operation::request && d.arp->target_ip == config_.net.gateway) {
      auto r = proto::make_arp_frame(
          d.arp->sender_mac, config_.mac,
          {proto::arp_operation::reply, config_.mac, config_.net.gateway, d.arp->sender_mac, d.arp->sender_ip}, pool_);
      if (r) out.push_back(std::move(*r));
    }
    return;
  }
  if (d.ethernet->type != proto::ethertype::ipv4) return;
  byte_vector ip;
  const auto got = ipv4_of(f, ip, pool_);
  if (got == frame_ipv4::not_ipv4) return;
  peer_mac_ = d.ethernet->src;
  if (got == frame_ipv4::malformed) return;
  if (got == frame_ipv4::bad_checksum) ++bad_checksums_;
  ++received_;
  if (seen_.size() < config_.keep_seen) seen_.push_back(ip);
  if (auto reply = answer(config_.net, ip)) out.push_back(frame(*reply, d.ethernet->src));
}

}  // namespace aw::sim
