// tests/actors/fake_device.hpp — an in-memory frame device with a real eventfd, for actor tests.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "actors/frame_device.hpp"
#include "protocol/packet.hpp"

namespace aw::test {

class fake_device final : public actors::frame_device {
 public:
  fake_device() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~fake_device() override { ::close(fd_); }

  int fd() const override { return fd_; }

  std::size_t receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) override {
    std::lock_guard<std::mutex> g{m_};
    ++receives_;
    for (; hold_small_ > 0; --hold_small_) {  // test side: blocks taken from the port's pool
      auto b = pool.acquire(1);
      if (!b) break;
      held_.push_back(std::move(*b));
    }
    if (starving_) {
      // Every large block of the port's pool held here (as by frames queued elsewhere):
      // nothing can be received, and the frames stay, the fd readable, as on a TAP.
      while (auto b = pool.acquire(10000)) held_.push_back(std::move(*b));
      return 0;
    }
    std::size_t n = 0;
    while (!inbox_.empty() && n < max) {
      auto p = proto::make_packet(pool, inbox_.front());
      inbox_.pop_front();
      if (p) out.push_back(std::move(*p)), ++n;
    }
    if (inbox_.empty()) {
      std::uint64_t v;
      [[maybe_unused]] auto r = ::read(fd_, &v, sizeof v);  // no longer readable
    }
    return n;
  }

  std::size_t send(std::span<const proto::packet> frames) override {
    std::lock_guard<std::mutex> g{m_};
    for (const auto& f : frames) {
      std::vector<std::uint8_t> v(f.size());
      f.copy_to(v);
      outbox_.push_back(std::move(v));
    }
    cv_.notify_all();
    return frames.size();
  }

  std::string counters(const std::string& prefix) const override {
    return prefix + "fake 1\n";
  }

  std::size_t tx_queued() const override { return queued_; }
  void flush() override {  // takes the notification, as a netfront takes its events
    ++flushes_;
    std::uint64_t v;
    [[maybe_unused]] auto r = ::read(fd_, &v, sizeof v);
  }

  bool gone() const override { return gone_; }
  // Test side: frames taken by send() that wait for room on the link (a full ring). Set to
  // 0: room again, and readable so the port notices (as a netfront's tx responses).
  void set_queued(std::size_t n) {
    queued_ = n;
    if (n == 0) {
      std::uint64_t one = 1;
      [[maybe_unused]] auto r = ::write(fd_, &one, sizeof one);
    }
  }
  // The same without the event (the port finds out at its next look).
  void set_queued_quietly(std::size_t n) { queued_ = n; }
  [[nodiscard]] std::size_t flushes() const { return flushes_; }
  // Test side: the device goes for good (as a TAP with its namespace); readable so the
  // port notices.
  void make_gone() {
    gone_ = true;
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(fd_, &one, sizeof one);
  }

  // Test side: the port's pool runs dry (its blocks held until feed_pool()); receive()
  // calls are counted.
  void starve_pool() {
    std::lock_guard<std::mutex> g{m_};
    starving_ = true;
  }
  void feed_pool() {
    std::lock_guard<std::mutex> g{m_};
    starving_ = false;
    held_.clear();
  }
  [[nodiscard]] std::size_t receives() const { return receives_; }
  // Test side: at the next receive(), takes n small blocks of the port's pool and keeps them
  // (no refusal if n is what the pool has left), then the fd is readable for it.
  void hold_small_blocks(std::size_t n) {
    {
      std::lock_guard<std::mutex> g{m_};
      hold_small_ = n;
    }
    make_readable();
  }
  void make_readable() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(fd_, &one, sizeof one);
  }

  // Test side: a frame arrives from the wire.
  void inject(std::vector<std::uint8_t> frame) {
    std::lock_guard<std::mutex> g{m_};
    inbox_.push_back(std::move(frame));
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(fd_, &one, sizeof one);
  }
  // Test side: waits for the n-th transmitted frame (0-based).
  bool wait_sent(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
    std::unique_lock<std::mutex> g{m_};
    return cv_.wait_for(g, timeout, [&] { return outbox_.size() > n; });
  }
  std::vector<std::uint8_t> sent(std::size_t i) {
    std::lock_guard<std::mutex> g{m_};
    return outbox_.at(i);
  }
  std::size_t sent_count() {
    std::lock_guard<std::mutex> g{m_};
    return outbox_.size();
  }
  std::size_t pending() {
    std::lock_guard<std::mutex> g{m_};
    return inbox_.size();
  }

 private:
  std::atomic<bool> gone_{false};
  std::atomic<std::size_t> queued_{0}, flushes_{0}, receives_{0};
  bool starving_ = false;
  std::size_t hold_small_ = 0;
  std::vector<proto::unique_buffer> held_;
  int fd_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::vector<std::uint8_t>> inbox_;
  std::deque<std::vector<std::uint8_t>> outbox_;
};

}  // namespace aw::test
