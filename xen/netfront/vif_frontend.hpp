// xen/netfront/vif_frontend.hpp — the xenbus frontend state machine of one vif
// (device/vif/<devid> of this domain): connect when the backend waits, publish the rings,
// close when the backend closes, start again when it comes back (a netvm restart).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "xen/netfront/connection.hpp"
#include "xen/xenbus.hpp"
#include "xen/xenstore.hpp"

namespace aw::xen::netfront {

struct front_handles {
  std::unique_ptr<grant_sharer> sharer;
  std::unique_ptr<event_channels> events;
};
using open_front_handles_fn = std::function<xen_result<front_handles>()>;

enum class front_change : std::uint8_t { none, connected, disconnected };

class vif_frontend {
 public:
  // frontend_path: /local/domain/<self>/device/vif/<devid>; its `backend` and
  // `backend-id` (written by dom0) say whom to connect to.
  static xen_result<std::unique_ptr<vif_frontend>> open(xenstore& xs, std::string frontend_path,
                                                        open_front_handles_fn open_handles);
  ~vif_frontend();
  vif_frontend(const vif_frontend&) = delete;
  vif_frontend& operator=(const vif_frontend&) = delete;

  [[nodiscard]] const std::string& frontend_path() const noexcept { return frontend_path_; }
  [[nodiscard]] const std::string& backend_path() const noexcept { return backend_path_; }
  // Re-reads the backend's state and acts; idempotent (watch events may be spurious).
  // Besides the usual steps: a backend Closed with the vif still online is asked to start
  // again (Initialising), and one Connected to rings this object never shared (a previous
  // process's) is asked to close first (Closing).
  front_change update();
  [[nodiscard]] xenbus_state state() const noexcept { return written_; }
  // The data path while connected (borrowed: valid until the next update()).
  [[nodiscard]] connection* conn() noexcept { return conn_.get(); }
  // A closed connection, once, so its owner can stop watching its fd first.
  std::unique_ptr<connection> take_retired() noexcept { return std::move(retired_); }
  [[nodiscard]] std::uint64_t connects() const noexcept { return connects_; }
  // Another frontend wrote its ring references over ours (the kernel's xen-netfront bound
  // to the device again): this object has let go and stays out of its way.
  [[nodiscard]] bool taken_over() const noexcept { return taken_over_; }

 private:
  vif_frontend(xenstore& xs, std::string fe, std::string be, domid backend, open_front_handles_fn h)
      : xs_(xs), frontend_path_(std::move(fe)), backend_path_(std::move(be)), backend_(backend),
        open_handles_(std::move(h)) {}
  status write_state(xenbus_state s);
  status connect();
  bool disconnect();

  xenstore& xs_;
  std::string frontend_path_, backend_path_;
  domid backend_;
  open_front_handles_fn open_handles_;
  std::unique_ptr<connection> conn_, retired_;
  xenbus_state written_ = xenbus_state::initialising;
  std::uint64_t connects_ = 0;
  bool taken_over_ = false;
};

}  // namespace aw::xen::netfront
