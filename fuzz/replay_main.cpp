// fuzz/replay_main.cpp — runs a fuzz target over files and directories of inputs
// (the committed corpora), for builds without libFuzzer. An input that does not return
// within AW_FUZZ_TIMEOUT seconds (10 by default, as libFuzzer's -timeout in CI) fails
// the replay with its name: a hang is a finding too.
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
// The input being replayed, for the timeout's message (set before each, read by the handler).
char current_input[4096] = "";

void on_timeout(int) {
  const char before[] = "replay: timeout (a hang) on ";
  (void)!::write(2, before, sizeof before - 1);
  (void)!::write(2, current_input, std::strlen(current_input));
  (void)!::write(2, "\n", 1);
  ::_exit(70);
}

unsigned timeout_seconds() {
  const char* v = std::getenv("AW_FUZZ_TIMEOUT");
  const long n = v != nullptr ? std::strtol(v, nullptr, 10) : 0;
  return n > 0 ? static_cast<unsigned>(n) : 10u;
}

int run_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", p.c_str());
    return 1;
  }
  std::vector<std::uint8_t> data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::strncpy(current_input, p.c_str(), sizeof current_input - 1);
  ::alarm(timeout_seconds());
  LLVMFuzzerTestOneInput(data.data(), data.size());
  ::alarm(0);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  struct sigaction sa {};
  sa.sa_handler = on_timeout;
  ::sigaction(SIGALRM, &sa, nullptr);
  std::size_t inputs = 0;
  int failures = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p{argv[i]};
    if (std::filesystem::is_directory(p)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(p)) {
        if (!entry.is_regular_file()) continue;
        failures += run_file(entry.path());
        ++inputs;
      }
    } else {
      failures += run_file(p);
      ++inputs;
    }
  }
  std::printf("replayed %zu inputs\n", inputs);
  // An empty corpus is a broken test, not a pass.
  return (failures != 0 || inputs == 0) ? 1 : 0;
}
