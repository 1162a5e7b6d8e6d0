// xen/real/real_grants.cpp — grant_mapper over libxengnttab and grant_sharer over xengntshr.
#include <sys/mman.h>

#include <cerrno>
#include <vector>

#include "xen/real/libxen_c.hpp"
#include "xen/real/real_xen.hpp"

namespace aw::xen::real {
namespace {

static_assert(sizeof(xengnttab_grant_copy_segment_t) == 24);

// The gntdev handle, kept open while any mapping lives.
class gnttab final : public detail::unmapper {
 public:
  explicit gnttab(xengnttab_handle* handle) : h(handle) {}
  ~gnttab() override { xengnttab_close(h); }
  void unmap(std::uint8_t* base, std::size_t pages) noexcept override {
    (void)xengnttab_unmap(h, base, static_cast<std::uint32_t>(pages));
  }
  xengnttab_handle* h;
};

bool crosses_page(const copy_endpoint& e, std::uint16_t len) {
  std::size_t offset = e.foreign ? e.offset : reinterpret_cast<std::uintptr_t>(e.local) % page_size;
  return offset + len > page_size;
}

class real_grant_mapper final : public grant_mapper {
 public:
  explicit real_grant_mapper(std::shared_ptr<gnttab> g) : g_(std::move(g)) {}

  xen_result<grant_mapping> map(domid granter, std::span<const grant_ref> refs, bool writable) override {
    if (refs.empty()) return xen_error::invalid_argument;
    std::vector<std::uint32_t> r(refs.begin(), refs.end());
    void* p = xengnttab_map_domain_grant_refs(g_->h, static_cast<std::uint32_t>(r.size()), granter, r.data(),
                                              writable ? PROT_READ | PROT_WRITE : PROT_READ);
    if (p == nullptr) return from_errno(errno);
    return grant_mapping{g_, static_cast<std::uint8_t*>(p), r.size(), writable};
  }

  status copy(std::span<copy_segment> segments) override {
    std::vector<xengnttab_grant_copy_segment_t> c(segments.size());
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const auto& s = segments[i];
      if (crosses_page(s.source, s.len) || crosses_page(s.dest, s.len)) return xen_error::invalid_argument;
      auto& d = c[i];
      d.len = s.len;
      d.flags = 0;
      if (s.source.foreign) {
        d.flags = static_cast<std::uint16_t>(d.flags | GNTCOPY_source_gref);
        d.source.foreign = {s.source.ref, s.source.offset, s.source.domain};
      } else {
        d.source.virt = s.source.local;
      }
      if (s.dest.foreign) {
        d.flags = static_cast<std::uint16_t>(d.flags | GNTCOPY_dest_gref);
        d.dest.foreign = {s.dest.ref, s.dest.offset, s.dest.domain};
      } else {
        d.dest.virt = s.dest.local;
      }
    }
    if (xengnttab_grant_copy(g_->h, static_cast<std::uint32_t>(c.size()), c.data()) != 0) return from_errno(errno);
    for (std::size_t i = 0; i < segments.size(); ++i) segments[i].status = static_cast<grant_status>(c[i].status);
    return done{};
  }

 private:
  std::shared_ptr<gnttab> g_;
};

class gntshr final : public detail::unsharer {
 public:
  explicit gntshr(xengntshr_handle* handle) : h(handle) {}
  ~gntshr() override { xengntshr_close(h); }
  void unshare(std::uint8_t* base, std::size_t pages) noexcept override {
    (void)xengntshr_unshare(h, base, static_cast<std::uint32_t>(pages));
  }
  xengntshr_handle* h;
};

class real_grant_sharer final : public grant_sharer {
 public:
  explicit real_grant_sharer(std::shared_ptr<gntshr> g) : g_(std::move(g)) {}

  xen_result<shared_pages> share(domid peer, std::size_t count, bool writable) override {
    if (count == 0 || count > 4096) return xen_error::invalid_argument;
    std::vector<grant_ref> refs(count);
    void* p = xengntshr_share_pages(g_->h, peer, static_cast<int>(count), refs.data(), writable ? 1 : 0);
    if (p == nullptr) return from_errno(errno);
    return shared_pages{g_, static_cast<std::uint8_t*>(p), std::move(refs)};
  }

 private:
  std::shared_ptr<gntshr> g_;
};

}  // namespace

xen_result<std::unique_ptr<grant_mapper>> open_grant_mapper(std::uint32_t max_grants) {
  xengnttab_handle* h = xengnttab_open(nullptr, 0);
  if (h == nullptr) return from_errno(errno);
  auto g = std::make_shared<gnttab>(h);
  if (xengnttab_set_max_grants(h, max_grants) != 0) return from_errno(errno);
  return std::unique_ptr<grant_mapper>(std::make_unique<real_grant_mapper>(std::move(g)));
}

xen_result<std::unique_ptr<grant_sharer>> open_grant_sharer() {
  xengntshr_handle* h = xengntshr_open(nullptr, 0);
  if (h == nullptr) return from_errno(errno);
  return std::unique_ptr<grant_sharer>(std::make_unique<real_grant_sharer>(std::make_shared<gntshr>(h)));
}

}  // namespace aw::xen::real
