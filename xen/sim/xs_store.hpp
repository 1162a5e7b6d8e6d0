// xen/sim/xs_store.hpp — the simulated xenstored's state and request dispatcher (no I/O).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "xen/sim/xs_wire.hpp"
#include "xen/xenstore.hpp"

namespace aw::xen::sim {

struct xs_limits {
  std::size_t max_nodes = 20000;             // whole store
  std::size_t max_nodes_per_domain = 2000;   // nodes owned by one unprivileged domain
  std::size_t max_watches_per_connection = 128;
  std::size_t max_transactions_per_connection = 16;
  std::size_t max_permissions = 64;          // entries in one node's ACL
  std::size_t max_connections = 256;
  std::size_t max_output_bytes = 1u << 20;   // queued replies + events; beyond: disconnect
};

// One XenStore node.
struct xs_node {
  std::string value;
  xs_permissions perms;           // perms[0]: owner + everybody else's access
  std::set<std::string> children;  // names
  std::uint64_t gen = 0;          // changes whenever the node or its child list changes
};

// A tree of nodes keyed by canonical absolute path, with per-owner node counts.
class xs_tree {
 public:
  xs_tree();
  [[nodiscard]] const xs_node* find(const std::string& path) const;
  [[nodiscard]] xs_node* find(const std::string& path);
  // Inserts or replaces the node at path (the parent's child list is updated).
  void put(const std::string& path, xs_node n);
  // Erases the node and its subtree.
  void erase(const std::string& path);
  [[nodiscard]] std::size_t size() const noexcept { return nodes_.size(); }
  [[nodiscard]] std::size_t owned_by(domid d) const;
  [[nodiscard]] const std::map<std::string, xs_node>& nodes() const noexcept { return nodes_; }

 private:
  void count(const xs_node& n, int delta);
  std::map<std::string, xs_node> nodes_;
  std::map<domid, std::size_t> owned_;
};

// The daemon's logic: connections with a domain identity, a tree with
// permissions, watches and transactions. receive() takes raw client bytes;
// replies and watch events accumulate in each connection's output.
class xs_store {
 public:
  using conn_id = std::uint32_t;

  explicit xs_store(xs_limits limits = {});

  // A new client acting as domain d (dom0 is privileged). 0 when over the limit.
  conn_id connect(domid d);
  void disconnect(conn_id c);

  // Client bytes. False: the client broke the protocol and must be dropped.
  bool receive(conn_id c, std::span<const std::uint8_t> bytes);
  // One decoded message. False: drop the client.
  bool handle(conn_id c, const xs_header& h, std::span<const std::uint8_t> payload);

  // Queued output for c (replies, events); the caller sends and erases it.
  std::vector<std::uint8_t>* output(conn_id c);
  // True when c overran its output limit and must be dropped.
  [[nodiscard]] bool doomed(conn_id c) const;

  // Direct access for simulations and tests (as dom0, no watches fired unless asked).
  void introduce(domid d);
  [[nodiscard]] bool introduced(domid d) const { return introduced_.count(d) != 0; }
  [[nodiscard]] const xs_tree& tree() const noexcept { return tree_; }
  [[nodiscard]] std::size_t connections() const noexcept { return conns_.size(); }

 private:
  struct watch {
    std::string given;  // as the client wrote it (relative or absolute or @special)
    std::string path;   // canonical absolute (or @special)
    std::string token;
  };
  struct access {
    bool existed = false;
    std::uint64_t gen = 0;
    bool written = false;
  };
  struct change {
    std::string path;
    xs_permissions perms;  // to decide who may see the event
    bool removed = false;
  };
  struct transaction {
    xs_tree tree;
    std::map<std::string, access> accessed;
    std::vector<change> changes;  // fired on commit
  };
  struct connection {
    domid dom = 0;
    xs_frame_reader reader;
    std::vector<std::uint8_t> out;
    std::vector<watch> watches;
    std::map<std::uint32_t, std::unique_ptr<transaction>> transactions;
    bool doomed = false;
  };
  struct request;

  void reply(connection& c, const xs_header& h, xs_type type, std::string_view payload);
  void reply_error(connection& c, const xs_header& h, int err);
  void send_event(connection& c, std::string_view path, std::string_view token);
  void fire(const std::vector<change>& changes);
  void fire_special(std::string_view name);

  int do_read(request& r);
  int do_write(request& r);
  int do_mkdir(request& r);
  int do_rm(request& r);
  int do_directory(request& r, bool part);
  int do_get_perms(request& r);
  int do_set_perms(request& r);
  int do_watch(request& r);
  int do_unwatch(request& r);
  int do_transaction_start(request& r);
  int do_transaction_end(request& r);
  int do_domain_op(request& r);

  // Creates path and missing ancestors in t; 0 or an errno.
  int create(request& r, const std::string& path, std::string_view value, std::vector<change>& changes);
  void touch(request& r, const std::string& path, bool write);

  xs_limits limits_;
  xs_tree tree_;
  std::map<conn_id, connection> conns_;
  std::set<domid> introduced_;
  conn_id next_conn_ = 1;
  std::uint32_t next_tx_ = 1;
  std::uint64_t next_gen_ = 1;
};

}  // namespace aw::xen::sim
