// xen/netback/vif_backend.hpp — the xenbus backend state machine of one client vif
// (backend/vif/<frontend-id>/<devid>): InitWait, connect, every teardown path, reconnect.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "protocol/address.hpp"
#include "xen/netback/connection.hpp"
#include "xen/xenbus.hpp"
#include "xen/xenstore.hpp"

namespace aw::xen::netback {

// What the toolstack wrote for this vif (read once, parsed strictly).
struct vif_identity {
  domid frontend = 0;
  std::uint32_t devid = 0;
  std::string backend_path;   // /local/domain/<self>/backend/vif/<fe>/<devid>
  std::string frontend_path;  // /local/domain/<fe>/device/vif/<devid>
  std::optional<proto::ipv4_address> ip;   // first IPv4 of `ip`
  std::optional<proto::mac_address> mac;   // the client's MAC
};

// Opens fresh data-path handles (real /dev/xen or the simulated hypervisor).
struct xen_handles {
  std::unique_ptr<grant_mapper> grants;
  std::unique_ptr<event_channels> events;
};
using open_handles_fn = std::function<xen_result<xen_handles>()>;

// What the last update() changed, for the owner (the vif actor).
enum class vif_change : std::uint8_t {
  none,
  connected,     // connection() is new: watch its fd
  disconnected,  // the connection is closed (frontend closing, reset, or fatal)
  removed,       // the backend directory is gone (removed by us or dom0): forget this vif
};
std::string_view to_string(vif_change c) noexcept;

class vif_backend {
 public:
  // backend_path: this vif's backend directory. Reads the identity; errors when
  // the directory is missing or its values are malformed.
  static xen_result<std::unique_ptr<vif_backend>> open(xenstore& xs, std::string backend_path,
                                                       open_handles_fn open_handles, connection_config config = {});
  ~vif_backend();
  vif_backend(const vif_backend&) = delete;
  vif_backend& operator=(const vif_backend&) = delete;

  // The paths whose changes must reach update() (the owner watches them).
  [[nodiscard]] const vif_identity& identity() const noexcept { return id_; }

  // Re-reads the backend and frontend state and moves the state machine on;
  // idempotent, so spurious and coalesced watch events are harmless.
  vif_change update();

  [[nodiscard]] xenbus_state state() const noexcept { return written_; }
  // The data path while Connected, else null. Borrowed: valid until the next update().
  [[nodiscard]] connection* conn() noexcept { return conn_.get(); }
  [[nodiscard]] const connection* conn() const noexcept { return conn_.get(); }
  // Why the last connect attempt failed (also written to the backend's `error` node).
  [[nodiscard]] const std::string& last_error() const noexcept { return error_; }
  [[nodiscard]] std::uint64_t connects() const noexcept { return connects_; }
  // Stops I/O now (service shutdown): Closing, then Closed once the frontend closes.
  void shutdown();
  // When update() must run again without an event (the delayed removal of the backend
  // directory after Closed, a frontend's time to answer a detach); nullopt when nothing is
  // pending. Never in the past for long: each update() sets it anew.
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> next_deadline() const noexcept {
    return due_;
  }
  // How long after writing Closed the directory is removed (online = 0).
  void set_removal_delay(std::chrono::milliseconds d) noexcept { config_removal_delay_ = d; }
  // How long a frontend may stay Connected or Closing after a detach before we close without
  // it (libxl waits 10 s for our Closed): a client cannot keep its vif's directory alive.
  void set_frontend_close_grace(std::chrono::milliseconds d) noexcept { config_close_grace_ = d; }
  // How long InitWait waits for the vif's hotplug script (hotplug-status) before going on
  // without it; how often it went on without.
  void set_hotplug_wait_max(std::chrono::milliseconds d) noexcept { config_hotplug_wait_max_ = d; }
  [[nodiscard]] std::uint64_t hotplug_timeouts() const noexcept { return hotplug_timeouts_; }
  // A connection update() closed, handed over once so its owner can stop
  // watching its fd before it is destroyed (its counters stay readable).
  std::unique_ptr<connection> take_retired() noexcept { return std::move(retired_); }

 private:
  vif_backend(xenstore& xs, vif_identity id, open_handles_fn open_handles, connection_config config)
      : xs_(xs), id_(std::move(id)), open_handles_(std::move(open_handles)), config_(config) {}
  status write_state(xenbus_state s);
  // When the toolstack asked us to wait for the hotplug script and it has not answered: until when.
  std::optional<std::chrono::steady_clock::time_point> hotplug_pending();
  status advertise();
  status connect();
  bool disconnect();
  void set_error(std::string why);

  xenstore& xs_;
  vif_identity id_;
  open_handles_fn open_handles_;
  connection_config config_;
  std::unique_ptr<connection> conn_;
  std::unique_ptr<connection> retired_;
  xenbus_state written_ = xenbus_state::unknown;  // the last state this backend wrote
  bool close_requested_ = false;                  // dom0 wrote Closing, or shutdown()
  std::chrono::steady_clock::time_point close_requested_at_{};
  bool removed_ = false;
  std::chrono::steady_clock::time_point closed_at_{};
  std::optional<std::chrono::steady_clock::time_point> due_;
  std::chrono::milliseconds config_removal_delay_{500};
  std::chrono::milliseconds config_close_grace_{5000};
  std::chrono::steady_clock::time_point init_wait_at_{};
  std::chrono::milliseconds config_hotplug_wait_max_{3000};
  bool hotplug_waited_ = false;
  std::uint64_t hotplug_timeouts_ = 0;
  std::string error_;
  std::uint64_t connects_ = 0;
};

// Reads what the toolstack wrote for the vif at backend_path; errors when the
// directory is missing or the frontend path is not the one the path implies.
xen_result<vif_identity> read_vif_identity(xenstore& xs, std::string backend_path);

// Parses "/local/domain/<self>/backend/vif/<fe>/<devid>" → (fe, devid).
std::optional<std::pair<domid, std::uint32_t>> parse_vif_backend_path(std::string_view path, domid self);

}  // namespace aw::xen::netback
