// xenbus states and the strict parsing of values another domain wrote.
#include <doctest/doctest.h>

#include "xen/xenbus.hpp"

using namespace aw::xen;

TEST_CASE("xenbus: states parse from their decimal values and format back") {
  CHECK(parse_xenbus_state("1") == xenbus_state::initialising);
  CHECK(parse_xenbus_state("4") == xenbus_state::connected);
  CHECK(parse_xenbus_state("6") == xenbus_state::closed);
  CHECK(format_xenbus_state(xenbus_state::init_wait) == "2");
  CHECK(to_string(xenbus_state::closing) == "closing");
}

TEST_CASE("xenbus: a state outside 0..8 or in a non-canonical form is refused") {
  CHECK_FALSE(parse_xenbus_state("9"));
  CHECK_FALSE(parse_xenbus_state("04"));
  CHECK_FALSE(parse_xenbus_state("4\n"));
  CHECK_FALSE(parse_xenbus_state(" 4"));
  CHECK_FALSE(parse_xenbus_state("+4"));
  CHECK_FALSE(parse_xenbus_state(""));
  CHECK_FALSE(parse_xenbus_state("connected"));
}

TEST_CASE("xenbus: unsigned values are canonical decimal within 32 bits") {
  CHECK(parse_xs_uint("0") == 0u);
  CHECK(parse_xs_uint("768") == 768u);
  CHECK(parse_xs_uint("4294967295") == 4294967295u);
  CHECK_FALSE(parse_xs_uint("4294967296"));
  CHECK_FALSE(parse_xs_uint("-1"));
  CHECK_FALSE(parse_xs_uint("0x10"));
  CHECK_FALSE(parse_xs_uint("12a"));
  CHECK_FALSE(parse_xs_uint("007"));
}

TEST_CASE("xenbus: feature flags are exactly 0 or 1") {
  CHECK(parse_xs_bool("1") == true);
  CHECK(parse_xs_bool("0") == false);
  CHECK_FALSE(parse_xs_bool("2"));
  CHECK_FALSE(parse_xs_bool("true"));
  CHECK_FALSE(parse_xs_bool(""));
}
