// app/link_device.hpp — a Linux link as a port's frame device. The link is shared so a
// port restarted after a crash takes over the same device; a gone device (a TAP deleted
// with its namespace) is replaced by a new one (app/main.cpp, tap_devices).
#pragma once

#include <memory>

#include "actors/frame_device.hpp"
#include "link/link.hpp"
#include "protocol/counter_lines.hpp"

namespace aw::app {

class link_device final : public actors::frame_device {
 public:
  explicit link_device(std::shared_ptr<link::link> l) : link_(std::move(l)) {}
  int fd() const override { return link_->fd(); }
  std::size_t receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) override {
    return link_->receive(out, max, pool);
  }
  std::size_t send(std::span<const proto::packet> frames) override {
    // Frames the kernel queue cannot take now are dropped (and counted by the link).
    return link_->send(frames);
  }
  bool gone() const override { return link_->gone(); }
  std::string counters(const std::string& prefix) const override {
    std::string out;
    link::for_each_counter(link_->counters(), [&](std::string_view name, std::uint64_t v) {
      proto::append_nonzero_counter(out, prefix, name, v);
    });
    return out;
  }

 private:
  std::shared_ptr<link::link> link_;
};

}  // namespace aw::app
