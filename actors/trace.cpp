// actors/trace.cpp — trace-event JSON and pcap writers (formats: the Chrome "Trace Event
// Format" instant events with thread-name metadata; libpcap 2.4, microseconds, Ethernet).
#include "actors/trace.hpp"

#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include "protocol/dissect.hpp"
#include "protocol/json_string.hpp"

namespace aw::actors {
namespace {
using proto::json_escape;

std::uint64_t now_us() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// Interface names become file names: anything but [A-Za-z0-9._-] is replaced.
std::string file_safe(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  return out.empty() ? std::string{"unnamed"} : out;
}

template <class T>
void put(std::FILE* f, T v) {
  std::fwrite(&v, sizeof v, 1, f);
}

}  // namespace

tracer& tracer::instance() {
  static tracer t;
  return t;
}

bool tracer::start(const trace_config& config) {
  std::lock_guard lock(mu_);
  config_ = config;
  if (!config.json_path.empty()) {
    json_ = std::fopen(config.json_path.c_str(), "w");
    if (json_ == nullptr) return false;
    std::fputs("[\n", json_);
    std::fprintf(json_, R"({"name":"process_name","ph":"M","pid":1,"tid":0,"args":{"name":"actorwall"}})");
    messages_.store(true, std::memory_order_relaxed);
  }
  if (config.pcap_dir) {
    std::error_code ec;
    std::filesystem::create_directories(*config.pcap_dir, ec);
    if (ec) return false;
    frames_.store(true, std::memory_order_relaxed);
  }
  return true;
}

void tracer::stop() {
  messages_.store(false, std::memory_order_relaxed);
  frames_.store(false, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  if (json_ != nullptr) {
    std::fputs("\n]\n", json_);
    std::fclose(json_);
    json_ = nullptr;
  }
  for (auto& [name, c] : pcaps_)
    if (c.file != nullptr) std::fclose(c.file);
  pcaps_.clear();
  tids_.clear();
  events_ = 0;
}

std::uint32_t tracer::tid_of(std::string_view actor) {
  if (auto it = tids_.find(actor); it != tids_.end()) return it->second;
  const auto tid = static_cast<std::uint32_t>(tids_.size() + 1);
  tids_.emplace(std::string{actor}, tid);
  // A metadata event names the track of this actor.
  std::fprintf(json_, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"args\":{\"name\":\"%s\"}}", tid,
               json_escape(actor).c_str());
  return tid;
}

void tracer::message(std::string_view from, std::string_view to, std::string_view type,
                     std::span<const proto::packet> batch, bool ethernet) {
  if (!messages_on()) return;
  std::string summary;
  if (!batch.empty()) {
    std::vector<std::uint8_t> head(std::min<std::size_t>(batch[0].size(), 256));
    batch[0].copy_to(head);
    summary = proto::describe(ethernet ? proto::dissect_frame(head) : proto::dissect_ip(head));
  }
  const auto ts = now_us();
  std::lock_guard lock(mu_);
  if (json_ == nullptr) return;
  if (events_ >= config_.max_events) {
    messages_.store(false, std::memory_order_relaxed);  // the file stays a valid array
    return;
  }
  ++events_;
  const auto tid = tid_of(from);
  std::fprintf(json_,
               ",\n{\"name\":\"%s\",\"cat\":\"message\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%llu,\"pid\":1,\"tid\":%u,"
               "\"args\":{\"from\":\"%s\",\"to\":\"%s\",\"batch\":%zu,\"first\":\"%s\"}}",
               json_escape(type).c_str(), static_cast<unsigned long long>(ts), tid, json_escape(from).c_str(),
               json_escape(to).c_str(), batch.size(), json_escape(summary).c_str());
}

std::FILE* tracer::pcap_of(std::string_view interface) {
  auto it = pcaps_.find(interface);
  if (it == pcaps_.end()) {
    const auto path = std::filesystem::path(*config_.pcap_dir) / (file_safe(interface) + ".pcap");
    capture c;
    c.file = std::fopen(path.c_str(), "wb");
    if (c.file != nullptr) {
      put<std::uint32_t>(c.file, 0xa1b2c3d4u);  // microsecond timestamps, host byte order
      put<std::uint16_t>(c.file, 2);
      put<std::uint16_t>(c.file, 4);
      put<std::int32_t>(c.file, 0);
      put<std::uint32_t>(c.file, 0);
      put<std::uint32_t>(c.file, 65535 + 14);  // snaplen: a 64 KiB GSO frame
      put<std::uint32_t>(c.file, 1);           // LINKTYPE_ETHERNET
      c.bytes = 24;
    }
    it = pcaps_.emplace(std::string{interface}, c).first;
  }
  auto& c = it->second;
  if (c.file == nullptr || c.bytes >= config_.max_pcap_bytes) return nullptr;
  return c.file;
}

void tracer::frames(std::string_view interface, std::span<const proto::packet> frames) {
  if (!frames_on() || frames.empty()) return;
  const auto ts = now_us();
  std::vector<std::uint8_t> bytes;
  std::lock_guard lock(mu_);
  std::FILE* f = pcap_of(interface);
  if (f == nullptr) return;
  for (const auto& p : frames) {
    bytes.resize(p.size());
    p.copy_to(bytes);
    put<std::uint32_t>(f, static_cast<std::uint32_t>(ts / 1'000'000));
    put<std::uint32_t>(f, static_cast<std::uint32_t>(ts % 1'000'000));
    put<std::uint32_t>(f, static_cast<std::uint32_t>(bytes.size()));
    put<std::uint32_t>(f, static_cast<std::uint32_t>(bytes.size()));
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    pcaps_.find(interface)->second.bytes += 16 + bytes.size();
  }
  std::fflush(f);
}

}  // namespace aw::actors
