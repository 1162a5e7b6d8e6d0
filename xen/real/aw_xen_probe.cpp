// xen/real/aw_xen_probe.cpp — aw-xen-probe: checks the real libxen wrappers (real_xen.hpp)
// on a real hypervisor, from dom0 (tests/qubes-topology runs it inside Xen in QEMU).
//
// Usage: aw-xen-probe [--pages N] [xenstore] [evtchn] [grants]   (no group = all)
//        aw-xen-probe frontend DOMID   (the backend's view of DOMID's connected netfront)
// Prints one line per check:  RESULT probe-<name> PASS|FAIL <detail>
// and INFO probe-<name> <detail> for what is observed but not required.
// Exit status: 0 iff every check passed.
#include <poll.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "xen/real/real_xen.hpp"

namespace {

using namespace aw::xen;

int failures = 0;

void result_line(std::string_view name, bool pass, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
void result_line(std::string_view name, bool pass, const char* fmt, ...) {
  char detail[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  std::printf("RESULT probe-%.*s %s %s\n", static_cast<int>(name.size()), name.data(), pass ? "PASS" : "FAIL", detail);
  std::fflush(stdout);
  if (!pass) ++failures;
}

// What is observed rather than required: a line for the log, not a check.
void info(std::string_view name, const std::string& detail) {
  std::printf("INFO probe-%.*s %s\n", static_cast<int>(name.size()), name.data(), detail.c_str());
  std::fflush(stdout);
}

std::string err(xen_error e) { return std::string(to_string(e)); }
template <class T>
std::string err_of(const xen_result<T>& r) {
  return r ? std::string("ok") : err(r.error());
}

// Waits up to timeout_ms for fd to become readable.
bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

// ---------------------------------------------------------------- xenstore
void probe_xenstore() {
  auto opened = real::open_xenstore();
  result_line("xs-open", opened.has_value(), "open_xenstore: %s", err_of(opened).c_str());
  if (!opened) return;
  xenstore& xs = **opened;
  const std::string base = "/local/domain/0/aw-probe";
  (void)xs.rm(base);

  auto w = xs.write(base + "/a", "hello");
  auto r = xs.read(base + "/a");
  result_line("xs-write-read", w && r && *r == "hello", "write: %s, read: %s '%s'", err_of(w).c_str(),
              err_of(r).c_str(), r ? r->c_str() : "");

  (void)xs.write(base + "/b", "2");
  auto mk = xs.mkdir(base + "/c");
  auto dir = xs.directory(base);
  std::string names;
  if (dir) {
    std::sort(dir->begin(), dir->end());
    for (const auto& n : *dir) names += n + ",";
  }
  result_line("xs-directory", mk && dir && names == "a,b,c,", "mkdir: %s, directory: %s [%s]", err_of(mk).c_str(),
              err_of(dir).c_str(), names.c_str());

  auto dp = xs.get_domain_path(dom0);
  result_line("xs-domain-path", dp && *dp == "/local/domain/0", "get_domain_path(0): %s '%s'", err_of(dp).c_str(),
              dp ? dp->c_str() : "");

  // Permissions: owner dom0, everyone else read.
  auto sp = xs.set_permissions(base + "/a", {{dom0, xs_access::read}});
  auto gp = xs.get_permissions(base + "/a");
  bool perms_ok = sp && gp && gp->size() == 1 && (*gp)[0] == xs_permission{dom0, xs_access::read};
  result_line("xs-permissions", perms_ok, "set: %s, get: %s %s", err_of(sp).c_str(), err_of(gp).c_str(),
              gp && !gp->empty() ? format_permission((*gp)[0]).c_str() : "-");

  // Watch: fires once when set, then on a change below the path; the fd turns readable.
  const std::string wpath = base + "/w";
  auto ws = xs.watch(wpath, "tok");
  bool first_fd = ws && readable(xs.watch_fd(), 2000);
  auto ev1 = xs.read_watch_events();
  bool first_ok = first_fd && ev1 && !ev1->empty() && (*ev1)[0].path == wpath && (*ev1)[0].token == "tok";
  auto ev_none = xs.read_watch_events();
  bool drained = ev_none && ev_none->empty() && !readable(xs.watch_fd(), 0);
  (void)xs.write(wpath + "/x", "1");
  bool second_fd = readable(xs.watch_fd(), 2000);
  auto ev2 = xs.read_watch_events();
  bool second_ok = second_fd && ev2 && !ev2->empty() && (*ev2)[0].path == wpath + "/x";
  auto uw = xs.unwatch(wpath, "tok");
  result_line("xs-watch", first_ok && drained && second_ok && uw,
              "watch: %s, initial event (fd readable=%d, %zu events), drained=%d, change event (fd readable=%d, "
              "path %s), unwatch: %s",
              err_of(ws).c_str(), first_fd, ev1 ? ev1->size() : 0, drained, second_fd,
              ev2 && !ev2->empty() ? (*ev2)[0].path.c_str() : "-", err_of(uw).c_str());

  // Transactions: isolation until commit, abort drops, a conflict gives `again`.
  bool tx_ok = true;
  std::string tx_detail;
  auto t = xs.transaction_start();
  if (!t) {
    tx_ok = false;
    tx_detail = "start: " + err(t.error());
  } else {
    (void)xs.write(base + "/t", "in-tx", *t);
    auto outside = xs.read(base + "/t");
    auto inside = xs.read(base + "/t", *t);
    auto end = xs.transaction_end(*t, true);
    auto after = xs.read(base + "/t");
    bool iso = !outside && inside && *inside == "in-tx" && end && after && *after == "in-tx";
    tx_ok = tx_ok && iso;
    tx_detail += "isolated+commit=" + std::to_string(iso);
  }
  if (auto t2 = xs.transaction_start()) {
    (void)xs.write(base + "/t2", "x", *t2);
    auto end = xs.transaction_end(*t2, false);
    auto after = xs.read(base + "/t2");
    bool aborted = end && !after && after.error() == xen_error::not_found;
    tx_ok = tx_ok && aborted;
    tx_detail += " abort=" + std::to_string(aborted);
  }
  if (auto t3 = xs.transaction_start()) {
    (void)xs.read(base + "/t", *t3);
    (void)xs.write(base + "/t", "outside");  // conflicts with t3
    (void)xs.write(base + "/t", "in-t3", *t3);
    auto end = xs.transaction_end(*t3, true);
    auto after = xs.read(base + "/t");
    bool conflict = !end && end.error() == xen_error::again && after && *after == "outside";
    tx_ok = tx_ok && conflict;
    tx_detail += " conflict=" + std::string(end ? "committed" : err(end.error()));
  }
  int attempts = 0;
  auto wt = with_transaction(xs, [&](xs_transaction tt) -> status {
    ++attempts;
    return xs.write(base + "/t4", "ok", tt);
  });
  tx_ok = tx_ok && wt && attempts == 1;
  tx_detail += " with_transaction=" + err_of(wt);
  result_line("xs-transaction", tx_ok, "%s", tx_detail.c_str());

  auto rm = xs.rm(base);
  auto gone = xs.read(base + "/a");
  auto rm_missing = xs.rm(base + "/never");  // its parent is gone too: reported, not required
  auto rm_missing2 = xs.rm("/local/domain/0/aw-probe-never");  // parent exists: success
  result_line("xs-rm", rm && !gone && gone.error() == xen_error::not_found && rm_missing2,
              "rm tree: %s, read after: %s, rm missing (parent exists): %s, rm missing (parent missing): %s",
              err_of(rm).c_str(), err_of(gone).c_str(), err_of(rm_missing2).c_str(), err_of(rm_missing).c_str());
}

// ---------------------------------------------------------------- event channels
// dom0 talks to itself: an unbound port offered to dom0, bound by dom0 (a loopback channel).
void probe_evtchn() {
  auto opened = real::open_event_channels();
  result_line("evtchn-open", opened.has_value(), "open_event_channels: %s", err_of(opened).c_str());
  if (!opened) return;
  event_channels& ev = **opened;
  const int fd = ev.fd();

  auto a = ev.bind_unbound_port(dom0);
  if (!a) {
    result_line("evtchn-bind", false, "bind_unbound_port(0): %s", err(a.error()).c_str());
    return;
  }
  auto b = ev.bind_interdomain(dom0, *a);
  result_line("evtchn-bind", b.has_value(), "bind_unbound_port(0)=%u, bind_interdomain(0,%u): %s %u", *a, *a,
              err_of(b).c_str(), b ? *b : 0u);
  if (!b) {
    (void)ev.unbind(*a);
    return;
  }
  // Xen raises the newly bound port at once (evtchn_bind_interdomain: "we may have lost
  // notifications on the remote unbound port"): a backend sees one event on bind.
  // Collect what fires on bind, unmask it, then nothing is pending.
  std::string on_bind;
  while (readable(fd, 300)) {
    auto p = ev.pending();
    if (!p || !p->has_value()) break;
    on_bind += std::to_string(**p) + " ";
    (void)ev.unmask(**p);
  }
  info("evtchn-bind-event", "fired on bind: [" + on_bind + "] (bound port " + std::to_string(*b) + ")");
  auto idle = ev.pending();
  bool idle_ok = idle && !idle->has_value() && !readable(fd, 0);

  // notify(b) → a fires: fd readable, pending() = a.
  auto n1 = ev.notify(*b);
  bool fd1 = readable(fd, 2000);
  auto p1 = ev.pending();
  bool deliver_ok = n1 && fd1 && p1 && p1->has_value() && **p1 == *a;
  result_line("evtchn-notify", idle_ok && deliver_ok,
              "idle: nothing pending=%d; notify(%u): %s, fd readable=%d, pending()=%s (expected %u)", idle_ok, *b,
              err_of(n1).c_str(), fd1, p1 && p1->has_value() ? std::to_string(**p1).c_str() : "none", *a);

  // a is masked now: two more notifications are held and coalesce into one after unmask.
  (void)ev.notify(*b);
  (void)ev.notify(*b);
  bool fd_masked = readable(fd, 300);
  auto pm = ev.pending();
  bool masked_ok = !fd_masked && pm && !pm->has_value();
  auto um = ev.unmask(*a);
  bool fd2 = readable(fd, 2000);
  auto p2 = ev.pending();
  bool redeliver = um && fd2 && p2 && p2->has_value() && **p2 == *a;
  bool fd_after = readable(fd, 300);
  auto p3 = ev.pending();
  bool coalesced = !fd_after && p3 && !p3->has_value();
  result_line("evtchn-masked", masked_ok && redeliver,
              "while masked: fd readable=%d pending=%s; unmask: %s, then fd readable=%d pending()=%s", fd_masked,
              pm && pm->has_value() ? std::to_string(**pm).c_str() : "none", err_of(um).c_str(), fd2,
              p2 && p2->has_value() ? std::to_string(**p2).c_str() : "none");
  result_line("evtchn-coalesce", coalesced, "2 notifies while masked gave %s event(s) after unmask",
              !redeliver ? "0" : coalesced ? "1" : ">1");
  (void)ev.unmask(*a);

  // The other direction: notify(a) → b fires.
  auto n2 = ev.notify(*a);
  bool fd3 = readable(fd, 2000);
  auto p4 = ev.pending();
  bool reverse = n2 && fd3 && p4 && p4->has_value() && **p4 == *b;
  (void)ev.unmask(*b);
  result_line("evtchn-reverse", reverse, "notify(%u): %s, pending()=%s (expected %u)", *a, err_of(n2).c_str(),
              p4 && p4->has_value() ? std::to_string(**p4).c_str() : "none", *b);

  auto u1 = ev.unbind(*b);
  auto u2 = ev.unbind(*a);
  auto after = ev.notify(*b);
  result_line("evtchn-unbind", u1 && u2 && !after, "unbind: %s %s, notify after unbind: %s", err_of(u1).c_str(),
              err_of(u2).c_str(), err_of(after).c_str());
}

// ---------------------------------------------------------------- grants
// dom0 shares pages with itself (gntalloc), then maps (gntdev) and grant-copies them.
void fill(std::span<std::uint8_t> bytes, std::uint8_t seed) {
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(seed + i * 7u);
}
bool filled(std::span<const std::uint8_t> bytes, std::uint8_t seed) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != static_cast<std::uint8_t>(seed + i * 7u)) return false;
  }
  return true;
}

void probe_grants(std::size_t n) {
  auto sharer = real::open_grant_sharer();
  auto mapper = real::open_grant_mapper(64);
  result_line("grant-open", sharer && mapper, "open_grant_sharer: %s, open_grant_mapper: %s", err_of(sharer).c_str(),
              err_of(mapper).c_str());
  if (!sharer || !mapper) return;
  grant_mapper& gm = **mapper;

  auto sp = (*sharer)->share(dom0, n, true);
  std::string refs;
  if (sp) {
    for (auto r : sp->refs()) refs += std::to_string(r) + " ";
  }
  bool zeroed = sp && std::all_of(sp->bytes().begin(), sp->bytes().end(), [](std::uint8_t c) { return c == 0; });
  result_line("grant-share", sp && sp->pages() == n && zeroed, "share(0, %zu, rw): %s, refs [%s], zeroed=%d", n,
              err_of(sp).c_str(), refs.c_str(), zeroed);
  if (!sp) return;
  shared_pages& pages = *sp;
  for (std::size_t i = 0; i < n; ++i) fill(pages.page(i), static_cast<std::uint8_t>(i + 1));

  // Map dom0's own grants (loopback).
  {
    auto m = gm.map(dom0, pages.refs(), true);
    if (!m) {
      result_line("grant-map-self", false, "map(0, %zu refs, rw): %s", n, err(m.error()).c_str());
    } else {
      bool reads = true;
      for (std::size_t i = 0; i < n; ++i) reads = reads && filled(m->page(i), static_cast<std::uint8_t>(i + 1));
      fill(m->page(n - 1), 0xA0);  // write through the mapping, see it in the shared page
      bool writes = filled(pages.page(n - 1), 0xA0);
      m->reset();
      bool unmapped = !m->mapped();
      result_line("grant-map-self", reads && writes && unmapped,
                  "map(0, %zu refs, rw): ok, mapping reads the shared bytes=%d, write through mapping seen in the "
                  "shared page=%d, unmapped=%d",
                  n, reads, writes, unmapped);
    }
  }

  // Read-only grant: mapping read-only works, writable is refused; grant copy into it fails per segment.
  auto ro = (*sharer)->share(dom0, 1, false);
  if (ro) {
    fill(ro->page(0), 0x33);
    auto mro = gm.map(dom0, ro->refs(), false);
    bool ro_reads = mro && filled(mro->page(0), 0x33);
    auto mrw = gm.map(dom0, ro->refs(), true);
    std::vector<std::uint8_t> src(64, 0x55);
    copy_segment s{copy_endpoint::local_source(src.data()), copy_endpoint::granted(dom0, ro->refs()[0], 0), 64, {}};
    auto c = gm.copy({&s, 1});
    bool copy_refused = c && s.status == grant_status::general_error && filled(ro->page(0).first(64), 0x33);
    result_line("grant-readonly", ro_reads && !mrw && copy_refused,
                "map ro: %s reads=%d; map rw: %s (expected refused); copy into ro grant: call %s, status %d "
                "(expected -1 general_error)",
                err_of(mro).c_str(), ro_reads, err_of(mrw).c_str(), err_of(c).c_str(), static_cast<int>(s.status));
  } else {
    result_line("grant-readonly", false, "share(0, 1, ro): %s", err(ro.error()).c_str());
  }

  // Grant copy, several segments in one call, each with its own status.
  {
    std::vector<std::uint8_t> src(4096), dst(4096, 0);
    fill(src, 0x42);
    const grant_ref bad = 0x7fffffffu;
    std::vector<copy_segment> segs{
        // local → page 0 at offset 100
        {copy_endpoint::local_source(src.data()), copy_endpoint::granted(dom0, pages.refs()[0], 100), 200, {}},
        // a ref beyond the grant table
        {copy_endpoint::local_source(src.data()), copy_endpoint::granted(dom0, bad, 0), 16, {}},
        // page 1 (offset 8) → local
        {copy_endpoint::granted(dom0, pages.refs()[1 % n], 8), copy_endpoint::local_buffer(dst.data()), 300, {}},
        // granted → granted: page 0 [100,300) → last page at offset 3000
        {copy_endpoint::granted(dom0, pages.refs()[0], 100), copy_endpoint::granted(dom0, pages.refs()[n - 1], 3000),
         200, {}},
    };
    fill(pages.page(n - 1), 0xA0);
    auto c = gm.copy(segs);
    bool st = c && segs[0].status == grant_status::okay && segs[1].status == grant_status::bad_gntref &&
              segs[2].status == grant_status::okay && segs[3].status == grant_status::okay;
    bool d0 = std::equal(src.begin(), src.begin() + 200, pages.page(0).begin() + 100);
    std::vector<std::uint8_t> p1(pages.page(1 % n).begin() + 8, pages.page(1 % n).begin() + 308);
    bool d2 = std::equal(p1.begin(), p1.end(), dst.begin());
    bool d3 = std::equal(src.begin(), src.begin() + 200, pages.page(n - 1).begin() + 3000);
    result_line("grant-copy", st && d0 && d2 && d3,
                "call: %s, statuses [%d %d %d %d] (expected [0 -3 0 0]), data local->grant=%d grant->local=%d "
                "grant->grant=%d",
                err_of(c).c_str(), static_cast<int>(segs[0].status), static_cast<int>(segs[1].status),
                static_cast<int>(segs[2].status), static_cast<int>(segs[3].status), d0, d2, d3);

    // A segment crossing a page boundary fails the call as a whole, at either end.
    copy_segment cross_g{copy_endpoint::local_source(src.data()), copy_endpoint::granted(dom0, pages.refs()[0], 4000),
                         200, {}};
    auto c1 = gm.copy({&cross_g, 1});
    // The local end: 200 bytes from 96 bytes before a page boundary of a page-aligned buffer.
    auto* two = static_cast<std::uint8_t*>(std::aligned_alloc(page_size, 2 * page_size));
    copy_segment cross_l{copy_endpoint::granted(dom0, pages.refs()[0], 0),
                         copy_endpoint::local_buffer(two + page_size - 96), 200, {}};
    auto c2 = gm.copy({&cross_l, 1});
    std::free(two);
    bool inval = !c1 && c1.error() == xen_error::invalid_argument && !c2 && c2.error() == xen_error::invalid_argument;
    result_line("grant-copy-cross-page", inval, "granted end crossing: %s, local end crossing: %s",
                err_of(c1).c_str(), err_of(c2).c_str());
  }

  // After unsharing, the refs are gone: mapping them again fails.
  std::vector<grant_ref> old(pages.refs().begin(), pages.refs().end());
  pages.reset();
  auto again = gm.map(dom0, old, false);
  std::vector<std::uint8_t> buf(16);
  copy_segment s{copy_endpoint::granted(dom0, old[0], 0), copy_endpoint::local_buffer(buf.data()), 16, {}};
  auto c = gm.copy({&s, 1});
  result_line("grant-unshare", !again && c && s.status != grant_status::okay,
              "map after unshare: %s (expected refused), copy after unshare: call %s status %d", err_of(again).c_str(),
              err_of(c).c_str(), static_cast<int>(s.status));
}

// ---------------------------------------------------------------- a real netfront
// The backend's side of a domU's netfront that has published its rings (state 4):
// map its tx and rx ring pages, read the ring headers, grant-copy into the first
// rx buffer it posted (what the rx path does), bind its event channel, undo all.
// Nothing is answered on the rings, so the domU sees no traffic.
std::uint32_t u32_at(std::span<const std::uint8_t> b, std::size_t off) {
  std::uint32_t v = 0;
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

void probe_frontend(domid fe) {
  auto xs = real::open_xenstore();
  auto mapper = real::open_grant_mapper(64);
  auto events = real::open_event_channels();
  if (!xs || !mapper || !events) {
    result_line("frontend-open", false, "xenstore: %s, mapper: %s, events: %s", err_of(xs).c_str(),
                err_of(mapper).c_str(), err_of(events).c_str());
    return;
  }
  const std::string dir = "/local/domain/" + std::to_string(fe) + "/device/vif/0/";
  auto tx = (*xs)->read(dir + "tx-ring-ref");
  auto rx = (*xs)->read(dir + "rx-ring-ref");
  auto ch = (*xs)->read(dir + "event-channel");
  if (!tx || !rx || !ch) {
    result_line("frontend-keys", false, "tx-ring-ref: %s, rx-ring-ref: %s, event-channel: %s", err_of(tx).c_str(),
                err_of(rx).c_str(), err_of(ch).c_str());
    return;
  }
  const grant_ref tx_ref = static_cast<grant_ref>(std::strtoul(tx->c_str(), nullptr, 10));
  const grant_ref rx_ref = static_cast<grant_ref>(std::strtoul(rx->c_str(), nullptr, 10));
  const auto port = static_cast<evtchn_port>(std::strtoul(ch->c_str(), nullptr, 10));

  auto txm = (*mapper)->map(fe, {&tx_ref, 1}, true);
  auto rxm = (*mapper)->map(fe, {&rx_ref, 1}, true);
  if (!txm || !rxm) {
    result_line("frontend-map-rings", false, "map tx ref %u: %s, rx ref %u: %s", tx_ref, err_of(txm).c_str(), rx_ref,
                err_of(rxm).c_str());
    return;
  }
  auto txb = txm->page(0);
  auto rxb = rxm->page(0);
  const std::uint32_t rx_req_prod = u32_at(rxb, 0);
  result_line("frontend-map-rings", rx_req_prod > 0,
              "tx ring (ref %u): req_prod=%u rsp_prod=%u req_event=%u; rx ring (ref %u): req_prod=%u (buffers "
              "posted) rsp_prod=%u",
              tx_ref, u32_at(txb, 0), u32_at(txb, 8), u32_at(txb, 4), rx_ref, rx_req_prod, u32_at(rxb, 8));

  // The first rx request: {u16 id, u16 pad, u32 gref} at offset 64.
  const grant_ref buf_ref = u32_at(rxb, 64 + 4);
  std::vector<std::uint8_t> out(128), back(128, 0);
  fill(out, 0x5a);
  std::vector<copy_segment> segs{
      {copy_endpoint::local_source(out.data()), copy_endpoint::granted(fe, buf_ref, 0), 128, {}},
      {copy_endpoint::granted(fe, buf_ref, 0), copy_endpoint::local_buffer(back.data()), 128, {}},
  };
  auto c = (*mapper)->copy(segs);
  bool copied = c && segs[0].status == grant_status::okay && segs[1].status == grant_status::okay && back == out;
  result_line("frontend-copy-rx-buffer", copied, "rx request 0 gref %u: copy in/out call %s, statuses [%d %d], data=%d",
              buf_ref, err_of(c).c_str(), static_cast<int>(segs[0].status), static_cast<int>(segs[1].status),
              back == out);

  event_channels& ev = **events;
  auto b = ev.bind_interdomain(fe, port);
  bool fired = b && readable(ev.fd(), 2000);
  auto p = ev.pending();
  bool got = fired && p && p->has_value() && **p == *b;
  if (got) (void)ev.unmask(*b);
  auto n = b ? ev.notify(*b) : status{xen_error::closed};
  auto u = b ? ev.unbind(*b) : status{xen_error::closed};
  result_line("frontend-evtchn", b && got && n && u,
              "bind_interdomain(%u, %u): %s port %u, event on bind=%d, notify: %s, unbind: %s", fe, port,
              err_of(b).c_str(), b ? *b : 0u, got, err_of(n).c_str(), err_of(u).c_str());
  txm->reset();
  rxm->reset();
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t pages = 4;
  bool xs = false, ev = false, gr = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--pages" && i + 1 < argc) {
      pages = std::strtoul(argv[++i], nullptr, 10);
    } else if (a == "xenstore") {
      xs = true;
    } else if (a == "evtchn") {
      ev = true;
    } else if (a == "grants") {
      gr = true;
    } else if (a == "frontend" && i + 1 < argc) {
      probe_frontend(static_cast<domid>(std::strtoul(argv[++i], nullptr, 10)));
      return failures == 0 ? 0 : 1;
    } else {
      std::fprintf(stderr, "usage: %s [--pages N] [xenstore] [evtchn] [grants] | frontend DOMID\n", argv[0]);
      return 2;
    }
  }
  if (!xs && !ev && !gr) xs = ev = gr = true;
  if (pages < 2 || pages > 64) pages = 4;
  if (xs) probe_xenstore();
  if (ev) probe_evtchn();
  if (gr) probe_grants(pages);
  return failures == 0 ? 0 : 1;
}
