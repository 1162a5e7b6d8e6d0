// actors/trace.hpp — the opt-in actor trace: messages between actors as Chrome trace-event
// JSON (load it in Perfetto or chrome://tracing) and, on request, each interface's frames
// as a pcap file (tshark, Wireshark). Off, it costs one relaxed atomic load per message.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/packet.hpp"

namespace aw::actors {

struct trace_config {
  std::string json_path;                // Chrome trace-event JSON ("" = no message trace)
  std::optional<std::string> pcap_dir;  // <dir>/<interface>.pcap per interface
  std::uint64_t max_events = 2'000'000; // then the message trace stops (the file stays valid)
  std::uint64_t max_pcap_bytes = 1ull << 30;  // per interface, then that capture stops
};

class tracer {
 public:
  static tracer& instance();

  // Opens the files; false (and nothing traced) when one cannot be created.
  bool start(const trace_config& config);
  // Ends the JSON array and closes every file; tracing is off afterwards.
  void stop();

  [[nodiscard]] bool messages_on() const noexcept { return messages_.load(std::memory_order_relaxed); }
  [[nodiscard]] bool frames_on() const noexcept { return frames_.load(std::memory_order_relaxed); }

  // One message between actors: type, batch size, a summary of its first packet.
  void message(std::string_view from, std::string_view to, std::string_view type,
               std::span<const proto::packet> batch, bool ethernet = false);
  // Frames seen on an interface (Ethernet), appended to its pcap file.
  void frames(std::string_view interface, std::span<const proto::packet> frames);

  [[nodiscard]] std::uint64_t events_written() const noexcept { return events_; }

 private:
  tracer() = default;
  std::uint32_t tid_of(std::string_view actor);  // under mu_
  std::FILE* pcap_of(std::string_view interface);  // under mu_

  std::atomic<bool> messages_{false}, frames_{false};
  std::mutex mu_;
  trace_config config_;
  std::FILE* json_ = nullptr;
  std::uint64_t events_ = 0;
  std::map<std::string, std::uint32_t, std::less<>> tids_;
  struct capture {
    std::FILE* file = nullptr;
    std::uint64_t bytes = 0;
  };
  std::map<std::string, capture, std::less<>> pcaps_;
};

}  // namespace aw::actors
