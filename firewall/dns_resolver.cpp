// firewall/dns_resolver.cpp — dsthost queries out, checked answers in, one snapshot of them.
#include "firewall/dns_resolver.hpp"

#include <algorithm>

#include "protocol/dns.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/udp.hpp"

namespace aw::firewall {
using namespace aw::proto;

namespace {
constexpr std::uint16_t dns_port = 53;
constexpr std::uint8_t query_ttl = 64;

std::uint64_t seed_of(std::uint64_t configured) {
  if (configured != 0) return configured;
  std::random_device rd;  // ids and ports must not be guessable from outside (RFC 5452)
  return (std::uint64_t{rd()} << 32) ^ rd();
}
}  // namespace

dns_resolver::dns_resolver(dns_resolver_config config)
    : config_(std::move(config)),
      hosts_(config_.hosts),
      snapshot_(std::make_shared<const rules::host_addresses>()),
      random_(seed_of(config_.seed)) {
  std::sort(config_.ports.begin(), config_.ports.end());
  config_.ports.erase(std::unique(config_.ports.begin(), config_.ports.end()), config_.ports.end());
}

void dns_resolver::set_wanted(const std::vector<std::string>& names) {
  hosts_.set_wanted(names);
  std::erase_if(pending_, [&](const auto& q) { return std::find(names.begin(), names.end(), q.second.name) == names.end(); });
  std::erase_if(server_of_, [&](const auto& s) { return std::find(names.begin(), names.end(), s.first) == names.end(); });
  republish();
}

bool dns_resolver::is_query_port(std::uint16_t port) const noexcept {
  return std::binary_search(config_.ports.begin(), config_.ports.end(), port);
}

void dns_resolver::fail(const std::string& name, rules::clock_time now) {
  hosts_.failed(name, now);
  if (!config_.servers.empty()) server_of_[name] = (server_of_[name] + 1) % config_.servers.size();
}

bool dns_resolver::poll(rules::clock_time now, buffer_pool& pool, std::vector<packet>& out) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now - it->second.sent_at < config_.hosts.query_timeout) {
      ++it;
      continue;
    }
    note(resolver_event::timeouts);
    fail(it->second.name, now);
    it = pending_.erase(it);
  }
  for (const auto& name : hosts_.due(now))
    if (!send(name, now, pool, out)) hosts_.failed(name, now);  // retried after retry_after_failure
  return republish();
}

bool dns_resolver::send(const std::string& name, rules::clock_time now, buffer_pool& pool, std::vector<packet>& out) {
  if (config_.servers.empty() || config_.ports.empty()) {
    note(resolver_event::not_sent);
    return false;
  }
  // A fresh (port, id) pair, drawn at random; at most max_names queries wait at once,
  // so a free pair is found quickly.
  std::uint16_t port = 0, id = 0;
  do {
    port = config_.ports[random_() % config_.ports.size()];
    id = static_cast<std::uint16_t>(random_());
  } while (pending_.contains({port, id}));
  auto q = dns::query::make(id, name, dns::record_type::a);
  if (!q) {  // names come from parsed rules, so this does not happen; counted if it does
    note(resolver_event::not_sent);
    return false;
  }
  const std::size_t payload = q->buffer_len();
  const std::size_t total = ipv4_view::min_header_len + udp_view::header_len + payload;
  auto buf = pool.acquire(total);
  if (!buf) {
    note(resolver_event::not_sent);
    return false;
  }
  const ipv4_address server = config_.servers[server_of_[name] % config_.servers.size()];
  mutable_bytes bytes_out = buf->data().first(total);
  mutable_bytes udp = bytes_out.subspan(ipv4_view::min_header_len);
  q->emit(udp.subspan(udp_view::header_len));
  udp_repr{port, dns_port}.emit(udp, config_.source, server);
  ipv4_repr ip;
  ip.src = config_.source;
  ip.dst = server;
  ip.protocol = ip_protocol::udp;
  ip.payload_length = static_cast<std::uint16_t>(udp.size());
  ip.ttl = query_ttl;
  ip.identification = static_cast<std::uint16_t>(random_());
  ip.emit(bytes_out.first(ipv4_view::min_header_len));
  out.push_back(packet{std::move(*buf).freeze(total)});
  pending_.emplace(query_key{port, id}, pending_query{name, server, now, port, id});
  note(resolver_event::queries_sent);
  return true;
}

bool dns_resolver::on_response(const packet& p, rules::clock_time now) {
  std::vector<std::uint8_t> scratch;  // answers are small; a split packet is flattened
  bytes data = p.head();
  if (!p.contiguous()) {
    scratch.resize(p.size());
    p.copy_to(scratch);
    data = scratch;
  }
  auto ip = ipv4_view::make(data, ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::skip);
  if (!ip || ip->protocol() != ip_protocol::udp || ip->is_fragment()) {
    note(resolver_event::malformed);
    return false;
  }
  auto udp = udp_view::make(ip->payload());
  const bytes message = udp ? udp->payload().first(udp->length() - udp_view::header_len) : bytes{};
  if (message.size() < dns::field::header_len) {
    note(resolver_event::malformed);
    return false;
  }
  const auto id = load16(message.data() + dns::field::id);
  auto it = pending_.find({udp->dst_port(), id});
  // Only the server asked, from port 53, may answer (RFC 5452 section 9.1).
  if (it == pending_.end() || ip->src() != it->second.server || udp->src_port() != dns_port) {
    note(resolver_event::unexpected);
    return false;
  }
  const pending_query& asked = it->second;
  auto question = dns::query::make(id, asked.name, dns::record_type::a);
  auto r = question ? dns::parse_response(message, *question) : result<dns::response, dns::dns_error>{question.error()};
  if (!r) {
    // Not the answer to what was asked: the query keeps waiting for the real one.
    note(resolver_event::malformed);
    return false;
  }
  const std::string name = asked.name;
  pending_.erase(it);
  if (r->hdr.tc) note(resolver_event::truncated);
  auto addresses = r->ipv4_addresses();
  if (r->code() == dns::rcode::name_error) {
    note(resolver_event::name_errors);
    fail(name, now);
  } else if (r->code() != dns::rcode::no_error) {
    note(resolver_event::server_failures);
    fail(name, now);
  } else if (addresses.empty()) {
    note(resolver_event::no_address);
    fail(name, now);
  } else {
    note(resolver_event::answers);
    hosts_.resolved(name, std::move(addresses), std::chrono::seconds{r->min_ttl().value_or(0)}, now);
  }
  return republish();
}

bool dns_resolver::republish() {
  auto next = hosts_.addresses();
  if (next == *snapshot_) return false;
  snapshot_ = std::make_shared<const rules::host_addresses>(std::move(next));
  return true;
}

}  // namespace aw::firewall
