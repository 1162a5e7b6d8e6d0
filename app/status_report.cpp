// app/status_report.cpp — reading and presenting the status dump.
#include "app/status_report.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "protocol/json_string.hpp"
#include "xen/xenbus.hpp"

namespace aw::app {
namespace {

constexpr std::string_view port_prefix = "port.";
constexpr std::string_view client_prefix = "client.";

// A JSON number as RFC 8259 §6 writes it: digits, no leading zero.
bool is_count(std::string_view v) {
  return !v.empty() && v.size() <= 20 && (v[0] != '0' || v.size() == 1) &&
         std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "client.<a.b.c.d>.<rest>": the address and the rest.
std::optional<std::pair<proto::ipv4_address, std::string>> split_client(std::string_view name) {
  if (!name.starts_with(client_prefix)) return std::nullopt;
  name.remove_prefix(client_prefix.size());
  std::size_t at = 0;
  for (int dots = 0; dots < 4; ++dots) {
    at = name.find('.', at);
    if (at == std::string_view::npos) return std::nullopt;
    ++at;
  }
  auto ip = proto::ipv4_address::parse(name.substr(0, at - 1));
  if (!ip) return std::nullopt;
  return std::pair{*ip, std::string{name.substr(at)}};
}

// A port's lines start with port.<name>.rx_batches (a port-level counter no device writes),
// which tells where a port name containing dots (vif3.0) ends.
std::vector<std::string> port_names(const status_report& r) {
  std::vector<std::string> names;
  for (const auto& e : r.entries) {
    std::string_view n = e.name;
    if (n.starts_with(port_prefix) && n.ends_with(".rx_batches") && n.size() > port_prefix.size() + 11)
      names.emplace_back(n.substr(port_prefix.size(), n.size() - port_prefix.size() - 11));
  }
  return names;
}

// The port a line belongs to (the longest name that prefixes it) and the rest of its name.
std::optional<std::pair<std::string, std::string>> split_port(std::string_view name, const std::vector<std::string>& ports) {
  if (!name.starts_with(port_prefix)) return std::nullopt;
  name.remove_prefix(port_prefix.size());
  const std::string* best = nullptr;
  for (const auto& p : ports)
    if (name.size() > p.size() + 1 && name.starts_with(p) && name[p.size()] == '.' && (!best || p.size() > best->size()))
      best = &p;
  if (!best) return std::nullopt;
  return std::pair{*best, std::string{name.substr(best->size() + 1)}};
}

// Everything else: "drop.x" and single words are totals; "<section>.<rest>" a section.
std::pair<std::string, std::string> split_section(std::string_view name) {
  auto dot = name.find('.');
  if (dot == std::string_view::npos) return {"totals", std::string{name}};
  const auto first = name.substr(0, dot);
  if (first == "drop") return {"drops", std::string{name.substr(dot + 1)}};
  // The JSON object's own keys are never a section's: a foreign dump cannot duplicate them.
  if (first == "clients" || first == "ports" || first == "malformed_lines")
    return {"other." + std::string{first}, std::string{name.substr(dot + 1)}};
  return {std::string{first}, std::string{name.substr(dot + 1)}};
}

struct grouped {
  std::vector<std::pair<std::string, std::vector<status_entry>>> sections;  // in first-seen order
  std::map<proto::ipv4_address, std::vector<status_entry>> clients;
  std::vector<std::pair<std::string, std::vector<status_entry>>> ports;

  static std::vector<status_entry>& slot(std::vector<std::pair<std::string, std::vector<status_entry>>>& v,
                                         const std::string& key) {
    for (auto& [k, entries] : v)
      if (k == key) return entries;
    return v.emplace_back(key, std::vector<status_entry>{}).second;
  }
};

grouped group(const status_report& r) {
  grouped g;
  const auto ports = port_names(r);
  for (const auto& p : ports) (void)grouped::slot(g.ports, p);
  for (const auto& e : r.entries) {
    if (auto c = split_client(e.name)) {
      g.clients[c->first].push_back({c->second, e.value});
    } else if (auto p = split_port(e.name, ports)) {
      grouped::slot(g.ports, p->first).push_back({p->second, e.value});
    } else {
      auto [section, rest] = split_section(e.name);
      grouped::slot(g.sections, section).push_back({rest, e.value});
    }
  }
  // What one looks at first: the totals and the NAT table, then the control actors.
  std::stable_sort(g.sections.begin(), g.sections.end(), [](const auto& a, const auto& b) {
    auto rank = [](const std::string& s) { return s == "totals" ? 0 : s == "drops" ? 1 : s == "nat" ? 2 : 3; };
    return rank(a.first) < rank(b.first);
  });
  return g;
}

const std::string* find(const std::vector<status_entry>& v, std::string_view name) {
  for (const auto& e : v)
    if (e.name == name) return &e.value;
  return nullptr;
}

// Traffic and activity: the rest, when not zero, is a drop, an error or an event worth a look.
constexpr std::array ordinary_port_counters = {
    "client", "rx_frames", "rx_batches", "tx_frames", "arp_replied", "arp_requests_on_new_link", "egress_held",
    "link.xenbus_state", "link.connects", "link.tx_packets", "link.tx_bytes", "link.tx_gso_packets",
    "link.rx_packets", "link.rx_bytes", "link.rx_gso", "link.events", "link.spurious_events",
    "link.events_deferred", "link.rx_calls", "link.rx_frames", "link.rx_partial", "link.tx_calls",
    "link.tx_frames", "link.hello"};

bool ordinary(std::string_view name) {
  return std::find(ordinary_port_counters.begin(), ordinary_port_counters.end(), name) != ordinary_port_counters.end();
}

std::string pairs(const std::vector<status_entry>& v, bool nonzero_only, bool (*skip)(std::string_view) = nullptr) {
  std::string out;
  for (const auto& e : v) {
    if (nonzero_only && e.value == "0") continue;
    if (skip && skip(e.name)) continue;
    if (!out.empty()) out += ", ";
    out += e.name + " " + e.value;
  }
  return out;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s + "  ";
}

std::string value_or(const std::vector<status_entry>& v, std::string_view name, std::string fallback = "-") {
  const auto* s = find(v, name);
  return s ? *s : fallback;
}

std::string state_name(const std::vector<status_entry>& v) {
  const auto* s = find(v, "link.xenbus_state");
  if (!s) return "-";
  if (auto st = xen::parse_xenbus_state(*s)) return std::string{xen::to_string(*st)};
  return *s;
}

void json_object(std::string& out, const std::vector<status_entry>& v) {
  out += '{';
  bool first = true;
  for (const auto& e : v) {
    if (!first) out += ", ";
    first = false;
    out += '"' + proto::json_escape(e.name) + "\": ";
    out += is_count(e.value) ? e.value : '"' + proto::json_escape(e.value) + '"';
  }
  out += '}';
}

}  // namespace

status_report parse_status(std::string_view text) {
  status_report r;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty()) continue;
    auto sp = line.find(' ');
    if (sp == 0 || sp == std::string_view::npos || sp + 1 == line.size() ||
        line.find(' ', sp + 1) != std::string_view::npos) {
      ++r.malformed;
      continue;
    }
    r.entries.push_back({std::string{line.substr(0, sp)}, std::string{line.substr(sp + 1)}});
  }
  return r;
}

status_report only_client(const status_report& report, proto::ipv4_address client) {
  const auto ports = port_names(report);
  const auto ip = client.to_string();
  std::vector<std::string> serving;
  for (const auto& e : report.entries)
    if (auto p = split_port(e.name, ports); p && p->second == "client" && e.value == ip) serving.push_back(p->first);
  status_report out;
  out.malformed = report.malformed;
  for (const auto& e : report.entries) {
    auto c = split_client(e.name);
    auto p = split_port(e.name, ports);
    if ((c && c->first == client) || (p && std::find(serving.begin(), serving.end(), p->first) != serving.end()))
      out.entries.push_back(e);
  }
  return out;
}

std::string render_table(const status_report& report) {
  const auto g = group(report);
  std::string out;
  for (const auto& [section, entries] : g.sections)
    out += pad(section, 10) + pairs(entries, section == "drops") + "\n";
  if (!g.clients.empty()) {
    out += "\n" + pad("CLIENT", 15) + pad("FORWARDED", 10) + pad("ICMP SENT", 9) + "DROPS\n";
    for (const auto& [ip, entries] : g.clients) {
      out += pad(ip.to_string(), 15) + pad(value_or(entries, "forwarded", "0"), 10) +
             pad(value_or(entries, "icmp_sent", "0"), 9);
      std::string drops;
      for (const auto& e : entries)
        if (e.name.starts_with("drop.") && e.value != "0")
          drops += (drops.empty() ? "" : ", ") + e.name.substr(5) + " " + e.value;
      out += (drops.empty() ? "-" : drops) + "\n";
    }
  }
  if (!g.ports.empty()) {
    out += "\n" + pad("PORT", 10) + pad("CLIENT", 15) + pad("STATE", 12) + pad("RX FRAMES", 10) +
           pad("TX FRAMES", 10) + "WORTH A LOOK (drops, errors, events)\n";
    for (const auto& [name, entries] : g.ports) {
      const auto notes = pairs(entries, true, ordinary);
      out += pad(name, 10) + pad(value_or(entries, "client"), 15) + pad(state_name(entries), 12) +
             pad(value_or(entries, "rx_frames", "0"), 10) + pad(value_or(entries, "tx_frames", "0"), 10) +
             (notes.empty() ? "-" : notes) + "\n";
    }
  }
  if (report.malformed != 0)
    out += "\n(" + std::to_string(report.malformed) + " lines were not \"name value\": another version's socket?)\n";
  return out;
}

std::string render_json(const status_report& report) {
  const auto g = group(report);
  std::string out = "{";
  bool first = true;
  auto key = [&](const std::string& k) {
    out += first ? "\n  \"" : ",\n  \"";
    first = false;
    out += proto::json_escape(k) + "\": ";
  };
  for (const auto& [section, entries] : g.sections) {
    key(section);
    json_object(out, entries);
  }
  key("clients");
  out += '{';
  bool first_client = true;
  for (const auto& [ip, entries] : g.clients) {
    out += (first_client ? "\"" : ", \"") + ip.to_string() + "\": ";
    first_client = false;
    json_object(out, entries);
  }
  out += '}';
  key("ports");
  out += '{';
  bool first_port = true;
  for (const auto& [name, entries] : g.ports) {
    out += (first_port ? "\"" : ", \"") + proto::json_escape(name) + "\": ";
    first_port = false;
    json_object(out, entries);
  }
  out += "}";
  key("malformed_lines");
  out += std::to_string(report.malformed) + "\n}\n";
  return out;
}

std::string render_raw(const status_report& report) {
  std::string out;
  for (const auto& e : report.entries) out += e.name + " " + e.value + "\n";
  return out;
}

}  // namespace aw::app
