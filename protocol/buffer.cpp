// protocol/buffer.cpp — the buffer pool: size classes, free lists, refcounts.
#include "protocol/buffer.hpp"

#include <atomic>
#include <new>
#include <thread>

namespace aw::proto::detail {

static_assert(sizeof(block) <= block::data_offset);

// A test-and-set lock: the critical sections are a few pointer moves.
class spinlock {
 public:
  void lock() noexcept {
    for (int spins = 0; flag_.test_and_set(std::memory_order_acquire); ++spins)
      if (spins > 64) std::this_thread::yield();
  }
  void unlock() noexcept { flag_.clear(std::memory_order_release); }

 private:
  std::atomic_flag flag_ = ATOMIC_FLAG_INIT;
};

// Blocks flow in a loop: the owner pops from its private free lists without
// locking (acquire is owner-only); any thread's release pushes onto the
// returned lists under the lock; when a private list runs dry the owner takes
// the whole returned list in one go. One lock per released block, none per
// acquired one.
struct pool_core {
  struct size_class {
    block* owner_free = nullptr;  // owner thread only
    block* returned = nullptr;    // under lock
    std::size_t allocated = 0;    // under lock
    std::size_t capacity = 0;
    std::size_t max = 0;
  };

  spinlock lock;
  size_class small, large;
  std::atomic<std::size_t> acquired{0};  // written by the owner only
  std::size_t released = 0;              // under lock
  std::size_t exhausted = 0;             // under lock
  bool closed = false;                   // under lock: the buffer_pool is gone

  explicit pool_core(const buffer_pool_config& c) {
    small.capacity = c.small_capacity;
    small.max = c.max_small;
    large.capacity = c.large_capacity;
    large.max = c.max_large;
  }

  static block* allocate(std::size_t capacity, bool is_large, pool_core* core) noexcept {
    void* mem = ::operator new(block::data_offset + capacity, std::align_val_t{64}, std::nothrow);
    if (mem == nullptr) return nullptr;
    auto* b = new (mem) block;
    b->capacity = static_cast<std::uint32_t>(capacity);
    b->large = is_large;
    b->core = core;
    return b;
  }
  static void deallocate(block* b) noexcept {
    b->~block();
    ::operator delete(static_cast<void*>(b), std::align_val_t{64});
  }
  static void free_list(block* b) noexcept {
    while (b != nullptr) {
      block* next = b->next;
      deallocate(b);
      b = next;
    }
  }

  block* acquire(std::size_t size) noexcept {
    if (size > large.capacity) {
      count_exhausted();
      return nullptr;
    }
    const bool is_large = size > small.capacity;
    size_class& sc = is_large ? large : small;
    if (sc.owner_free == nullptr) {
      // Take back everything released since, or reserve a new block.
      lock.lock();
      sc.owner_free = sc.returned;
      sc.returned = nullptr;
      bool grow = sc.owner_free == nullptr && sc.allocated < sc.max;
      if (grow) ++sc.allocated;
      bool refused = sc.owner_free == nullptr && !grow;
      if (refused) ++exhausted;
      lock.unlock();
      if (refused) return nullptr;
      if (grow) {
        block* b = allocate(sc.capacity, is_large, this);
        if (b == nullptr) {
          lock.lock();
          --sc.allocated;
          ++exhausted;
          lock.unlock();
          return nullptr;
        }
        sc.owner_free = b;
      }
    }
    block* b = sc.owner_free;
    sc.owner_free = b->next;
    b->next = nullptr;
    b->size = 0;
    b->refs.store(1, std::memory_order_relaxed);
    acquired.store(acquired.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return b;
  }

  void count_exhausted() noexcept {
    lock.lock();
    ++exhausted;
    lock.unlock();
  }

  // From any thread: back onto the returned list, or freed once the pool is
  // gone (the core itself goes with the last block).
  void release(block* b) noexcept {
    size_class& sc = b->large ? large : small;
    lock.lock();
    ++released;
    if (!closed) {
      b->next = sc.returned;
      sc.returned = b;
      lock.unlock();
      return;
    }
    --sc.allocated;
    bool last = small.allocated + large.allocated == 0;
    lock.unlock();
    deallocate(b);
    if (last) delete this;
  }

  // The owning buffer_pool goes away: free what is not in use, keep the core
  // alive while blocks still are.
  void close() noexcept {
    lock.lock();
    closed = true;
    std::size_t freed_small = 0, freed_large = 0;
    for (size_class* sc : {&small, &large}) {
      std::size_t& freed = sc == &small ? freed_small : freed_large;
      for (block* list : {sc->owner_free, sc->returned})
        for (block* b = list; b != nullptr; b = b->next) ++freed;
      sc->allocated -= freed;
    }
    block* lists[] = {small.owner_free, small.returned, large.owner_free, large.returned};
    small.owner_free = small.returned = large.owner_free = large.returned = nullptr;
    bool last = small.allocated + large.allocated == 0;
    lock.unlock();
    for (block* l : lists) free_list(l);
    if (last) delete this;
  }

  buffer_pool_stats stats() noexcept {
    lock.lock();
    buffer_pool_stats s;
    s.small_allocated = small.allocated;
    s.large_allocated = large.allocated;
    s.in_use = acquired.load(std::memory_order_relaxed) - released;
    s.exhausted = exhausted;
    lock.unlock();
    return s;
  }
};

void release_block(block* b) noexcept { b->core->release(b); }

}  // namespace aw::proto::detail

namespace aw::proto {

unique_buffer& unique_buffer::operator=(unique_buffer&& other) noexcept {
  if (this != &other) {
    detail::unref(b_);
    b_ = other.b_;
    other.b_ = nullptr;
  }
  return *this;
}

shared_buffer unique_buffer::freeze(std::size_t size) && noexcept {
  detail::block* b = b_;
  b_ = nullptr;
  if (b != nullptr) b->size = static_cast<std::uint32_t>(size < b->capacity ? size : b->capacity);
  return shared_buffer{b};
}

buffer_pool::buffer_pool(buffer_pool_config config) : core_(new detail::pool_core(config)) {}
buffer_pool::~buffer_pool() { core_->close(); }

std::optional<unique_buffer> buffer_pool::acquire(std::size_t size) noexcept {
  detail::block* b = core_->acquire(size);
  if (b == nullptr) return std::nullopt;
  return unique_buffer{b};
}

buffer_pool_stats buffer_pool::stats() const noexcept { return core_->stats(); }

}  // namespace aw::proto
