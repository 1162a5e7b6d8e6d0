// nat/zeroed_array.hpp — a fixed-size array of plain values that starts all-zero without
// writing its memory (calloc): the pages of a 64 Ki-entry port table come in as they are
// first used, so building an engine costs microseconds, not milliseconds.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

namespace aw::nat {

template <class T>
class zeroed_array {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  zeroed_array() noexcept = default;
  explicit zeroed_array(std::size_t n) : p_(static_cast<T*>(std::calloc(n, sizeof(T)))), n_(n) {
    if (p_ == nullptr && n != 0) throw std::bad_alloc();  // construction only, never the data path
  }
  zeroed_array(zeroed_array&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  zeroed_array& operator=(zeroed_array&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    return *this;
  }
  zeroed_array(const zeroed_array&) = delete;
  zeroed_array& operator=(const zeroed_array&) = delete;
  ~zeroed_array() { std::free(p_); }

  T& operator[](std::size_t i) noexcept { return p_[i]; }
  const T& operator[](std::size_t i) const noexcept { return p_[i]; }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept { return n_ * sizeof(T); }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

}  // namespace aw::nat
