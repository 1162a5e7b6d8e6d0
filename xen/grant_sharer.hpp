// xen/grant_sharer.hpp — granting this domain's own pages to another domain (netfront side).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "xen/grant_mapper.hpp"

namespace aw::xen {

namespace detail {
class unsharer {
 public:
  virtual ~unsharer() = default;
  virtual void unshare(std::uint8_t* base, std::size_t pages) noexcept = 0;
};
}  // namespace detail

// Zeroed pages of this process granted to a peer. Move-only; reset() or the
// destructor ends the grants. Xen may revoke lazily: while the peer still maps
// a page it stays the peer's, and is only reclaimed when the peer unmaps, so
// never reuse data in flight (wait for the response). bytes() is borrowed.
class shared_pages {
 public:
  shared_pages() = default;
  shared_pages(std::shared_ptr<detail::unsharer> owner, std::uint8_t* base, std::vector<grant_ref> refs) noexcept;
  shared_pages(shared_pages&& other) noexcept;
  shared_pages& operator=(shared_pages&& other) noexcept;
  shared_pages(const shared_pages&) = delete;
  shared_pages& operator=(const shared_pages&) = delete;
  ~shared_pages() { reset(); }

  void reset() noexcept;
  [[nodiscard]] bool shared() const noexcept { return base_ != nullptr; }
  [[nodiscard]] std::span<const grant_ref> refs() const noexcept { return refs_; }
  [[nodiscard]] std::size_t pages() const noexcept { return refs_.size(); }
  [[nodiscard]] std::span<std::uint8_t> bytes() noexcept { return {base_, refs_.size() * page_size}; }
  [[nodiscard]] std::span<std::uint8_t> page(std::size_t i) noexcept { return bytes().subspan(i * page_size, page_size); }

 private:
  std::shared_ptr<detail::unsharer> owner_;
  std::uint8_t* base_ = nullptr;
  std::vector<grant_ref> refs_;
};

class grant_sharer {
 public:
  virtual ~grant_sharer() = default;
  grant_sharer() = default;
  grant_sharer(const grant_sharer&) = delete;
  grant_sharer& operator=(const grant_sharer&) = delete;

  virtual xen_result<shared_pages> share(domid peer, std::size_t count, bool writable) = 0;
};

}  // namespace aw::xen
