// xen/netback/vif_backend.cpp — xenbus backend states for one vif, as Linux xen-netback and
// libxl expect them (see ../shared/reference/qubes.md, "XenStore for a client vif").
#include "xen/netback/vif_backend.hpp"

#include <charconv>
#include <chrono>
#include <utility>

namespace aw::xen::netback {

std::string_view to_string(vif_change c) noexcept {
  switch (c) {
    case vif_change::none: return "none";
    case vif_change::connected: return "connected";
    case vif_change::disconnected: return "disconnected";
    case vif_change::removed: return "removed";
  }
  return "unknown";
}

std::optional<std::pair<domid, std::uint32_t>> parse_vif_backend_path(std::string_view path, domid self) {
  const std::string prefix = "/local/domain/" + std::to_string(self) + "/backend/vif/";
  if (!path.starts_with(prefix)) return std::nullopt;
  path.remove_prefix(prefix.size());
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto fe = parse_xs_uint(path.substr(0, slash));
  auto dev = parse_xs_uint(path.substr(slash + 1));
  if (!fe || !dev || *fe > 0x7fefu) return std::nullopt;  // DOMID_FIRST_RESERVED
  return std::pair{static_cast<domid>(*fe), *dev};
}

namespace {
// The self domain is the one in the path; any domain id parses here.
std::optional<std::pair<domid, std::uint32_t>> split_backend_path(std::string_view path) {
  constexpr std::string_view head = "/local/domain/";
  if (!path.starts_with(head)) return std::nullopt;
  auto rest = path.substr(head.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto self = parse_xs_uint(rest.substr(0, slash));
  if (!self || *self > 0xffffu) return std::nullopt;
  return parse_vif_backend_path(path, static_cast<domid>(*self));
}

// `ip`: space-separated addresses; the first IPv4 one is the client's.
std::optional<proto::ipv4_address> first_ipv4(std::string_view s) {
  while (!s.empty()) {
    auto sp = s.find(' ');
    auto word = s.substr(0, sp);
    if (word.find('.') != std::string_view::npos) return proto::ipv4_address::parse(word);
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return std::nullopt;
}

bool read_flag(xenstore& xs, const std::string& path) {
  auto v = xs.read(path);
  if (!v) return false;
  return parse_xs_bool(*v).value_or(false);
}
}  // namespace

xen_result<vif_identity> read_vif_identity(xenstore& xs, std::string backend_path) {
  auto ids = split_backend_path(backend_path);
  if (!ids) return xen_error::invalid_argument;
  vif_identity id;
  id.frontend = ids->first;
  id.devid = ids->second;
  id.backend_path = std::move(backend_path);
  auto fe_path = xs.read(id.backend_path + "/frontend");
  if (!fe_path) return fe_path.error();
  const std::string expected = "/local/domain/" + std::to_string(id.frontend) + "/device/vif/" + std::to_string(id.devid);
  if (*fe_path != expected) return xen_error::invalid_argument;  // the toolstack wrote something else
  if (auto fe_id = xs.read(id.backend_path + "/frontend-id"); fe_id && parse_xs_uint(*fe_id) != id.frontend)
    return xen_error::invalid_argument;
  id.frontend_path = expected;
  if (auto ip = xs.read(id.backend_path + "/ip")) id.ip = first_ipv4(*ip);
  if (auto mac = xs.read(id.backend_path + "/mac")) id.mac = proto::mac_address::parse(*mac);
  return id;
}

xen_result<std::unique_ptr<vif_backend>> vif_backend::open(xenstore& xs, std::string backend_path,
                                                           open_handles_fn open_handles, connection_config config) {
  auto id = read_vif_identity(xs, std::move(backend_path));
  if (!id) return id.error();
  return std::unique_ptr<vif_backend>(new vif_backend(xs, std::move(*id), std::move(open_handles), config));
}

vif_backend::~vif_backend() { disconnect(); }

status vif_backend::write_state(xenbus_state s) {
  auto r = xs_.write(id_.backend_path + "/state", format_xenbus_state(s));
  if (r) written_ = s;
  return r;
}

status vif_backend::advertise() {
  const std::string& b = id_.backend_path;
  return with_transaction(xs_, [&](xs_transaction t) -> status {
    const std::pair<const char*, bool> features[] = {
        {"feature-sg", true},
        {"feature-gso-tcpv4", config_.tx.gso_tcpv4},
        {"feature-gso-tcpv6", config_.tx.gso_tcpv6},
        {"feature-ipv6-csum-offload", true},
        {"feature-rx-copy", true},
        {"feature-rx-flip", false},
        {"feature-split-event-channels", true},
    };
    for (const auto& [key, on] : features)
      if (auto s = xs_.write(b + "/" + key, on ? "1" : "0", t); !s) return s;
    return done{};
  });
}

void vif_backend::set_error(std::string why) {
  error_ = std::move(why);
  (void)xs_.write(id_.backend_path + "/error", error_);
}

status vif_backend::connect() {
  const std::string& f = id_.frontend_path;
  auto uint_key = [&](const char* key) -> std::optional<std::uint32_t> {
    auto v = xs_.read(f + "/" + key);
    return v ? parse_xs_uint(*v) : std::nullopt;
  };
  frontend_keys k;
  k.frontend = id_.frontend;
  if (auto queues = xs_.read(f + "/multi-queue-num-queues"); queues && parse_xs_uint(*queues) != 1u) {
    set_error("frontend asks for several queues; none were offered");
    return xen_error::not_supported;
  }
  auto tx = uint_key("tx-ring-ref"), rx = uint_key("rx-ring-ref");
  if (!tx || !rx) {
    set_error("tx-ring-ref or rx-ring-ref missing or malformed");
    return xen_error::invalid_argument;
  }
  k.tx_ring_ref = *tx;
  k.rx_ring_ref = *rx;
  // Split channels first, as Linux netback reads them (a frontend writes one form; the
  // other may be left from an earlier one).
  auto etx = uint_key("event-channel-tx"), erx = uint_key("event-channel-rx");
  if (etx && erx) {
    k.tx_port = *etx;
    k.rx_port = *erx;
  } else if (auto one = uint_key("event-channel")) {
    k.tx_port = k.rx_port = *one;
  } else {
    set_error("event-channel missing or malformed");
    return xen_error::invalid_argument;
  }
  if (!read_flag(xs_, f + "/request-rx-copy")) {
    set_error("frontend does not request rx-copy (the only rx mode offered)");
    return xen_error::not_supported;
  }
  k.sg = read_flag(xs_, f + "/feature-sg");
  k.gso_tcpv4 = read_flag(xs_, f + "/feature-gso-tcpv4");
  k.gso_tcpv6 = read_flag(xs_, f + "/feature-gso-tcpv6");
  k.csum_offload = !read_flag(xs_, f + "/feature-no-csum-offload");
  k.ipv6_csum_offload = read_flag(xs_, f + "/feature-ipv6-csum-offload");

  auto handles = open_handles_();
  if (!handles) {
    set_error(std::string{"opening grant/event handles: "} + std::string{to_string(handles.error())});
    return handles.error();
  }
  auto c = connection::connect(std::move(handles->grants), std::move(handles->events), k, config_);
  if (!c) {
    set_error(std::string{"mapping rings / binding event channel: "} + std::string{to_string(c.error())});
    return c.error();
  }
  conn_ = std::move(*c);
  ++connects_;
  if (!error_.empty()) {
    error_.clear();
    (void)xs_.rm(id_.backend_path + "/error");
  }
  return done{};
}

bool vif_backend::disconnect() {
  if (!conn_) return false;
  conn_->close();  // unbind, then unmap
  retired_ = std::move(conn_);
  return true;
}

void vif_backend::shutdown() {
  if (!close_requested_) close_requested_at_ = std::chrono::steady_clock::now();
  close_requested_ = true;
  (void)update();
}

namespace {
// libxl in the backend's own domain (a backend in dom0) removes the directory itself once
// it has seen Closed (hotplug script, then libxl__device_destroy): removing it first makes
// its wait for Closed see the node vanish, fail the detach ("unable to remove device") and
// skip its cleanup of the frontend side. Seen with xl network-detach on Xen 4.17.
bool toolstack_removes_directory(const std::string& backend_path) {
  return backend_path.rfind("/local/domain/0/", 0) == 0;
}
}  // namespace

// The toolstack writes hotplug-status="" "to force the backend to wait for hotplug script
// execution" (libxl): dom0's libxl, or a driver domain's `xl devd`, then waits for our
// InitWait, runs the vif's script, and the script writes "connected". Both waits see a
// state only if it is still there when they read it: a backend that went on to Connected
// at once could leave dom0 waiting its 10 s and fail the attach. So InitWait is kept until
// the script is done ("connected", or "error": it ran, and this backend needs nothing of
// it), and at most hotplug_wait_max_ (no script runner: no devd in the qube).
std::optional<std::chrono::steady_clock::time_point> vif_backend::hotplug_pending() {
  const auto status = xs_.read(id_.backend_path + "/hotplug-status");
  if (!status || !status->empty()) return std::nullopt;  // not asked for, or answered
  const auto give_up = init_wait_at_ + config_hotplug_wait_max_;
  if (std::chrono::steady_clock::now() >= give_up) {
    if (!std::exchange(hotplug_waited_, true)) ++hotplug_timeouts_;
    return std::nullopt;
  }
  return give_up;
}

vif_change vif_backend::update() {
  if (removed_) return vif_change::none;
  // Set again below by whatever still waits: a deadline left from before (a frontend that
  // wrote Connected back after Closed) would come due at every look, a timer 1 ms apart.
  due_.reset();
  const std::string& b = id_.backend_path;
  auto be_raw = xs_.read(b + "/state");
  if (!be_raw && be_raw.error() == xen_error::not_found && !xs_.read(b)) {
    disconnect();  // dom0 removed the directory itself
    removed_ = true;
    return vif_change::removed;
  }
  const xenbus_state be = be_raw ? parse_xenbus_state(*be_raw).value_or(xenbus_state::unknown) : xenbus_state::unknown;
  const bool online = read_flag(xs_, b + "/online");
  // dom0 detaches the vif by writing online=0 and Closing over our state. A Closing
  // with online=1 that we did not write in this run is our own from before a restart
  // (a service restarted while a vif was closing): not a detach, and taking it for one
  // would keep the vif from ever reaching InitWait again.
  if (be == xenbus_state::closing && written_ != xenbus_state::closing && !online && !close_requested_) {
    close_requested_ = true;
    close_requested_at_ = std::chrono::steady_clock::now();
  }
  auto fe_raw = xs_.read(id_.frontend_path + "/state");
  // Missing or malformed counts as gone.
  const xenbus_state fe = fe_raw ? parse_xenbus_state(*fe_raw).value_or(xenbus_state::unknown) : xenbus_state::unknown;

  vif_change change = vif_change::none;
  auto closed_and_maybe_removed = [&]() {
    const auto now = std::chrono::steady_clock::now();
    // Also when the store says otherwise: dom0's detach writes Closing over our
    // Closed (online=0, state 5) and waits for Closed again; the removal delay then
    // counts from this answer, the moment libxl starts watching for it.
    if (written_ != xenbus_state::closed || be != xenbus_state::closed) {
      (void)write_state(xenbus_state::closed);
      closed_at_ = now;
    }
    if (online || toolstack_removes_directory(b)) return;
    // dom0's libxl watches for Closed, then for the directory to go (≤ 10 s
    // each): removing it in the same instant can make its read of `state`
    // find nothing and fail the detach. So a moment after Closed.
    if (now - closed_at_ < config_removal_delay_) {
      due_ = closed_at_ + config_removal_delay_;
      return;
    }
    (void)xs_.rm(b);  // our own directory only, never the parent
    removed_ = true;
    change = vif_change::removed;
  };

  if (fe == xenbus_state::unknown || fe == xenbus_state::closed) {
    if (disconnect()) change = vif_change::disconnected;
    closed_and_maybe_removed();
    return change;
  }
  if (fe == xenbus_state::closing || close_requested_) {
    if (disconnect()) change = vif_change::disconnected;
    if (written_ != xenbus_state::closing && written_ != xenbus_state::closed) (void)write_state(xenbus_state::closing);
    if (close_requested_) {
      // A frontend that never connected will not answer our Closing: nothing to wait for.
      // One that does not answer within the grace (hung, or a hostile client writing its
      // state back) is closed without: the detach is dom0's, not the client's, to decide.
      const bool answering = fe == xenbus_state::connected || fe == xenbus_state::closing;
      const auto give_up = close_requested_at_ + config_close_grace_;
      if (!answering || std::chrono::steady_clock::now() >= give_up) closed_and_maybe_removed();
      else due_ = give_up;
    }
    return change;
  }

  // A restarted service finds both ends Connected: attach to the live rings.
  if (written_ == xenbus_state::unknown && be == xenbus_state::connected && fe == xenbus_state::connected) {
    if (connect()) {
      written_ = xenbus_state::connected;
      return vif_change::connected;
    }
    (void)write_state(xenbus_state::closing);
    return change;
  }
  const bool fresh = written_ == xenbus_state::unknown || written_ == xenbus_state::initialising;
  const bool frontend_restarting = fe == xenbus_state::initialising || fe == xenbus_state::init_wait;
  if (frontend_restarting && (written_ == xenbus_state::connected || written_ == xenbus_state::closing)) {
    // The frontend started over without Closing/Closed (a reset, or our watch events
    // coalesced): drop the old rings and walk to InitWait through Closed, as Linux's
    // set_backend_state does, instead of staying on rings nobody uses.
    if (disconnect()) change = vif_change::disconnected;
    (void)write_state(xenbus_state::closed);
  }
  if (fresh || (written_ == xenbus_state::closed && frontend_restarting)) {
    if (!advertise() || !write_state(xenbus_state::init_wait)) return change;
    init_wait_at_ = std::chrono::steady_clock::now();
    hotplug_waited_ = false;
  }
  if (written_ == xenbus_state::init_wait && (fe == xenbus_state::initialised || fe == xenbus_state::connected)) {
    if (const auto until = hotplug_pending()) {
      due_ = *until;
      return change;
    }
    if (connect() && write_state(xenbus_state::connected)) return vif_change::connected;
    disconnect();
    (void)write_state(xenbus_state::closing);  // the frontend sees it and closes
    return vif_change::disconnected;
  }
  if (written_ == xenbus_state::connected && conn_ && conn_->closed()) {
    // The data path gave up on a hostile frontend: tell it we are closing.
    disconnect();
    (void)write_state(xenbus_state::closing);
    return vif_change::disconnected;
  }
  return change;
}

}  // namespace aw::xen::netback
