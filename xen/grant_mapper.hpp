// xen/grant_mapper.hpp — mapping other domains' granted pages (move-only RAII) and grant copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "xen/xen_error.hpp"

namespace aw::xen {

using grant_ref = std::uint32_t;
inline constexpr std::size_t page_size = 4096;

// Xen's per-segment grant operation status (GNTST_*), values as in grant_table.h.
enum class grant_status : std::int16_t {
  okay = 0,
  general_error = -1,  // also: writing through a read-only grant
  bad_domain = -2,
  bad_gntref = -3,
  bad_handle = -4,
  bad_virt_addr = -5,
  bad_dev_addr = -6,
  no_device_space = -7,
  permission_denied = -8,
  bad_page = -9,
  bad_copy_arg = -10,
  address_too_big = -11,
  eagain = -12,
};

namespace detail {
// What a mapping calls to give its pages back; owned jointly by the mapper and
// its live mappings, so a mapping never outlives the means to unmap it.
class unmapper {
 public:
  virtual ~unmapper() = default;
  virtual void unmap(std::uint8_t* base, std::size_t pages) noexcept = 0;
};
}  // namespace detail

// Pages of another domain mapped into this process. Move-only; the pages are
// unmapped by reset() or the destructor. bytes()/page() are borrowed views:
// valid only until the mapping is reset, moved from or destroyed — never store
// them (the connection object is the only holder of a mapping).
class grant_mapping {
 public:
  grant_mapping() = default;
  grant_mapping(std::shared_ptr<detail::unmapper> owner, std::uint8_t* base, std::size_t pages,
                bool writable) noexcept;
  grant_mapping(grant_mapping&& other) noexcept;
  grant_mapping& operator=(grant_mapping&& other) noexcept;
  grant_mapping(const grant_mapping&) = delete;
  grant_mapping& operator=(const grant_mapping&) = delete;
  ~grant_mapping() { reset(); }

  void reset() noexcept;
  [[nodiscard]] bool mapped() const noexcept { return base_ != nullptr; }
  [[nodiscard]] std::size_t pages() const noexcept { return pages_; }
  [[nodiscard]] bool writable() const noexcept { return writable_; }
  [[nodiscard]] std::span<std::uint8_t> bytes() noexcept { return {base_, pages_ * page_size}; }
  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return {base_, pages_ * page_size}; }
  [[nodiscard]] std::span<std::uint8_t> page(std::size_t i) noexcept { return bytes().subspan(i * page_size, page_size); }

 private:
  std::shared_ptr<detail::unmapper> owner_;
  std::uint8_t* base_ = nullptr;
  std::size_t pages_ = 0;
  bool writable_ = false;
};

// One end of a grant-copy segment: a local buffer or (domain, grant, offset).
struct copy_endpoint {
  bool foreign = false;
  std::uint8_t* local = nullptr;  // a source is never written through
  grant_ref ref = 0;
  std::uint16_t offset = 0;
  domid domain = 0;

  static copy_endpoint local_buffer(std::uint8_t* p) noexcept { return {false, p, 0, 0, 0}; }
  static copy_endpoint local_source(const std::uint8_t* p) noexcept {
    return {false, const_cast<std::uint8_t*>(p), 0, 0, 0};  // NOLINT: read only, see above
  }
  static copy_endpoint granted(domid d, grant_ref r, std::uint16_t off) noexcept { return {true, nullptr, r, off, d}; }
};

struct copy_segment {
  copy_endpoint source;
  copy_endpoint dest;
  std::uint16_t len = 0;
  grant_status status = grant_status::okay;  // out
};

class grant_mapper {
 public:
  virtual ~grant_mapper() = default;
  grant_mapper() = default;
  grant_mapper(const grant_mapper&) = delete;
  grant_mapper& operator=(const grant_mapper&) = delete;

  // Maps refs granted by `granter` contiguously, in order.
  virtual xen_result<grant_mapping> map(domid granter, std::span<const grant_ref> refs, bool writable) = 0;
  // One call, several segments. The call fails as a whole (invalid_argument)
  // when a segment crosses a page boundary (at either end, local or granted);
  // otherwise each segment gets its own status and the call succeeds.
  virtual status copy(std::span<copy_segment> segments) = 0;
};

}  // namespace aw::xen
