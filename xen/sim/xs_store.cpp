// xen/sim/xs_store.cpp — XenStore request semantics: paths, permissions, watches, transactions.
#include "xen/sim/xs_store.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>

namespace aw::xen::sim {

namespace {

constexpr unsigned perm_read = 1;
constexpr unsigned perm_write = 2;
constexpr unsigned perm_owner = 4;

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == 0 || slash == std::string::npos) return "/";
  return path.substr(0, slash);
}

std::string name_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

std::string home_of(domid d) { return "/local/domain/" + std::to_string(d); }

bool valid_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
         ch == '/' || ch == '_' || ch == '@';
}

// Xen's is_valid_nodename + canonicalisation: relative paths live under the
// caller's home; '@' names only where allowed (watches).
std::optional<std::string> canonical(domid d, std::string_view p, bool allow_special) {
  if (p.empty()) return std::nullopt;
  if (p[0] == '@') {
    if (!allow_special || p.size() > xs_rel_path_max) return std::nullopt;
    if (!std::all_of(p.begin(), p.end(), [](char ch) { return valid_char(ch) && ch != '/'; })) return std::nullopt;
    return std::string{p};
  }
  std::string abs;
  if (p[0] == '/') {
    abs = std::string{p};
  } else {
    if (p.size() > xs_rel_path_max) return std::nullopt;
    abs = home_of(d) + "/" + std::string{p};
  }
  if (abs.size() > xs_abs_path_max) return std::nullopt;
  if (!std::all_of(abs.begin(), abs.end(), valid_char)) return std::nullopt;
  if (abs.find("//") != std::string::npos) return std::nullopt;
  if (abs.size() > 1 && abs.back() == '/') return std::nullopt;
  return abs;
}

unsigned perm_for(domid d, const xs_permissions& perms) {
  if (d == dom0 || perms.empty() || perms[0].domain == d) return perm_read | perm_write | perm_owner;
  for (std::size_t i = 1; i < perms.size(); ++i) {
    if (perms[i].domain == d) return static_cast<unsigned>(perms[i].access);
  }
  return static_cast<unsigned>(perms[0].access);
}

// The NUL-terminated strings of a payload; nullopt unless it ends with NUL.
std::optional<std::vector<std::string_view>> strings_of(std::span<const std::uint8_t> payload) {
  if (payload.empty() || payload.back() != 0) return std::nullopt;
  std::vector<std::string_view> out;
  std::string_view all{reinterpret_cast<const char*>(payload.data()), payload.size() - 1};
  std::size_t start = 0;
  for (;;) {
    auto nul = all.find('\0', start);
    if (nul == std::string_view::npos) {
      out.push_back(all.substr(start));
      break;
    }
    out.push_back(all.substr(start, nul - start));
    start = nul + 1;
  }
  return out;
}

std::optional<std::uint32_t> parse_uint(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string nul_joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    out += s;
    out.push_back('\0');
  }
  return out;
}

}  // namespace

// --- tree -------------------------------------------------------------------

xs_tree::xs_tree() {
  xs_node root;
  root.perms = {xs_permission{dom0, xs_access::none}};
  nodes_.emplace("/", root);
  count(root, 1);
}

const xs_node* xs_tree::find(const std::string& path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

xs_node* xs_tree::find(const std::string& path) {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

void xs_tree::count(const xs_node& n, int delta) {
  domid owner = n.perms.empty() ? dom0 : n.perms[0].domain;
  auto& c = owned_[owner];
  c = delta > 0 ? c + 1 : c - 1;
  if (c == 0) owned_.erase(owner);
}

std::size_t xs_tree::owned_by(domid d) const {
  auto it = owned_.find(d);
  return it == owned_.end() ? 0 : it->second;
}

void xs_tree::put(const std::string& path, xs_node n) {
  auto it = nodes_.find(path);
  if (it != nodes_.end()) {
    count(it->second, -1);
    count(n, 1);
    it->second = std::move(n);
    return;
  }
  if (path != "/") {
    if (xs_node* parent = find(parent_of(path))) parent->children.insert(name_of(path));
  }
  count(n, 1);
  nodes_.emplace(path, std::move(n));
}

void xs_tree::erase(const std::string& path) {
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return;
  std::vector<std::string> kids(it->second.children.begin(), it->second.children.end());
  for (const auto& k : kids) erase(join(path, k));
  it = nodes_.find(path);
  count(it->second, -1);
  nodes_.erase(it);
  if (path != "/") {
    if (xs_node* parent = find(parent_of(path))) parent->children.erase(name_of(path));
  }
}

// --- dispatcher ---------------------------------------------------------------

struct xs_store::request {
  connection& c;
  const xs_header& h;
  std::span<const std::uint8_t> payload;
  xs_tree& tree;
  transaction* tx;
  std::vector<change> changes;
  std::string out;
};

xs_store::xs_store(xs_limits limits) : limits_(limits) {
  // The usual skeleton: /local/domain readable by nobody but dom0; each
  // introduced domain gets a home it owns.
  xs_node n;
  n.perms = {xs_permission{dom0, xs_access::none}};
  n.gen = next_gen_++;
  tree_.put("/local", n);
  n.gen = next_gen_++;
  tree_.put("/local/domain", n);
  introduced_.insert(dom0);
}

void xs_store::introduce(domid d) {
  introduced_.insert(d);
  // /local/domain may have been removed by dom0: recreate what is missing.
  for (const std::string& p : {std::string("/local"), std::string("/local/domain"), home_of(d)}) {
    if (tree_.find(p) != nullptr) continue;
    xs_node n;
    n.perms = {xs_permission{p == home_of(d) ? d : dom0, xs_access::none}};
    n.gen = next_gen_++;
    if (xs_node* parent = tree_.find(parent_of(p))) parent->gen = next_gen_++;
    tree_.put(p, n);
  }
}

xs_store::conn_id xs_store::connect(domid d) {
  if (conns_.size() >= limits_.max_connections) return 0;
  conn_id id = next_conn_++;
  if (next_conn_ == 0) next_conn_ = 1;
  conns_[id].dom = d;
  return id;
}

void xs_store::disconnect(conn_id c) { conns_.erase(c); }

std::vector<std::uint8_t>* xs_store::output(conn_id c) {
  auto it = conns_.find(c);
  return it == conns_.end() ? nullptr : &it->second.out;
}

bool xs_store::doomed(conn_id c) const {
  auto it = conns_.find(c);
  return it == conns_.end() || it->second.doomed;
}

bool xs_store::receive(conn_id id, std::span<const std::uint8_t> bytes) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return false;
  it->second.reader.feed(bytes);
  xs_frame_reader::frame f;
  for (;;) {
    it = conns_.find(id);
    if (it == conns_.end() || it->second.doomed) return false;
    switch (it->second.reader.next(f)) {
      case xs_frame_reader::state::need_more: return true;
      case xs_frame_reader::state::violation: return false;
      case xs_frame_reader::state::ready:
        if (!handle(id, f.header, f.payload)) return false;
        break;
    }
  }
}

void xs_store::reply(connection& c, const xs_header& h, xs_type type, std::string_view payload) {
  if (c.out.size() + xs_header_size + payload.size() > limits_.max_output_bytes) {
    c.doomed = true;
    return;
  }
  append_message(c.out, type, h.req_id, h.tx_id, payload);
}

void xs_store::reply_error(connection& c, const xs_header& h, int err) {
  std::string name{errno_name(err)};
  name.push_back('\0');
  reply(c, h, xs_type::error, name);
}

void xs_store::send_event(connection& c, std::string_view path, std::string_view token) {
  std::string payload;
  payload.reserve(path.size() + token.size() + 2);
  payload.append(path).push_back('\0');
  payload.append(token).push_back('\0');
  reply(c, xs_header{}, xs_type::watch_event, payload);
}

void xs_store::fire(const std::vector<change>& changes) {
  for (const auto& ch : changes) {
    for (auto& [id, c] : conns_) {
      if (!(perm_for(c.dom, ch.perms) & perm_read)) continue;
      std::string home = home_of(c.dom) + "/";
      for (const auto& w : c.watches) {
        if (w.path.empty() || w.path[0] == '@') continue;
        std::string event;
        bool at_or_below = ch.path == w.path || w.path == "/" ||
                           (ch.path.size() > w.path.size() && ch.path.compare(0, w.path.size(), w.path) == 0 &&
                            ch.path[w.path.size()] == '/');
        bool above = ch.removed && w.path.size() > ch.path.size() &&
                     w.path.compare(0, ch.path.size(), ch.path) == 0 &&
                     (ch.path == "/" || w.path[ch.path.size()] == '/');
        if (at_or_below) {
          event = ch.path;
        } else if (above) {
          event = w.path;
        } else {
          continue;
        }
        if (!w.given.empty() && w.given[0] != '/' && event.compare(0, home.size(), home) == 0) {
          event = event.substr(home.size());
        }
        send_event(c, event, w.token);
      }
    }
  }
}

void xs_store::fire_special(std::string_view name) {
  for (auto& [id, c] : conns_) {
    for (const auto& w : c.watches) {
      if (w.path == name) send_event(c, w.path, w.token);
    }
  }
}

bool xs_store::handle(conn_id id, const xs_header& h, std::span<const std::uint8_t> payload) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return false;
  connection& c = it->second;
  if (h.len != payload.size() || payload.size() > xs_payload_max) return false;

  transaction* tx = nullptr;
  auto type = static_cast<xs_type>(h.type);
  bool tx_aware = type == xs_type::read || type == xs_type::write || type == xs_type::mkdir ||
                  type == xs_type::rm || type == xs_type::directory || type == xs_type::directory_part ||
                  type == xs_type::get_perms || type == xs_type::set_perms;
  if (h.tx_id != 0 && (tx_aware || type == xs_type::transaction_end)) {
    auto t = c.transactions.find(h.tx_id);
    if (t == c.transactions.end()) {
      reply_error(c, h, ENOENT);
      return !c.doomed;
    }
    tx = t->second.get();
  }
  request r{c, h, payload, tx != nullptr ? tx->tree : tree_, tx, {}, {}};

  int err = 0;
  xs_type reply_type = type;
  switch (type) {
    case xs_type::read: err = do_read(r); break;
    case xs_type::write: err = do_write(r); break;
    case xs_type::mkdir: err = do_mkdir(r); break;
    case xs_type::rm: err = do_rm(r); break;
    case xs_type::directory: err = do_directory(r, false); break;
    case xs_type::directory_part: err = do_directory(r, true); break;
    case xs_type::get_perms: err = do_get_perms(r); break;
    case xs_type::set_perms: err = do_set_perms(r); break;
    case xs_type::watch: err = do_watch(r); break;
    case xs_type::unwatch: err = do_unwatch(r); break;
    case xs_type::transaction_start: err = do_transaction_start(r); break;
    case xs_type::transaction_end: err = do_transaction_end(r); break;
    case xs_type::introduce:
    case xs_type::release:
    case xs_type::get_domain_path:
    case xs_type::is_domain_introduced:
    case xs_type::resume:
    case xs_type::set_target: err = do_domain_op(r); break;
    case xs_type::reset_watches:
      if (c.dom != dom0) {
        err = EACCES;
      } else {
        c.watches.clear();
        c.transactions.clear();
        r.out = std::string("OK\0", 3);
      }
      break;
    default: err = EINVAL; break;  // control, watch_event, error, unknown: not requests
  }
  if (err != 0) {
    reply_error(c, h, err);
    return !c.doomed;
  }
  reply(c, h, reply_type, r.out);
  if (type == xs_type::watch) {
    // A watch fires once when set (after its reply).
    const watch& w = c.watches.back();
    send_event(c, w.given, w.token);
  }
  if (tx != nullptr && type != xs_type::transaction_end) {
    tx->changes.insert(tx->changes.end(), r.changes.begin(), r.changes.end());
  } else {
    fire(r.changes);
  }
  return !c.doomed;
}

void xs_store::touch(request& r, const std::string& path, bool write) {
  if (r.tx == nullptr) return;
  auto [it, fresh] = r.tx->accessed.try_emplace(path);
  if (fresh) {
    const xs_node* n = r.tx->tree.find(path);
    it->second.existed = n != nullptr;
    it->second.gen = n != nullptr ? n->gen : 0;
  }
  if (write) it->second.written = true;
}

int xs_store::do_read(request& r) {
  auto args = strings_of(r.payload);
  if (!args || args->size() != 1) return EINVAL;
  auto path = canonical(r.c.dom, (*args)[0], false);
  if (!path) return EINVAL;
  touch(r, *path, false);
  const xs_node* n = r.tree.find(*path);
  if (n == nullptr) return ENOENT;
  if (!(perm_for(r.c.dom, n->perms) & perm_read)) return EACCES;
  r.out = n->value;
  return 0;
}

int xs_store::create(request& r, const std::string& path, std::string_view value, std::vector<change>& changes) {
  // Nearest existing ancestor: the caller needs write access there.
  std::vector<std::string> missing{path};
  std::string up = parent_of(path);
  touch(r, up, false);
  while (r.tree.find(up) == nullptr) {
    missing.push_back(up);
    up = parent_of(up);
    touch(r, up, false);
  }
  const xs_node* anchor = r.tree.find(up);
  if (!(perm_for(r.c.dom, anchor->perms) & perm_write)) return EACCES;
  if (r.tree.size() + missing.size() > limits_.max_nodes) return ENOSPC;
  if (r.c.dom != dom0 && r.tree.owned_by(r.c.dom) + missing.size() > limits_.max_nodes_per_domain) return ENOSPC;
  xs_permissions perms = anchor->perms;
  if (r.c.dom != dom0) perms[0].domain = r.c.dom;  // unprivileged domains own what they create
  touch(r, up, true);
  r.tree.find(up)->gen = next_gen_++;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    touch(r, *it, true);
    xs_node n;
    n.perms = perms;
    n.gen = next_gen_++;
    if (*it == path) n.value = std::string{value};
    r.tree.put(*it, std::move(n));
    changes.push_back({*it, perms, false});
  }
  return 0;
}

int xs_store::do_write(request& r) {
  std::string_view all{reinterpret_cast<const char*>(r.payload.data()), r.payload.size()};
  auto nul = all.find('\0');
  if (nul == std::string_view::npos) return EINVAL;
  auto path = canonical(r.c.dom, all.substr(0, nul), false);
  if (!path) return EINVAL;
  std::string_view value = all.substr(nul + 1);
  touch(r, *path, false);
  if (xs_node* n = r.tree.find(*path)) {
    if (!(perm_for(r.c.dom, n->perms) & perm_write)) return EACCES;
    touch(r, *path, true);
    n->value = std::string{value};
    n->gen = next_gen_++;
    r.changes.push_back({*path, n->perms, false});
  } else if (int err = create(r, *path, value, r.changes); err != 0) {
    return err;
  }
  r.out = std::string("OK\0", 3);
  return 0;
}

int xs_store::do_mkdir(request& r) {
  auto args = strings_of(r.payload);
  if (!args || args->size() != 1) return EINVAL;
  auto path = canonical(r.c.dom, (*args)[0], false);
  if (!path) return EINVAL;
  touch(r, *path, false);
  if (const xs_node* n = r.tree.find(*path)) {
    if (!(perm_for(r.c.dom, n->perms) & perm_write)) return EACCES;
  } else if (int err = create(r, *path, {}, r.changes); err != 0) {
    return err;
  }
  r.out = std::string("OK\0", 3);
  return 0;
}

int xs_store::do_rm(request& r) {
  auto args = strings_of(r.payload);
  if (!args || args->size() != 1) return EINVAL;
  auto path = canonical(r.c.dom, (*args)[0], false);
  if (!path || *path == "/") return EINVAL;
  touch(r, *path, false);
  const xs_node* n = r.tree.find(*path);
  if (n == nullptr) {
    // Already gone is fine, as long as the parent exists.
    std::string parent = parent_of(*path);
    touch(r, parent, false);
    if (r.tree.find(parent) == nullptr) return ENOENT;
    r.out = std::string("OK\0", 3);
    return 0;
  }
  if (!(perm_for(r.c.dom, n->perms) & perm_write)) return EACCES;
  change ch{*path, n->perms, true};
  if (r.tx != nullptr) {
    // Every removed node is part of what the commit must check and apply.
    std::vector<std::string> stack{*path};
    while (!stack.empty()) {
      std::string p = std::move(stack.back());
      stack.pop_back();
      touch(r, p, true);
      if (const xs_node* k = r.tree.find(p)) {
        for (const auto& name : k->children) stack.push_back(join(p, name));
      }
    }
  }
  std::string parent = parent_of(*path);
  touch(r, parent, true);
  r.tree.erase(*path);
  if (xs_node* pn = r.tree.find(parent)) pn->gen = next_gen_++;
  r.changes.push_back(std::move(ch));
  r.out = std::string("OK\0", 3);
  return 0;
}

int xs_store::do_directory(request& r, bool part) {
  auto args = strings_of(r.payload);
  if (!args || args->size() != (part ? 2u : 1u)) return EINVAL;
  auto path = canonical(r.c.dom, (*args)[0], false);
  if (!path) return EINVAL;
  touch(r, *path, false);
  const xs_node* n = r.tree.find(*path);
  if (n == nullptr) return ENOENT;
  if (!(perm_for(r.c.dom, n->perms) & perm_read)) return EACCES;
  std::string all = nul_joined({n->children.begin(), n->children.end()});
  if (!part) {
    if (all.size() > xs_payload_max) return E2BIG;
    r.out = std::move(all);
    return 0;
  }
  // DIRECTORY_PART: "<gen>\0" then whole names from byte offset, then "\0".
  auto offset = parse_uint((*args)[1]);
  if (!offset || *offset > all.size()) return EINVAL;
  std::string gen = std::to_string(n->gen);
  gen.push_back('\0');
  std::size_t end = *offset;
  while (end < all.size()) {
    std::size_t next = all.find('\0', end) + 1;
    if (gen.size() + (next - *offset) + 1 > xs_payload_max) break;
    end = next;
  }
  // The last part carries an extra NUL: libxenstore stops at a double NUL.
  r.out = gen + all.substr(*offset, end - *offset);
  if (end == all.size()) r.out.push_back('\0');
  return 0;
}

int xs_store::do_get_perms(request& r) {
  auto args = strings_of(r.payload);
  if (!args || args->size() != 1) return EINVAL;
  auto path = canonical(r.c.dom, (*args)[0], false);
  if (!path) return EINVAL;
  touch(r, *path, false);
  const xs_node* n = r.tree.find(*path);
  if (n == nullptr) return ENOENT;
  if (!(perm_for(r.c.dom, n->perms) & perm_read)) return EACCES;
  std::vector<std::string> items;
  for (const auto& p : n->perms) items.push_back(format_permission(p));
  r.out = nul_joined(items);
  return 0;
}

int xs_store::do_set_perms(request& r) {
  auto args = strings_of(r.payload);
  if (!args || args->size() < 2 || args->size() - 1 > limits_.max_permissions) return EINVAL;
  auto path = canonical(r.c.dom, (*args)[0], false);
  if (!path) return EINVAL;
  xs_permissions perms;
  for (std::size_t i = 1; i < args->size(); ++i) {
    auto p = parse_permission((*args)[i]);
    if (!p) return EINVAL;
    perms.push_back(*p);
  }
  touch(r, *path, false);
  xs_node* n = r.tree.find(*path);
  if (n == nullptr) return ENOENT;
  if (!(perm_for(r.c.dom, n->perms) & perm_owner)) return EACCES;
  // Unprivileged domains may not give their nodes away.
  if (r.c.dom != dom0 && perms[0].domain != n->perms[0].domain) return EPERM;
  if (perms[0].domain != n->perms[0].domain && perms[0].domain != dom0 &&
      r.tree.owned_by(perms[0].domain) + 1 > limits_.max_nodes_per_domain) {
    return ENOSPC;
  }
  touch(r, *path, true);
  xs_node copy = *n;
  copy.perms = perms;
  copy.gen = next_gen_++;
  r.tree.put(*path, std::move(copy));
  r.changes.push_back({*path, perms, false});
  r.out = std::string("OK\0", 3);
  return 0;
}

int xs_store::do_watch(request& r) {
  auto args = strings_of(r.payload);
  // Xen accepts (and ignores) extra arguments after the token.
  if (!args || args->size() < 2) return EINVAL;
  auto path = canonical(r.c.dom, (*args)[0], true);
  if (!path) return EINVAL;
  std::string_view token = (*args)[1];
  for (const auto& w : r.c.watches) {
    if (w.path == *path && w.token == token) return EEXIST;
  }
  if (r.c.watches.size() >= limits_.max_watches_per_connection) return E2BIG;
  r.c.watches.push_back({std::string{(*args)[0]}, *path, std::string{token}});
  r.out = std::string("OK\0", 3);
  return 0;
}

int xs_store::do_unwatch(request& r) {
  auto args = strings_of(r.payload);
  if (!args || args->size() != 2) return EINVAL;
  auto path = canonical(r.c.dom, (*args)[0], true);
  if (!path) return EINVAL;
  auto it = std::find_if(r.c.watches.begin(), r.c.watches.end(),
                         [&](const watch& w) { return w.path == *path && w.token == (*args)[1]; });
  if (it == r.c.watches.end()) return ENOENT;
  r.c.watches.erase(it);
  r.out = std::string("OK\0", 3);
  return 0;
}

int xs_store::do_transaction_start(request& r) {
  if (r.h.tx_id != 0) return EBUSY;  // no nesting
  if (r.c.transactions.size() >= limits_.max_transactions_per_connection) return ENOSPC;
  std::uint32_t id = next_tx_++;
  if (next_tx_ == 0) next_tx_ = 1;
  auto t = std::make_unique<transaction>();
  t->tree = tree_;
  r.c.transactions.emplace(id, std::move(t));
  r.out = std::to_string(id);
  r.out.push_back('\0');
  return 0;
}

int xs_store::do_transaction_end(request& r) {
  auto args = strings_of(r.payload);
  if (r.tx == nullptr) return ENOENT;
  if (!args || args->size() != 1 || ((*args)[0] != "T" && (*args)[0] != "F")) return EINVAL;
  std::unique_ptr<transaction> t = std::move(r.c.transactions[r.h.tx_id]);
  r.c.transactions.erase(r.h.tx_id);
  r.tx = nullptr;
  if ((*args)[0] == "F") {
    r.out = std::string("OK\0", 3);
    return 0;
  }
  for (const auto& [path, a] : t->accessed) {
    const xs_node* now = tree_.find(path);
    if (a.existed != (now != nullptr) || (now != nullptr && now->gen != a.gen)) return EAGAIN;
  }
  // The store may have grown since the transaction began: its limit holds at commit too.
  std::ptrdiff_t growth = 0;
  for (const auto& [path, a] : t->accessed) {
    if (!a.written) continue;
    bool mine = t->tree.find(path) != nullptr, theirs = tree_.find(path) != nullptr;
    growth += static_cast<std::ptrdiff_t>(mine) - static_cast<std::ptrdiff_t>(theirs);
  }
  if (growth > 0 && tree_.size() + static_cast<std::size_t>(growth) > limits_.max_nodes) return ENOSPC;
  for (const auto& [path, a] : t->accessed) {
    if (!a.written) continue;
    const xs_node* mine = t->tree.find(path);
    if (mine == nullptr) {
      tree_.erase(path);
    } else {
      xs_node n = *mine;
      n.gen = next_gen_++;
      tree_.put(path, std::move(n));
    }
  }
  r.changes = std::move(t->changes);
  r.out = std::string("OK\0", 3);
  return 0;
}

int xs_store::do_domain_op(request& r) {
  auto args = strings_of(r.payload);
  if (!args || args->empty()) return EINVAL;
  auto d = parse_uint((*args)[0]);
  if (!d || *d > 0x7fefu) return EINVAL;  // DOMID_FIRST_RESERVED
  auto dom = static_cast<domid>(*d);
  auto type = static_cast<xs_type>(r.h.type);
  if (type == xs_type::get_domain_path) {
    if (args->size() != 1) return EINVAL;
    r.out = home_of(dom);
    r.out.push_back('\0');
    return 0;
  }
  if (r.c.dom != dom0) return EACCES;
  switch (type) {
    case xs_type::is_domain_introduced:
      r.out = introduced(dom) ? std::string("T\0", 2) : std::string("F\0", 2);
      return 0;
    case xs_type::introduce:
      if (args->size() != 3 || !parse_uint((*args)[2])) return EINVAL;
      if (!introduced(dom)) {
        introduce(dom);
        fire_special("@introduceDomain");
      }
      break;
    case xs_type::release:
      if (args->size() != 1) return EINVAL;
      if (dom == dom0 || !introduced(dom)) return ENOENT;
      introduced_.erase(dom);
      fire_special("@releaseDomain");
      break;
    case xs_type::resume:
      if (!introduced(dom)) return ENOENT;
      break;
    default: return ENOSYS;  // set_target
  }
  r.out = std::string("OK\0", 3);
  return 0;
}

}  // namespace aw::xen::sim
