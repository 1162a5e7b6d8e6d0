// actors/netfront_device.hpp — the uplink over Xen as a port's frame device: this domain's own
// frontend vif (device/vif/<id>, its backend in the netvm) served by the userspace netfront,
// the frontend xenbus state machine on the device's own XenStore connection plus the data
// path behind one pollable fd that stays the same across reconnects.
//
// Backend gone (netvm shut down, restarted or changed): the device follows the xenbus
// protocol (frontend Closed, event channel and grants released) and reconnects by itself;
// it never reports gone(). Why not gone() and the supervisor's reopen: vif_frontend already
// goes back from Closed to Initialising when the backend offers InitWait again (a netvm
// restart); a changed netvm is dom0 removing the frontend directory and writing it again
// with the new `backend`/`backend-id`, which the device watches and follows (a new
// vif_frontend for the new backend). Neither needs a new device.
// The uplink port, its queues and the firewall's handle on it stay as they are, and the
// return is as fast as the netvm's xenbus steps, not a reopen_interval poll. While the
// backend is not Connected, receive() returns nothing and send() drops and counts.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "actors/frame_device.hpp"
#include "xen/netfront/vif_frontend.hpp"
#include "xen/xenstore.hpp"

namespace aw::actors {

class netfront_device final : public frame_device {
 public:
  // frontend_path: /local/domain/<self>/device/vif/<id>. Fails when the directory does not
  // name a valid backend now (a wrong id); after that the device waits out any absence.
  // Watches the frontend directory and its backend, and takes the first xenbus step at once.
  static xen::xen_result<std::unique_ptr<netfront_device>> open(std::unique_ptr<xen::xenstore> xs,
                                                                std::string frontend_path,
                                                                xen::netfront::open_front_handles_fn open_handles);
  ~netfront_device() override;

  [[nodiscard]] int fd() const override { return epoll_fd_; }
  std::size_t receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) override;
  std::size_t send(std::span<const proto::packet> frames) override;
  [[nodiscard]] std::string counters(const std::string& prefix) const override;
  [[nodiscard]] std::size_t tx_queued() const override;
  void flush() override;

  // The frontend state this device last wrote (closed while it has no backend to follow).
  [[nodiscard]] xen::xenbus_state state() const;
  [[nodiscard]] bool connected() const { return vif_ && vif_->conn() != nullptr; }
  // Every connection to a backend is a new link (a netvm restart or change).
  [[nodiscard]] std::uint64_t generation() const override { return connects_before_ + (vif_ ? vif_->connects() : 0); }
  // The backend directory followed now (empty while the frontend directory names none).
  [[nodiscard]] std::string backend_path() const { return vif_ ? vif_->backend_path() : std::string{}; }

 private:
  netfront_device() = default;
  void step();
  // Takes XenStore events (following the backend), runs data_path on the live connection
  // if there is one (0 otherwise), and follows a connection the data path closed.
  template <class DataPath>
  std::size_t with_connection(DataPath&& data_path);
  // (Re)opens the vif_frontend when the frontend directory names another backend, drops it
  // when the directory is gone.
  void follow_backend();
  void drop_frontend();
  void retire(std::unique_ptr<xen::netfront::connection> old);

  std::unique_ptr<xen::xenstore> xs_;
  std::string frontend_path_;
  xen::netfront::open_front_handles_fn open_handles_;
  std::unique_ptr<xen::netfront::vif_frontend> vif_;
  int epoll_fd_ = -1;
  int conn_fd_ = -1;  // the connection's event channel fd while it is in the epoll set
  xen::netfront::front_counters retired_;  // sums over closed connections
  std::uint64_t connects_before_ = 0;      // connects of vif_frontends already dropped
  std::uint64_t tx_not_connected_ = 0;
  std::uint64_t backend_invalid_ = 0;  // the frontend directory named a backend we refuse
  std::uint64_t backend_changes_ = 0;
};

}  // namespace aw::actors
