// protocol/result.hpp — a value or an error enum: how every parser and
// data-path call reports failure (no exceptions on the data path).
#pragma once

#include <cstdlib>
#include <utility>
#include <variant>

namespace aw {

template <class T, class E>
class result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  result(E error) : v_(std::in_place_index<1>, error) {}             // NOLINT: implicit by design

  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  // Precondition: has_value(). Checked: a violation aborts rather than read garbage.
  T& value() & { return *get(); }
  const T& value() const& { return *get(); }
  T&& value() && { return std::move(*get()); }
  T& operator*() & { return *get(); }
  const T& operator*() const& { return *get(); }
  T* operator->() { return get(); }
  const T* operator->() const { return get(); }

  // Precondition: !has_value().
  [[nodiscard]] E error() const {
    const E* e = std::get_if<1>(&v_);
    if (e == nullptr) std::abort();
    return *e;
  }

 private:
  T* get() {
    T* p = std::get_if<0>(&v_);
    if (p == nullptr) std::abort();
    return p;
  }
  const T* get() const {
    const T* p = std::get_if<0>(&v_);
    if (p == nullptr) std::abort();
    return p;
  }

  std::variant<T, E> v_;
};

}  // namespace aw
