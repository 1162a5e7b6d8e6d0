// xen/grant_pages.cpp — the move-only ownership of mapped and shared pages.
#include <utility>

#include "xen/grant_mapper.hpp"
#include "xen/grant_sharer.hpp"

namespace aw::xen {

grant_mapping::grant_mapping(std::shared_ptr<detail::unmapper> owner, std::uint8_t* base, std::size_t pages,
                             bool writable) noexcept
    : owner_(std::move(owner)), base_(base), pages_(pages), writable_(writable) {}

grant_mapping::grant_mapping(grant_mapping&& other) noexcept
    : owner_(std::move(other.owner_)),
      base_(std::exchange(other.base_, nullptr)),
      pages_(std::exchange(other.pages_, 0)),
      writable_(std::exchange(other.writable_, false)) {}

grant_mapping& grant_mapping::operator=(grant_mapping&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = std::move(other.owner_);
    base_ = std::exchange(other.base_, nullptr);
    pages_ = std::exchange(other.pages_, 0);
    writable_ = std::exchange(other.writable_, false);
  }
  return *this;
}

void grant_mapping::reset() noexcept {
  if (base_ != nullptr && owner_) owner_->unmap(base_, pages_);
  owner_.reset();
  base_ = nullptr;
  pages_ = 0;
  writable_ = false;
}

shared_pages::shared_pages(std::shared_ptr<detail::unsharer> owner, std::uint8_t* base,
                           std::vector<grant_ref> refs) noexcept
    : owner_(std::move(owner)), base_(base), refs_(std::move(refs)) {}

shared_pages::shared_pages(shared_pages&& other) noexcept
    : owner_(std::move(other.owner_)), base_(std::exchange(other.base_, nullptr)), refs_(std::move(other.refs_)) {
  other.refs_.clear();
}

shared_pages& shared_pages::operator=(shared_pages&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = std::move(other.owner_);
    base_ = std::exchange(other.base_, nullptr);
    refs_ = std::move(other.refs_);
    other.refs_.clear();
  }
  return *this;
}

void shared_pages::reset() noexcept {
  if (base_ != nullptr && owner_) owner_->unshare(base_, refs_.size());
  owner_.reset();
  base_ = nullptr;
  refs_.clear();
}

}  // namespace aw::xen
