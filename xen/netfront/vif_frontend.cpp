// xen/netfront/vif_frontend.cpp — frontend xenbus steps, as Linux netfront takes them.
#include "xen/netfront/vif_frontend.hpp"

namespace aw::xen::netfront {
namespace {
bool read_flag(xenstore& xs, const std::string& path) {
  auto v = xs.read(path);
  return v && parse_xs_bool(*v).value_or(false);
}
}  // namespace

xen_result<std::unique_ptr<vif_frontend>> vif_frontend::open(xenstore& xs, std::string frontend_path,
                                                             open_front_handles_fn open_handles) {
  auto be = xs.read(frontend_path + "/backend");
  if (!be) return be.error();
  auto be_id = xs.read(frontend_path + "/backend-id");
  if (!be_id) return be_id.error();
  auto id = parse_xs_uint(*be_id);
  if (!id || *id > 0x7fefu) return xen_error::invalid_argument;
  // The backend must live under its own domain's tree.
  if (!be->starts_with("/local/domain/" + std::to_string(*id) + "/backend/vif/")) return xen_error::invalid_argument;
  return std::unique_ptr<vif_frontend>(
      new vif_frontend(xs, std::move(frontend_path), std::move(*be), static_cast<domid>(*id), std::move(open_handles)));
}

vif_frontend::~vif_frontend() { disconnect(); }

status vif_frontend::write_state(xenbus_state s) {
  auto r = xs_.write(frontend_path_ + "/state", format_xenbus_state(s));
  if (r) written_ = s;
  return r;
}

status vif_frontend::connect() {
  auto h = open_handles_();
  if (!h) return h.error();
  auto c = connection::create(std::move(h->sharer), std::move(h->events), backend_);
  if (!c) return c.error();
  const auto k = (*c)->keys();
  const std::string& f = frontend_path_;
  auto published = with_transaction(xs_, [&](xs_transaction t) -> status {
    // What an earlier frontend of this vif left (the kernel's netfront, unbound so that we
    // take over, uses split event channels and may use queues): Linux netback reads
    // event-channel-tx/-rx and queue-N/ before event-channel, so stale ones would bind it
    // to ports that are not ours.
    for (const char* stale : {"event-channel-tx", "event-channel-rx", "multi-queue-num-queues"})
      if (auto s = xs_.rm(f + "/" + stale, t); !s) return s;
    if (auto children = xs_.directory(f, t)) {
      for (const auto& child : *children)
        if (child.starts_with("queue-"))
          if (auto s = xs_.rm(f + "/" + child, t); !s) return s;
    }
    const std::pair<const char*, std::string> keys[] = {
        {"tx-ring-ref", std::to_string(k.tx_ring_ref)}, {"rx-ring-ref", std::to_string(k.rx_ring_ref)},
        {"event-channel", std::to_string(k.event_channel)}, {"request-rx-copy", "1"}, {"feature-rx-notify", "1"},
        {"feature-sg", "1"}, {"feature-gso-tcpv4", "1"}, {"feature-gso-tcpv6", "1"},
        {"feature-ipv6-csum-offload", "1"}};
    for (const auto& [key, v] : keys)
      if (auto s = xs_.write(f + "/" + key, v, t); !s) return s;
    return xs_.write(f + "/state", format_xenbus_state(xenbus_state::connected), t);
  });
  if (!published) return published.error();
  written_ = xenbus_state::connected;
  backend_features feat;
  feat.sg = read_flag(xs_, backend_path_ + "/feature-sg");
  feat.gso_tcpv4 = read_flag(xs_, backend_path_ + "/feature-gso-tcpv4");
  feat.gso_tcpv6 = read_flag(xs_, backend_path_ + "/feature-gso-tcpv6");
  feat.ipv6_csum_offload = read_flag(xs_, backend_path_ + "/feature-ipv6-csum-offload");
  (*c)->connect(feat);
  conn_ = std::move(*c);
  ++connects_;
  return done{};
}

bool vif_frontend::disconnect() {
  if (!conn_) return false;
  conn_->close();
  retired_ = std::move(conn_);
  return true;
}

front_change vif_frontend::update() {
  if (taken_over_) return front_change::none;
  // Our ring references replaced by another writer: two frontends on one device can only
  // break each other's rings (the backend maps one set). Found on Xen: the kernel's
  // netfront, only unbound, bound the device again when dom0 attached the vif anew.
  if (conn_) {
    auto ref = xs_.read(frontend_path_ + "/tx-ring-ref");
    if (ref && parse_xs_uint(*ref) != conn_->keys().tx_ring_ref) {
      taken_over_ = true;
      disconnect();
      return front_change::disconnected;
    }
  }
  auto raw = xs_.read(backend_path_ + "/state");
  const xenbus_state be = raw ? parse_xenbus_state(*raw).value_or(xenbus_state::unknown) : xenbus_state::unknown;
  switch (be) {
    case xenbus_state::init_wait:
      if (written_ == xenbus_state::closed) (void)write_state(xenbus_state::initialising);  // the backend came back
      if (written_ == xenbus_state::initialising) {
        if (!read_flag(xs_, backend_path_ + "/feature-rx-copy")) return front_change::none;  // not ready to take us
        if (connect()) return front_change::connected;
      }
      return front_change::none;
    case xenbus_state::closing:
    case xenbus_state::closed:
    case xenbus_state::unknown: {
      const bool was = disconnect();
      // Both Closed with the device still online (we gave up on the data path, or the
      // backend reset): Initialising asks the backend for InitWait, as Linux netback
      // expects; then we wait in Initialising.
      const bool restart = be == xenbus_state::closed && read_flag(xs_, backend_path_ + "/online");
      if (restart && (written_ == xenbus_state::closed || written_ == xenbus_state::initialising)) {
        auto mine = xs_.read(frontend_path_ + "/state");  // a fresh vif_frontend has written nothing yet
        if (!mine || parse_xenbus_state(*mine) != xenbus_state::initialising)
          (void)write_state(xenbus_state::initialising);
      } else if (written_ != xenbus_state::closed) {
        (void)write_state(xenbus_state::closed);
      }
      return was ? front_change::disconnected : front_change::none;
    }
    default:
      // Connected: carrier up; Initialising/Initialised: wait.
      if (conn_ && conn_->closed()) {  // our data path gave up on a hostile backend
        disconnect();
        (void)write_state(xenbus_state::closing);
        return front_change::disconnected;
      }
      // Connected to rings we do not have (a previous run's, or a backend that skipped
      // our steps): Closing makes it let go, then it offers InitWait again.
      if (!conn_ && be == xenbus_state::connected && written_ != xenbus_state::closing)
        (void)write_state(xenbus_state::closing);
      return front_change::none;
  }
}

}  // namespace aw::xen::netfront
