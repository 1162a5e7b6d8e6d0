// protocol/buffer.hpp — pooled, refcounted byte buffers: written once by a single
// owner (unique_buffer), then frozen and shared read-only (shared_buffer).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "protocol/bytes.hpp"

namespace aw::proto {

namespace detail {
struct pool_core;
// A block is one allocation: this header, then the bytes at data_offset.
struct block {
  std::atomic<std::uint32_t> refs{0};
  std::uint32_t size = 0;  // frozen content length
  std::uint32_t capacity = 0;
  bool large = false;
  pool_core* core = nullptr;
  block* next = nullptr;  // free-list link

  static constexpr std::size_t data_offset = 64;
  std::uint8_t* bytes() noexcept { return reinterpret_cast<std::uint8_t*>(this) + data_offset; }
};
void release_block(block* b) noexcept;  // the last reference went: back to the pool
inline void ref(block* b) noexcept {
  if (b != nullptr) b->refs.fetch_add(1, std::memory_order_relaxed);
}
inline void unref(block* b) noexcept {
  if (b == nullptr) return;
  // A sole owner needs no read-modify-write: nobody else can add a reference.
  if (b->refs.load(std::memory_order_acquire) == 1 || b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
    release_block(b);
}
}  // namespace detail

// A read-only, refcounted view of a frozen buffer. Copies share the bytes;
// the block returns to its pool when the last copy goes (from any thread).
class shared_buffer {
 public:
  shared_buffer() noexcept = default;
  shared_buffer(const shared_buffer& other) noexcept : b_(other.b_) { detail::ref(b_); }
  shared_buffer(shared_buffer&& other) noexcept : b_(other.b_) { other.b_ = nullptr; }
  shared_buffer& operator=(const shared_buffer& other) noexcept {
    detail::ref(other.b_);
    detail::unref(b_);
    b_ = other.b_;
    return *this;
  }
  shared_buffer& operator=(shared_buffer&& other) noexcept {
    if (this != &other) {
      detail::unref(b_);
      b_ = other.b_;
      other.b_ = nullptr;
    }
    return *this;
  }
  ~shared_buffer() { detail::unref(b_); }

  [[nodiscard]] bytes data() const noexcept { return b_ == nullptr ? bytes{} : bytes{b_->bytes(), b_->size}; }
  [[nodiscard]] std::size_t size() const noexcept { return b_ == nullptr ? 0 : b_->size; }
  explicit operator bool() const noexcept { return b_ != nullptr; }
  [[nodiscard]] std::uint32_t use_count() const noexcept {
    return b_ == nullptr ? 0 : b_->refs.load(std::memory_order_relaxed);
  }

 private:
  friend class unique_buffer;
  explicit shared_buffer(detail::block* b) noexcept : b_(b) {}
  detail::block* b_ = nullptr;
};

// A writable buffer with one owner. freeze() ends writing and shares it.
class unique_buffer {
 public:
  unique_buffer(unique_buffer&& other) noexcept : b_(other.b_) { other.b_ = nullptr; }
  unique_buffer& operator=(unique_buffer&& other) noexcept;
  unique_buffer(const unique_buffer&) = delete;
  unique_buffer& operator=(const unique_buffer&) = delete;
  ~unique_buffer() { detail::unref(b_); }

  // The whole capacity.
  [[nodiscard]] mutable_bytes data() noexcept {
    return b_ == nullptr ? mutable_bytes{} : mutable_bytes{b_->bytes(), b_->capacity};
  }
  [[nodiscard]] std::size_t capacity() const noexcept { return b_ == nullptr ? 0 : b_->capacity; }
  // Keeps the first `size` bytes (clamped to the capacity) as the frozen content.
  [[nodiscard]] shared_buffer freeze(std::size_t size) && noexcept;

 private:
  friend class buffer_pool;
  explicit unique_buffer(detail::block* b) noexcept : b_(b) {}
  detail::block* b_ = nullptr;
};

struct buffer_pool_config {
  std::size_t small_capacity = 2048;        // one MTU-sized frame with room to spare
  std::size_t large_capacity = 65536 + 512;  // a 64 KiB GSO packet with its headers
  std::size_t max_small = 8192;             // bounds on blocks alive at once
  std::size_t max_large = 256;
};

struct buffer_pool_stats {
  std::size_t small_allocated = 0, large_allocated = 0;  // blocks that exist (in use or cached)
  std::size_t in_use = 0;
  std::size_t exhausted = 0;  // acquire() calls refused
};

// Two size classes of blocks, allocated on first need and recycled after.
// One owner acquires (one thread at a time, as an actor runs); buffers may be
// released from any thread. The pool may be destroyed while buffers are still
// in use: they stay valid and their memory goes with the last reference.
class buffer_pool {
 public:
  explicit buffer_pool(buffer_pool_config config = {});
  ~buffer_pool();
  buffer_pool(const buffer_pool&) = delete;
  buffer_pool& operator=(const buffer_pool&) = delete;

  // A buffer of at least `size` bytes; nullopt when size exceeds the large
  // class or the class is at its bound (counted in stats().exhausted).
  [[nodiscard]] std::optional<unique_buffer> acquire(std::size_t size) noexcept;
  // Any thread; exact when no acquire or release runs concurrently.
  [[nodiscard]] buffer_pool_stats stats() const noexcept;

 private:
  detail::pool_core* core_;
};

}  // namespace aw::proto
