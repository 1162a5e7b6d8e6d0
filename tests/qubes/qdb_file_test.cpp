// tests/qubes/qdb_file_test.cpp — QubesDB-format text files: the format and each way a line is refused.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "qdb_test_support.hpp"
#include "qubes/qdb_file.hpp"

using namespace aw::qubes;

TEST_CASE("qdb file: key, one space, value to the end of the line") {
  auto m = parse_qdb_text(
      "# sys-firewall for the lab\n"
      "/qubes-ip 10.137.0.2\n"
      "\n"
      "/qubes-firewall/10.137.0.5 \n"
      "/qubes-firewall/10.137.0.5/0000 action=accept proto=tcp dstports=443-443\n"
      "/qubes-firewall/10.137.0.5/policy drop\n"
      "/empty-without-space\n"
      "/qubes-vm-type ProxyVM");  // no final newline
  REQUIRE(m.has_value());
  CHECK(*m == qdb_map{{"/qubes-ip", "10.137.0.2"},
                      {"/qubes-firewall/10.137.0.5", ""},
                      {"/qubes-firewall/10.137.0.5/0000", "action=accept proto=tcp dstports=443-443"},
                      {"/qubes-firewall/10.137.0.5/policy", "drop"},
                      {"/empty-without-space", ""},
                      {"/qubes-vm-type", "ProxyVM"}});
}

TEST_CASE("qdb file: formatting and parsing round-trip") {
  qdb_map m{{"/a", ""}, {"/b", "two words"}, {"/c/d", "x"}};
  auto back = parse_qdb_text(format_qdb_text(m));
  REQUIRE(back.has_value());
  CHECK(*back == m);
}

TEST_CASE("qdb file: each refused line is reported with its number") {
  struct bad_case {
    const char* text;
    std::size_t line;
    const char* reason_start;
  };
  const bad_case cases[] = {
      {"/ok 1\nrelative 2\n", 2, "bad key"},
      {"/dir/ value\n", 1, "bad key"},
      {"/a b\n/a c\n", 2, "/a: key given twice"},
      {" /a b\n", 1, "leading whitespace"},
      {"\t/a b\n", 1, "leading whitespace"},
      {"/a b\r\n", 1, "/a: control character"},
      {"/a b\tc\n", 1, "/a: control character"},
      {"/with\ttab b\n", 1, "bad key"},
      {"/k\xc3\xa9 v\n", 1, "bad key"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto r = parse_qdb_text(c.text);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().line == c.line);
    CHECK(r.error().reason.rfind(c.reason_start, 0) == 0);
  }
  auto long_value = parse_qdb_text("/a " + std::string(3073, 'x'));
  CHECK(long_value.error().reason == "/a: value longer than 3072 bytes");
  auto long_key = parse_qdb_text("/" + std::string(63, 'k') + " v");
  CHECK(long_key.error().reason.rfind("bad key", 0) == 0);
}

TEST_CASE("qdb file: loading names the file") {
  aw::qubes::test::temp_dir dir;
  std::string path = dir.file("qubesdb.txt");
  {
    std::ofstream out(path);
    out << "/qubes-ip 10.137.0.2\n/qubes-ip 10.137.0.3\n";
  }
  auto r = load_qdb_file(path);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message() == "line 2: " + path + ": /qubes-ip: key given twice");
  auto missing = load_qdb_file(dir.file("absent.txt"));
  CHECK(missing.error().line == 0);
}
