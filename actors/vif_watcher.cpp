// actors/vif_watcher.cpp — backend/vif listing on every watch event, new vifs reported once.
#include "actors/vif_watcher.hpp"

#include <caf/all.hpp>

#include <set>

#include "actors/log.hpp"
#include "actors/messages.hpp"
#include "xen/netback/vif_directory.hpp"
#include "xen/xenbus.hpp"

namespace aw::actors {
namespace {

struct watcher_counters {
  std::uint64_t events = 0, listings = 0, vifs_added = 0, vifs_released = 0, malformed = 0, errors = 0;
};

struct watcher_state {
  xen::xen_platform platform;
  std::unique_ptr<xen::xenstore> xs;
  reactor* io = nullptr;
  supervisor_actor supervisor;
  std::set<std::string> reported;  // vif_added sent, not yet released
  watcher_counters stats;
  static inline const char* name = "vif_watcher";
};
using watcher_actor_t = vif_watcher_actor::stateful_base<watcher_state>;

void rescan(watcher_actor_t* self) {
  auto& st = self->state;
  ++st.stats.listings;
  auto listing = xen::netback::list_vif_backends(*st.xs, st.platform.self);
  if (!listing) {
    ++st.stats.errors;
    log_warning("vif watcher: listing backend/vif failed: " + std::string{xen::to_string(listing.error())});
    return;
  }
  st.stats.malformed += listing->malformed;
  for (const auto& path : listing->backend_paths) {
    if (st.reported.count(path) != 0) continue;
    auto id = xen::netback::read_vif_identity(*st.xs, path);
    if (!id) continue;  // being written or removed: the next event tells
    if (!id->ip) {
      ++st.stats.malformed;
      log_warning("vif watcher: " + path + " has no IPv4 address in `ip`; not served");
      st.reported.insert(path);  // once: its removal or a release brings it back
      continue;
    }
    st.reported.insert(path);
    ++st.stats.vifs_added;
    vif_added msg;
    msg.backend_path = path;
    msg.client = *id->ip;
    msg.client_mac = id->mac.value_or(proto::mac_address{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00}});
    msg.name = "vif" + std::to_string(id->frontend) + "." + std::to_string(id->devid);
    self->send(st.supervisor, std::move(msg));
  }
  // Vanished directories: their ports notice on their own (device gone).
  for (auto it = st.reported.begin(); it != st.reported.end();) {
    const bool present = std::binary_search(listing->backend_paths.begin(), listing->backend_paths.end(), *it);
    it = present ? std::next(it) : st.reported.erase(it);
  }
}

// The empty behavior of a watcher that quit while starting (a typed behavior has no
// public default constructor).
vif_watcher_actor::behavior_type no_behavior() {
  return {vif_watcher_actor::behavior_type::unsafe_init{}, caf::behavior{}};
}

}  // namespace

vif_watcher_actor::behavior_type vif_watcher_fn(watcher_actor_t* self, xen::xen_platform platform, reactor* io,
                                                supervisor_actor supervisor) {
  auto& st = self->state;
  st.platform = std::move(platform);
  st.io = io;
  st.supervisor = std::move(supervisor);
  auto xs = st.platform.open_xenstore();
  if (!xs) {
    log_error("vif watcher: cannot open XenStore: " + std::string{xen::to_string(xs.error())});
    self->quit(caf::sec::runtime_error);
    return no_behavior();
  }
  st.xs = std::move(*xs);
  const std::string root = xen::netback::vif_backend_root(st.platform.self);
  if (!st.xs->watch(root, "vifs")) {
    log_error("vif watcher: cannot watch " + root);
    self->quit(caf::sec::runtime_error);
    return no_behavior();
  }
  const int fd = st.xs->watch_fd();
  self->attach_functor([io, fd, me = self->address()] { io->forget(fd, me); });
  io->watch(fd, fd_owner_actor{self});
  return {
      [self](const fd_ready&) {
        auto& s = self->state;
        auto events = s.xs->read_watch_events();
        if (!events) {
          ++s.stats.errors;
          log_error("vif watcher: XenStore connection lost: " + std::string{xen::to_string(events.error())});
          self->quit(caf::sec::runtime_error);  // the supervisor restarts it
          return;
        }
        s.stats.events += events->size();
        if (!events->empty()) rescan(self);
        s.io->rearm(s.xs->watch_fd());
      },
      [self](const vif_released& r) {
        auto& s = self->state;
        ++s.stats.vifs_released;
        s.reported.erase(r.backend_path);
        rescan(self);
      },
      [self](stats_atom) -> std::string {
        const auto& c = self->state.stats;
        return "watcher.events " + std::to_string(c.events) + "\nwatcher.listings " + std::to_string(c.listings) +
               "\nwatcher.vifs_added " + std::to_string(c.vifs_added) + "\nwatcher.vifs_released " +
               std::to_string(c.vifs_released) + "\nwatcher.malformed " + std::to_string(c.malformed) +
               "\nwatcher.errors " + std::to_string(c.errors) + "\n";
      },
  };
}

// Arguments go through spawn (not lambda captures): CAF 0.17 dereferences a
// null argument tuple for a function actor spawned without any (UBSan sees it).
vif_watcher_actor spawn_vif_watcher(caf::actor_system& sys, xen::xen_platform platform, reactor& io,
                                    supervisor_actor supervisor) {
  return sys.spawn(vif_watcher_fn, std::move(platform), &io, std::move(supervisor));
}

}  // namespace aw::actors
