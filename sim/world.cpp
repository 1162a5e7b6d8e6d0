// sim/world.cpp — building, running and reporting the simulated Qubes machine.
#include "sim/world.hpp"

#include <stdlib.h>

#include <cstdio>

#include "sim/platform.hpp"
#include "xen/real/real_xen.hpp"
#include "xen/toolstack.hpp"

namespace aw::sim {
namespace {

using namespace std::chrono_literals;
using proto::ipv4_address;

const ipv4_address fw_ip = ipv4_address::from_octets(10, 137, 0, 6);
const ipv4_address netvm_ip = ipv4_address::from_octets(10, 137, 0, 5);
const ipv4_address dns1 = ipv4_address::from_octets(10, 139, 1, 1), dns2 = ipv4_address::from_octets(10, 139, 1, 2);
const ipv4_address remote = ipv4_address::from_octets(192, 0, 2, 10);
const std::string dns_name = "www.example.test";
const std::string uplink_mac = "00:16:3e:5e:6c:01";

ipv4_address client_ip(std::size_t i) { return ipv4_address{fw_ip.value + 4 + static_cast<std::uint32_t>(i)}; }

proto::mac_address client_mac(std::size_t i) {
  return {{0x00, 0x16, 0x3e, 0x5e, static_cast<std::uint8_t>(0x6c + i / 256), static_cast<std::uint8_t>(i % 256)}};
}

xen::domid client_dom(std::size_t i) { return static_cast<xen::domid>(world::first_client_dom + i); }

// The firewall qube's QubesDB, as dom0 writes it: its network configuration, the connected
// clients, and each client's rules (DNS, ping, TCP 80 and UDP echo allowed; the rest, TCP
// 8080 among it, refused).
qubes::qdb_map firewall_qubesdb(std::size_t clients) {
  qubes::qdb_map keys{{"/qubes-vm-type", "ProxyVM"},
                      {"/qubes-ip", fw_ip.to_string()},
                      {"/qubes-netmask", "255.255.255.255"},
                      {"/qubes-gateway", netvm_ip.to_string()},
                      {"/qubes-primary-dns", dns1.to_string()},
                      {"/qubes-secondary-dns", dns2.to_string()},
                      {"/qubes-mac", uplink_mac},
                      {"/qubes-netvm-gateway", fw_ip.to_string()},
                      {"/qubes-netvm-netmask", "255.255.255.255"},
                      {"/qubes-netvm-primary-dns", dns1.to_string()},
                      {"/qubes-netvm-secondary-dns", dns2.to_string()}};
  std::string connected;
  const char* lines[] = {"action=accept specialtarget=dns", "action=accept proto=icmp",
                         "action=accept proto=tcp dstports=80-80", "action=accept proto=udp dstports=7-7"};
  for (std::size_t i = 0; i < clients; ++i) {
    const std::string dir = "/qubes-firewall/" + client_ip(i).to_string();
    connected += (i ? " " : "") + client_ip(i).to_string();
    keys[dir] = "";
    keys[dir + "/policy"] = "drop";
    for (std::size_t k = 0; k < std::size(lines); ++k) {
      char number[8];
      std::snprintf(number, sizeof number, "%04zu", k);
      keys[dir + "/" + number] = lines[k];
    }
  }
  keys["/connected-ips"] = connected;
  return keys;
}

std::string socket_of(const std::filesystem::path& dir, xen::domid d) { return (dir / ("xs" + std::to_string(d))).string(); }

// A real libxenstore connection acting as domain d (its socket picks the domain).
xen::xen_result<std::unique_ptr<xen::xenstore>> xenstore_as(const std::filesystem::path& dir, xen::domid d) {
  return xen::real::open_xenstore(socket_of(dir, d));
}

}  // namespace

world::world(world_config config) : config_(config) {}

xen::xen_result<std::unique_ptr<world>> world::create(world_config config) {
  if (config.clients == 0 || config.clients > max_clients) return xen::xen_error::invalid_argument;
  std::unique_ptr<world> w{new world(config)};
  if (auto s = w->build(); !s) return s.error();
  return w;
}

xen::status world::build() {
  char tmpl[] = "/tmp/aw-sim-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return xen::from_errno(errno);
  dir_ = tmpl;
  hv_ = xen::sim::hypervisor::create();
  xenstored_ = std::make_unique<xen::sim::xenstored>();
  std::vector<xen::domid> doms{xen::dom0, firewall_dom, netvm_dom};
  for (std::size_t i = 0; i < config_.clients; ++i) doms.push_back(client_dom(i));
  for (auto d : doms) {
    if (auto s = hv_->add_domain(d); !s) return s;
    if (d != netvm_dom)  // the netvm's XenStore connection is dom0's (it may become any domain)
      if (auto s = xenstored_->listen(socket_of(dir_, d), d); !s) return s;
  }
  xenstored_->start();

  auto ts = xenstore_as(dir_, xen::dom0);
  if (!ts) return ts.error();
  toolstack_ = std::move(*ts);
  auto db = qubes::fake_qubesdb::start((dir_ / "qubesdb.sock").string(), firewall_qubesdb(config_.clients));
  if (!db) return xen::xen_error::io_error;
  qubesdb_ = std::move(*db);
  qubesdb_thread_ = std::thread{[db = qubesdb_.get()] { db->run(); }};

  auto own = xenstore_as(dir_, xen::dom0);
  if (!own) return own.error();
  netvm_config nc;
  nc.firewall = firewall_dom;
  nc.self = netvm_dom;
  nc.firewall_mac = *proto::mac_address::parse(uplink_mac);
  nc.net = {.gateway = netvm_ip, .dns_servers = {dns1, dns2}, .names = {{dns_name, remote}}};
  nc.keep_seen = 0;
  auto n = netvm::start(hv_, std::move(*own), *toolstack_, nc);
  if (!n) return n.error();
  netvm_ = std::move(*n);

  // The clients' vifs, attached before the service starts (as when a firewall qube
  // restarts with its clients running): the service finds them at start.
  for (std::size_t i = 0; i < config_.clients; ++i) {
    const xen::vif_spec vif{.backend = firewall_dom, .frontend = client_dom(i), .devid = 0,
                            .mac = client_mac(i).to_string(), .ip = client_ip(i).to_string()};
    if (auto s = xen::attach_vif(*toolstack_, vif); !s) return s;
    auto xs = xenstore_as(dir_, vif.frontend);
    if (!xs) return xs.error();
    const xen::domid d = vif.frontend;
    auto dev = actors::netfront_device::open(std::move(*xs), xen::vif_frontend_path(vif), frontend_handles(hv_, d));
    if (!dev) return dev.error();
    clients_.push_back(std::make_unique<client_qube>(
        client_plan{.ip = client_ip(i), .mac = client_mac(i), .dns_server = dns1, .dns_name = dns_name,
                    .remote = remote},
        std::move(*dev)));
  }
  return xen::done{};
}

world::~world() {
  stop_traffic();
  clients_.clear();
  if (netvm_) netvm_->stop();
  netvm_.reset();
  if (qubesdb_) qubesdb_->stop();
  if (qubesdb_thread_.joinable()) qubesdb_thread_.join();
  qubesdb_.reset();
  toolstack_.reset();
  if (xenstored_) xenstored_->stop();
  xenstored_.reset();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

xen::xen_platform world::platform() const {
  return xen_platform_of(hv_, firewall_dom, socket_of(dir_, firewall_dom));
}

std::string world::qubesdb_socket() const { return (dir_ / "qubesdb.sock").string(); }

std::string world::uplink_frontend_path() const {
  return xen::vif_frontend_path({.backend = netvm_dom, .frontend = firewall_dom, .devid = 0});
}

void world::start_traffic() {
  if (traffic_running_.exchange(true)) return;
  traffic_ = std::thread{[this] { run_traffic(); }};
}

void world::stop_rounds() { rounds_ = false; }

void world::stop_traffic() {
  traffic_running_ = false;
  if (traffic_.joinable()) traffic_.join();
}

void world::run_traffic() {
  auto next_round = std::chrono::steady_clock::now();
  while (traffic_running_) {
    const auto now = std::chrono::steady_clock::now();
    const bool due = rounds_ && now >= next_round;
    if (due) next_round = now + config_.round_interval;
    bool busy = false;
    for (auto& c : clients_) busy |= c->poll(due);
    if (!busy) std::this_thread::sleep_for(1ms);
  }
}

std::string world::report() const {
  std::string out;
  for (const auto& c : clients_) {
    out += "client " + c->plan().ip.to_string() + ":";
    for (std::size_t k = 0; k < probe_count; ++k) {
      const auto p = static_cast<probe>(k);
      const auto& n = c->counts(p);
      out += " " + std::string{to_string(p)} + " " + std::to_string(n.answered) + "/" + std::to_string(n.sent);
      if (n.wrong != 0) out += " (" + std::to_string(n.wrong) + " wrong)";
    }
    if (c->bad_checksums() != 0) out += " bad_checksums " + std::to_string(c->bad_checksums());
    out += "\n";
  }
  out += "netvm: received " + std::to_string(netvm_->received()) + ", bad checksums " +
         std::to_string(netvm_->bad_checksums()) + "\n";
  return out;
}

bool world::all_answered() const {
  for (const auto& c : clients_) {
    if (c->bad_checksums() != 0) return false;
    for (std::size_t k = 0; k < probe_count; ++k) {
      const auto& n = c->counts(static_cast<probe>(k));
      if (n.sent == 0 || n.answered != n.sent || n.wrong != 0) return false;
    }
  }
  return netvm_->bad_checksums() == 0;
}

}  // namespace aw::sim
