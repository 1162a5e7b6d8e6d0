// actors/port_actor.cpp — ingress drain with credit, ARP, Ethernet strip/add, egress.
#include "actors/port_actor.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <utility>

#include "actors/messages.hpp"
#include "actors/trace.hpp"
#include "firewall/arp_responder.hpp"
#include "protocol/arp.hpp"
#include "protocol/counter_lines.hpp"
#include "protocol/framing.hpp"

namespace aw::actors {
namespace {

struct port_counters {
  std::uint64_t rx_frames = 0, rx_batches = 0, rx_malformed = 0, rx_other_ethertype = 0, rx_paused = 0;
  std::uint64_t tx_frames = 0, tx_dropped = 0, tx_no_gateway_mac = 0;
  std::uint64_t arp_replied = 0, arp_ignored = 0, arp_requests_on_new_link = 0;
  std::uint64_t egress_held = 0, egress_hold_expired = 0;
  std::uint64_t rx_pool_exhausted = 0;  // drains that found no buffer, each followed by a pause
};

struct port_state {
  port_config config;
  std::shared_ptr<frame_device> device;  // owned by this actor alone once it runs
  reactor* io = nullptr;
  firewall_actor firewall;
  proto::buffer_pool pool;
  std::uint32_t credits = 0;
  bool paused = false;  // out of credit: the fd is not re-armed
  // Egress back-pressure (uplink): transmit batches taken whose credit waits until the
  // device's queue is low, the current hold deadline (its message names it) and the queue
  // when it was set, and whether holding is off (a stuck netvm: until the queue is low).
  std::uint32_t credit_owed = 0;
  std::uint64_t hold = 0;
  std::size_t hold_queued = 0;
  bool hold_off = false;
  // Out of buffers: the pause before the next look (0: none).
  std::chrono::milliseconds pool_wait{0};
  std::optional<proto::mac_address> gateway_mac;
  std::uint64_t link_generation = 0;  // the device's, when the gateway's MAC was last asked
  port_counters stats;
  std::vector<proto::packet> frames;  // scratch
  std::vector<proto::packet> replies;  // ARP answers, scratch
  std::vector<proto::packet> egress;   // framed transmit batch, scratch

  static inline const char* name = "port";
};

using port_actor_t = port_actor::stateful_base<port_state>;

void send_frames(port_state& st, const std::vector<proto::packet>& frames) {
  if (frames.empty()) return;
  if (tracer::instance().frames_on()) tracer::instance().frames(st.config.name, frames);
  std::size_t sent = st.device->send(frames);
  st.stats.tx_frames += sent;
  st.stats.tx_dropped += frames.size() - sent;
}

proto::packet arp_request_for_gateway(port_state& st) {
  auto p = proto::make_arp_frame(proto::mac_address::broadcast(), st.config.own_mac,
                                 {proto::arp_operation::request, st.config.own_mac, st.config.own_ip,
                                  proto::mac_address{}, st.config.gateway_ip},
                                 st.pool);
  return p ? *p : proto::packet{};
}

// The uplink answers ARP for its own address and learns the gateway's MAC.
void uplink_arp(port_state& st, proto::bytes arp_bytes) {
  auto arp = proto::arp_view::make(arp_bytes);
  if (!arp) return void(++st.stats.rx_malformed);
  auto r = proto::arp_repr::parse(*arp);
  if (r.sender_ip == st.config.gateway_ip && !r.sender_mac.is_multicast()) st.gateway_mac = r.sender_mac;
  if (r.operation == proto::arp_operation::request && r.target_ip == st.config.own_ip && !r.is_gratuitous()) {
    if (auto p = proto::make_arp_frame(
            r.sender_mac, st.config.own_mac,
            {proto::arp_operation::reply, st.config.own_mac, st.config.own_ip, r.sender_mac, r.sender_ip}, st.pool)) {
      st.replies.push_back(std::move(*p));
      ++st.stats.arp_replied;
    }
    return;
  }
  ++st.stats.arp_ignored;
}

// The uplink holds a transmit batch's credit while more than one batch waits in its device
// (its ring holds up to another): enough queued to keep the netvm busy, little enough that
// a packet behind the queue is not kept long.
constexpr std::size_t egress_low_water = max_batch;

bool egress_high(const port_state& st) { return st.device->tx_queued() > egress_low_water; }

void arm_hold_deadline(port_actor_t* self) {
  auto& st = self->state;
  st.hold_queued = st.device->tx_queued();
  self->delayed_send(self, st.config.egress_hold_max, egress_hold_expired{++st.hold});
}

// Pays the firewall the credit of held transmit batches once the device's queue is down to
// the low-water mark. At the deadline: a queue that shrank since is a slow netvm (held
// on); one that did not is a stuck netvm (paid, and no holds until the queue is low again:
// it costs drops, not time).
void release_egress(port_actor_t* self, bool deadline) {
  auto& st = self->state;
  const bool low = !egress_high(st);
  if (low) st.hold_off = false;
  if (st.credit_owed == 0) return;
  if (!low) {
    if (!deadline) return;
    if (st.device->tx_queued() < st.hold_queued) return arm_hold_deadline(self);
    ++st.stats.egress_hold_expired;
    st.hold_off = true;
  }
  self->send(st.firewall, credit{std::exchange(st.credit_owed, 0)});
}

// A transmit batch was taken: its credit now, or (uplink, more than the low-water mark
// waiting in the device) when the device has room. Client ports never hold: a client that
// stops taking frames must not slow the others.
void answer_transmit(port_actor_t* self) {
  auto& st = self->state;
  const bool high = st.config.role == port_role::uplink && egress_high(st);
  if (!high) st.hold_off = false;
  if (!high || st.hold_off) {
    self->send(st.firewall, credit{1 + std::exchange(st.credit_owed, 0)});
    return;
  }
  if (st.credit_owed++ == 0) {
    ++st.stats.egress_held;
    arm_hold_deadline(self);
    // A paused port's fd is not armed, and now it must see its device's egress progress.
    if (st.paused) st.io->rearm(st.device->fd());
  }
}

// After a drain: ready for the device's next readiness, unless the drain found nothing
// because the pool had no buffer. A link then leaves its frames where they are (the kernel
// drops what overflows) and its fd stays readable: armed now, it would bring us straight
// back, round and round until blocks return (the uplink's 256 large blocks can all wait in
// slow clients' queues). The port looks again after a pause, 1 ms doubling to 64 ms.
// starved: the device's receive found the pool refusing (not some egress before it).
void rearm_after_drain(port_actor_t* self, bool starved) {
  auto& st = self->state;
  if (!starved) {
    st.pool_wait = std::chrono::milliseconds{0};
  } else {
    ++st.stats.rx_pool_exhausted;
    st.pool_wait = std::clamp(st.pool_wait * 2, std::chrono::milliseconds{1}, std::chrono::milliseconds{64});
    self->delayed_send(self, st.pool_wait, pool_wait_over{});
    return;
  }
  st.io->rearm(st.device->fd());
}

void drain(port_actor_t* self) {
  auto& st = self->state;
  if (st.credits == 0) {
    // Frames stay in the device, which drops what overflows: back-pressure
    // ends at the ring or socket, counted there.
    if (!st.paused) ++st.stats.rx_paused;
    st.paused = true;
    if (st.credit_owed > 0) {
      // Still owed to the firewall, which may be waiting for it to give ours back:
      // the device's egress goes on (and says when its queue is empty) meanwhile.
      st.device->flush();
      release_egress(self, false);
      if (st.device->gone()) return self->quit(port_device_gone());
      st.io->rearm(st.device->fd());
    }
    return;
  }
  st.frames.clear();
  st.replies.clear();
  const auto refusals = st.pool.stats().exhausted;
  st.device->receive(st.frames, max_batch, st.pool);
  const bool starved = st.frames.empty() && st.pool.stats().exhausted != refusals;
  if (st.device->gone()) {
    // Not re-armed: a gone device polls as an error for good.
    self->quit(port_device_gone());
    return;
  }
  if (st.config.role == port_role::uplink && st.device->generation() != st.link_generation) {
    // A new link (the netvm came back, maybe another one with another MAC): ask the
    // gateway's MAC again; its reply replaces the one learnt (kept until then).
    st.link_generation = st.device->generation();
    st.replies.push_back(arp_request_for_gateway(st));
    ++st.stats.arp_requests_on_new_link;
  }
  auto& trace = tracer::instance();
  if (trace.frames_on()) trace.frames(st.config.name, st.frames);
  std::vector<proto::packet> ips;
  ips.reserve(st.frames.size());
  for (const auto& frame : st.frames) {
    ++st.stats.rx_frames;
    auto u = proto::strip_ethernet(frame);
    if (!u) {
      ++st.stats.rx_malformed;
      continue;
    }
    switch (u->link.type) {
      case proto::ethertype::arp:
        if (st.config.role == port_role::client) {
          auto a = firewall::answer_arp(frame.head(), {st.config.client_ip, st.config.client_mac, st.config.own_mac},
                                        st.pool);
          if (a.reply) {
            st.replies.push_back(std::move(*a.reply));
            ++st.stats.arp_replied;
          } else {
            ++st.stats.arp_ignored;
          }
        } else {
          uplink_arp(st, u->payload.head());
        }
        break;
      case proto::ethertype::ipv4:
      case proto::ethertype::ipv6: {
        if (st.config.role == port_role::uplink && !st.gateway_mac) st.gateway_mac = u->link.src;  // fallback
        auto meta = u->payload.meta();
        meta.interface = st.config.interface;
        ips.push_back(u->payload.with_meta(meta));
        break;
      }
      default: ++st.stats.rx_other_ethertype;
    }
  }
  send_frames(st, st.replies);
  release_egress(self, false);
  if (!ips.empty()) {
    if (trace.messages_on())
      trace.message("port " + st.config.name, "firewall",
                    st.config.role == port_role::client ? "client_packets" : "uplink_packets", ips);
    if (st.config.role == port_role::client)
      self->send(st.firewall, client_packets{st.config.client_ip, std::move(ips), self});
    else
      self->send(st.firewall, uplink_packets{std::move(ips), self});
    --st.credits;
    ++st.stats.rx_batches;
  }
  rearm_after_drain(self, starved);
}

port_actor::behavior_type port_behavior(port_actor_t* self, port_config config,
                                        std::shared_ptr<frame_device> device_holder, reactor* io,
                                        firewall_actor firewall) {
  auto& st = self->state;
  st.config = std::move(config);
  st.device = std::move(device_holder);
  st.io = io;
  st.firewall = std::move(firewall);
  st.credits = st.config.max_batches_in_flight;
  st.gateway_mac = st.config.gateway_mac;
  const int fd = st.device->fd();
  self->attach_functor([io, fd, me = self->address()] { io->forget(fd, me); });
  if (!io->watch(fd, fd_owner_actor{self})) self->quit(caf::sec::runtime_error);
  if (st.config.role == port_role::uplink && !st.gateway_mac) self->send(self, tick_atom_v);
  return {
      [=](fd_ready) { drain(self); },
      [=](credit c) {
        self->state.credits += c.batches;
        if (self->state.paused) {
          self->state.paused = false;
          drain(self);
        }
      },
      [=](const transmit_packets& t) {
        auto& s = self->state;
        proto::ethernet_repr link{s.config.client_mac, s.config.own_mac, proto::ethertype::ipv4, std::nullopt};
        if (s.config.role == port_role::uplink) {
          if (!s.gateway_mac) {
            s.stats.tx_no_gateway_mac += t.packets.size();
            answer_transmit(self);
            return;
          }
          link.dst = *s.gateway_mac;
        }
        auto& frames = s.egress;
        frames.clear();
        for (const auto& p : t.packets) {
          auto f = proto::add_ethernet(p, link, s.pool);
          if (f) frames.push_back(std::move(*f));
          else ++s.stats.tx_dropped;
        }
        send_frames(s, frames);
        answer_transmit(self);  // taken: the firewall may send the next batch (when there is room)
      },
      [=](pool_wait_over) { drain(self); },
      [=](egress_hold_expired e) {
        if (e.hold == self->state.hold) release_egress(self, true);
      },
      [=](tick_atom) {
        // The uplink asks for the gateway's MAC until it knows it.
        auto& s = self->state;
        if (s.gateway_mac) return;
        std::vector<proto::packet> req{arp_request_for_gateway(s)};
        send_frames(s, req);
        self->delayed_send(self, s.config.arp_retry, tick_atom_v);
      },
      [=](stats_atom) -> std::string {
        const auto& s = self->state.stats;
        std::string p = "port." + self->state.config.name + ".";
        std::string out;
        // The one line that is not a count: which client the port serves (`actorwall status --client`).
        if (self->state.config.role == port_role::client) out += p + "client " + self->state.config.client_ip.to_string() + "\n";
        auto line = [&](std::string_view n, std::uint64_t v) { proto::append_counter(out, p, n, v); };
        line("rx_frames", s.rx_frames);
        line("rx_batches", s.rx_batches);  // messages to the firewall: rx_frames / rx_batches is the batch size
        line("rx_malformed", s.rx_malformed);
        line("rx_other_ethertype", s.rx_other_ethertype);
        line("rx_paused", s.rx_paused);
        line("tx_frames", s.tx_frames);
        line("tx_dropped", s.tx_dropped);
        line("tx_no_gateway_mac", s.tx_no_gateway_mac);
        line("arp_replied", s.arp_replied);
        line("arp_ignored", s.arp_ignored);
        line("arp_requests_on_new_link", s.arp_requests_on_new_link);
        line("egress_held", s.egress_held);  // transmit batches whose credit waited for room
        line("egress_hold_expired", s.egress_hold_expired);
        line("rx_pool_exhausted", s.rx_pool_exhausted);  // drains that found no buffer (then a pause)
        return out + self->state.device->counters(p + "link.");
      },
  };
}

}  // namespace

port_actor spawn_port_actor(caf::actor_system& sys, port_config config, std::unique_ptr<frame_device> device,
                            reactor& io, firewall_actor firewall) {
  // CAF copies spawn arguments: the device travels in a shared_ptr.
  std::shared_ptr<frame_device> holder{std::move(device)};
  return sys.spawn(port_behavior, std::move(config), std::move(holder), &io, std::move(firewall));
}

}  // namespace aw::actors
