// xen/sim/sim_grants.cpp — simulated grant tables: share, map (real shared memory), copy, lazy revocation.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "xen/sim/hypervisor.hpp"

namespace aw::xen::sim {

namespace {
constexpr std::size_t max_pages_per_call = 1024;

// A PROT_NONE reservation, then each page mapped over it from the memfd.
xen_result<std::uint8_t*> map_pages(int memfd, std::span<const std::uint32_t> pages, int prot) {
  void* base = ::mmap(nullptr, pages.size() * page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return from_errno(errno);
  auto* b = static_cast<std::uint8_t*>(base);
  for (std::size_t i = 0; i < pages.size(); ++i) {
    void* p = ::mmap(b + i * page_size, page_size, prot, MAP_SHARED | MAP_FIXED, memfd,
                     static_cast<off_t>(pages[i]) * static_cast<off_t>(page_size));
    if (p == MAP_FAILED) {
      int e = errno;
      ::munmap(base, pages.size() * page_size);
      return from_errno(e);
    }
  }
  return b;
}

bool crosses_page(const copy_endpoint& e, std::uint16_t len) {
  std::size_t offset = e.foreign ? e.offset : reinterpret_cast<std::uintptr_t>(e.local) % page_size;
  return offset + len > page_size;
}
}  // namespace

xen_result<std::uint32_t> hypervisor::alloc_page(domain& dom) {
  if (dom.free_pages.empty()) {
    if (dom.capacity >= limits_.max_pages_per_domain) return xen_error::no_memory;
    std::size_t grown = std::min(limits_.max_pages_per_domain, std::max<std::size_t>(64, dom.capacity * 2));
    if (::ftruncate(dom.memfd, static_cast<off_t>(grown * page_size)) != 0) return from_errno(errno);
    for (std::size_t p = grown; p > dom.capacity; --p) dom.free_pages.push_back(static_cast<std::uint32_t>(p - 1));
    dom.capacity = grown;
  }
  std::uint32_t page = dom.free_pages.back();
  dom.free_pages.pop_back();
  dom.pages[page] = page_state{};
  return page;
}

void hypervisor::release_page(domain& dom, std::uint32_t page) noexcept {
  // Punching the hole frees the memory and makes the page read back as zeros.
  (void)::fallocate(dom.memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                    static_cast<off_t>(page) * static_cast<off_t>(page_size), static_cast<off_t>(page_size));
  dom.pages.erase(page);
  for (auto it = dom.grants.begin(); it != dom.grants.end();) {
    it = it->second.page == page ? dom.grants.erase(it) : std::next(it);
  }
  dom.free_pages.push_back(page);
}

xen_result<std::pair<std::uint8_t*, std::vector<grant_ref>>> hypervisor::share(domid owner, domid peer,
                                                                               std::size_t count, bool writable) {
  std::lock_guard lock(mu_);
  domain* dom = find(owner);
  if (dom == nullptr || find(peer) == nullptr) return xen_error::bad_domain;
  if (count == 0 || count > max_pages_per_call) return xen_error::invalid_argument;
  std::vector<std::uint32_t> pages;
  for (std::size_t i = 0; i < count; ++i) {
    auto p = alloc_page(*dom);
    if (!p) {
      for (auto q : pages) release_page(*dom, q);
      return p.error();
    }
    pages.push_back(*p);
  }
  auto base = map_pages(dom->memfd, pages, PROT_READ | PROT_WRITE);
  if (!base) {
    for (auto q : pages) release_page(*dom, q);
    return base.error();
  }
  std::vector<grant_ref> refs;
  for (auto p : pages) {
    grant_ref r = dom->next_ref++;
    dom->grants[r] = grant_entry{peer, p, !writable, false};
    dom->pages[p].shared = true;
    refs.push_back(r);
  }
  shares_[*base] = {owner, pages};
  return std::pair{*base, std::move(refs)};
}

void hypervisor::unshare(domid owner, std::uint8_t* base, std::size_t count) noexcept {
  std::lock_guard lock(mu_);
  auto s = shares_.find(base);
  domain* dom = find(owner);
  if (s == shares_.end() || dom == nullptr || s->second.first != owner) return;
  ::munmap(base, count * page_size);
  for (auto p : s->second.second) {
    auto& st = dom->pages[p];
    st.shared = false;
    if (st.maps == 0) {
      release_page(*dom, p);
    } else {
      // The peer still maps it: revoke the grant now, reclaim the page at its unmap.
      for (auto& [ref, g] : dom->grants) {
        if (g.page == p) g.revoked = true;
      }
    }
  }
  shares_.erase(s);
}

xen_result<std::uint8_t*> hypervisor::map(domid mapper, domid granter, std::span<const grant_ref> refs,
                                          bool writable) {
  std::lock_guard lock(mu_);
  domain* dom = find(granter);
  if (dom == nullptr || find(mapper) == nullptr) return xen_error::bad_domain;
  if (refs.empty() || refs.size() > max_pages_per_call) return xen_error::invalid_argument;
  std::vector<std::uint32_t> pages;
  for (auto r : refs) {
    auto g = dom->grants.find(r);
    if (g == dom->grants.end() || g->second.revoked || g->second.peer != mapper) return xen_error::bad_grant_ref;
    if (writable && g->second.readonly) return xen_error::read_only_grant;
    pages.push_back(g->second.page);
  }
  auto base = map_pages(dom->memfd, pages, writable ? PROT_READ | PROT_WRITE : PROT_READ);
  if (!base) return base.error();
  for (auto p : pages) ++dom->pages[p].maps;
  mappings_[*base] = mapping_record{mapper, granter, pages, {refs.begin(), refs.end()}};
  return *base;
}

void hypervisor::unmap(domid mapper, std::uint8_t* base, std::size_t count) noexcept {
  std::lock_guard lock(mu_);
  auto m = mappings_.find(base);
  if (m == mappings_.end() || m->second.mapper != mapper || m->second.pages.size() != count) return;
  ::munmap(base, count * page_size);
  if (domain* dom = find(m->second.granter)) {
    for (auto p : m->second.pages) {
      auto st = dom->pages.find(p);
      if (st == dom->pages.end()) continue;
      if (--st->second.maps == 0 && !st->second.shared) release_page(*dom, p);
    }
  }
  mappings_.erase(m);
}

status hypervisor::copy(domid caller, std::span<copy_segment> segments) {
  // gntdev refuses the whole call when any segment crosses a page.
  for (const auto& s : segments) {
    if (crosses_page(s.source, s.len) || crosses_page(s.dest, s.len)) return xen_error::invalid_argument;
  }
  std::lock_guard lock(mu_);
  auto resolve = [&](const copy_endpoint& e, bool write, std::uint8_t*& at) -> grant_status {
    domain* dom = find(e.domain);
    if (dom == nullptr) return grant_status::bad_domain;
    auto g = dom->grants.find(e.ref);
    if (g == dom->grants.end() || g->second.revoked || g->second.peer != caller) return grant_status::bad_gntref;
    if (write && g->second.readonly) return grant_status::general_error;
    at = dom->window + std::size_t{g->second.page} * page_size + e.offset;
    return grant_status::okay;
  };
  for (auto& s : segments) {
    std::uint8_t* src = s.source.local;
    std::uint8_t* dst = s.dest.local;
    s.status = grant_status::okay;
    if (s.source.foreign) s.status = resolve(s.source, false, src);
    if (s.status == grant_status::okay && s.dest.foreign) s.status = resolve(s.dest, true, dst);
    if (s.status != grant_status::okay || s.len == 0) continue;
    std::memmove(dst, src, s.len);
  }
  return done{};
}

}  // namespace aw::xen::sim
