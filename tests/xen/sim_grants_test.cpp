// The simulated hypervisor's grant tables: sharing, mapping, grant copy, lazy revocation.
#include <doctest/doctest.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <vector>

#include "xen/sim/hypervisor.hpp"

using namespace aw::xen;

namespace {
constexpr domid front = 5;  // shares its pages
constexpr domid back = 1;   // maps them
constexpr domid other = 7;

struct machine {
  std::shared_ptr<sim::hypervisor> hv = sim::hypervisor::create();
  std::unique_ptr<grant_sharer> sharer;
  std::unique_ptr<grant_mapper> mapper;
  machine() {
    (void)hv->add_domain(dom0);
    (void)hv->add_domain(back);
    (void)hv->add_domain(front);
    (void)hv->add_domain(other);
    sharer = hv->open_grant_sharer(front).value();
    mapper = hv->open_grant_mapper(back).value();
  }
};

// True when the page at p is no longer mapped in this process (no fault taken).
bool unmapped(const std::uint8_t* p) {
  return ::msync(const_cast<std::uint8_t*>(p), page_size, MS_ASYNC) != 0 && errno == ENOMEM;
}

// Runs f in a child process; returns the signal that killed it (0 if it exited).
template <class F>
int signal_of_child(F f) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::signal(SIGSEGV, SIG_DFL);  // no sanitizer report: the default action
    std::signal(SIGBUS, SIG_DFL);
    f();
    ::_exit(0);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}
}  // namespace

TEST_CASE("sim grants: a shared page is the same memory for the sharer and the mapper") {
  machine m;
  auto pages = m.sharer->share(back, 2, true);
  REQUIRE(pages);
  CHECK(pages->pages() == 2);
  CHECK(pages->bytes()[0] == 0);  // zeroed
  auto refs = pages->refs();
  auto map = m.mapper->map(front, refs, true);
  REQUIRE(map);
  std::memcpy(pages->page(1).data(), "from front", 10);
  CHECK(std::memcmp(map->page(1).data(), "from front", 10) == 0);
  map->page(0)[100] = 0x5a;
  CHECK(pages->page(0)[100] == 0x5a);
  CHECK(m.hv->mappings_held(back) == 2);
}

TEST_CASE("sim grants: a page unmapped is no longer accessible") {
  machine m;
  auto pages = m.sharer->share(back, 1, true);
  REQUIRE(pages);
  auto map = m.mapper->map(front, pages->refs(), true);
  REQUIRE(map);
  const std::uint8_t* where = map->bytes().data();
  CHECK(signal_of_child([&] { (void)*static_cast<const volatile std::uint8_t*>(where); }) == 0);
  map->reset();
  CHECK_FALSE(map->mapped());
  CHECK(m.hv->mappings_held(back) == 0);
  CHECK(unmapped(where));
  CHECK(signal_of_child([&] { (void)*static_cast<const volatile std::uint8_t*>(where); }) == SIGSEGV);
}

TEST_CASE("sim grants: a moved mapping owns the pages and the moved-from one owns nothing") {
  machine m;
  auto pages = m.sharer->share(back, 1, true);
  REQUIRE(pages);
  auto map = m.mapper->map(front, pages->refs(), true);
  REQUIRE(map);
  const std::uint8_t* where = map->bytes().data();
  grant_mapping moved = std::move(*map);
  CHECK_FALSE(map->mapped());
  CHECK(moved.mapped());
  map->reset();  // no effect on the pages
  CHECK_FALSE(unmapped(where));
  {
    grant_mapping scoped = std::move(moved);
  }
  CHECK(unmapped(where));
}

TEST_CASE("sim grants: a mapping keeps working after its mapper handle is gone") {
  machine m;
  auto pages = m.sharer->share(back, 1, true);
  REQUIRE(pages);
  auto map = m.mapper->map(front, pages->refs(), false);
  REQUIRE(map);
  m.mapper.reset();
  pages->page(0)[0] = 9;
  CHECK(map->page(0)[0] == 9);
  map->reset();
  CHECK(m.hv->mappings_held(back) == 0);
}

TEST_CASE("sim grants: mapping refuses foreign refs, unknown refs, unknown domains and writes to read-only grants") {
  machine m;
  auto for_other = m.sharer->share(other, 1, true);
  auto read_only = m.sharer->share(back, 1, false);
  REQUIRE(for_other);
  REQUIRE(read_only);
  CHECK(m.mapper->map(front, for_other->refs(), false).error() == xen_error::bad_grant_ref);
  const grant_ref unknown[] = {4000};
  CHECK(m.mapper->map(front, unknown, false).error() == xen_error::bad_grant_ref);
  CHECK(m.mapper->map(99, read_only->refs(), false).error() == xen_error::bad_domain);
  CHECK(m.mapper->map(front, read_only->refs(), true).error() == xen_error::read_only_grant);
  auto ro = m.mapper->map(front, read_only->refs(), false);
  REQUIRE(ro);
  std::uint8_t* where = ro->page(0).data();
  CHECK(signal_of_child([&] { *static_cast<volatile std::uint8_t*>(where) = 1; }) == SIGSEGV);
  CHECK(m.hv->mappings_held(back) == 1);
}

TEST_CASE("sim grants: grant copy reports a status per segment") {
  machine m;
  auto rw = m.sharer->share(back, 1, true);
  auto ro = m.sharer->share(back, 1, false);
  auto theirs = m.sharer->share(other, 1, true);
  REQUIRE(rw);
  REQUIRE(ro);
  REQUIRE(theirs);
  std::memcpy(ro->page(0).data() + 10, "read-only data", 14);
  alignas(4096) static std::uint8_t local[4096];
  std::memset(local, 0, sizeof local);
  std::memcpy(local, "to the frontend", 15);

  copy_segment segs[5];
  // 0: local → writable grant: okay
  segs[0] = {copy_endpoint::local_source(local), copy_endpoint::granted(front, rw->refs()[0], 100), 15};
  // 1: read-only grant → local: okay
  segs[1] = {copy_endpoint::granted(front, ro->refs()[0], 10), copy_endpoint::local_buffer(local + 2048), 14};
  // 2: local → read-only grant: general error (-1)
  segs[2] = {copy_endpoint::local_source(local), copy_endpoint::granted(front, ro->refs()[0], 0), 4};
  // 3: a ref granted to another domain: bad ref (-3)
  segs[3] = {copy_endpoint::granted(front, theirs->refs()[0], 0), copy_endpoint::local_buffer(local + 3000), 4};
  // 4: a domain that does not exist: bad domain (-2)
  segs[4] = {copy_endpoint::granted(99, 8, 0), copy_endpoint::local_buffer(local + 3000), 4};
  REQUIRE(m.mapper->copy(segs));
  CHECK(segs[0].status == grant_status::okay);
  CHECK(segs[1].status == grant_status::okay);
  CHECK(static_cast<int>(segs[2].status) == -1);
  CHECK(static_cast<int>(segs[3].status) == -3);
  CHECK(static_cast<int>(segs[4].status) == -2);
  CHECK(std::memcmp(rw->page(0).data() + 100, "to the frontend", 15) == 0);
  CHECK(std::memcmp(local + 2048, "read-only data", 14) == 0);
  CHECK(ro->page(0)[0] == 0);  // untouched
}

TEST_CASE("sim grants: copy crossing a page boundary fails the whole call with EINVAL") {
  machine m;
  auto rw = m.sharer->share(back, 1, true);
  REQUIRE(rw);
  alignas(4096) static std::uint8_t local[8192];
  std::memset(local, 0x11, sizeof local);
  copy_segment segs[2];
  segs[0] = {copy_endpoint::local_source(local), copy_endpoint::granted(front, rw->refs()[0], 0), 16};
  segs[1] = {copy_endpoint::local_source(local), copy_endpoint::granted(front, rw->refs()[0], 4090), 16};
  CHECK(m.mapper->copy(segs).error() == xen_error::invalid_argument);
  CHECK(rw->page(0)[0] == 0);  // not even the good segment ran
  // A local buffer crossing a page is refused the same way.
  copy_segment local_cross{copy_endpoint::local_source(local + 4090), copy_endpoint::granted(front, rw->refs()[0], 0),
                           16};
  CHECK(m.mapper->copy({&local_cross, 1}).error() == xen_error::invalid_argument);
  // Exactly up to the end of the page is fine.
  copy_segment edge{copy_endpoint::local_source(local), copy_endpoint::granted(front, rw->refs()[0], 4080), 16};
  CHECK(m.mapper->copy({&edge, 1}));
  CHECK(edge.status == grant_status::okay);
}

TEST_CASE("sim grants: unsharing a page the peer still maps reclaims it only when the peer unmaps") {
  machine m;
  auto pages = m.sharer->share(back, 1, true);
  REQUIRE(pages);
  grant_ref ref = pages->refs()[0];
  auto map = m.mapper->map(front, pages->refs(), true);
  REQUIRE(map);
  CHECK(m.hv->pages_in_use(front) == 1);
  pages->reset();  // unshare succeeds at once
  CHECK_FALSE(pages->shared());
  CHECK(m.hv->grants_active(front) == 0);
  // The peer's mapping still works and the page is not handed out again.
  map->page(0)[0] = 0x77;
  CHECK(m.hv->pages_in_use(front) == 1);
  auto fresh = m.sharer->share(back, 1, true);
  REQUIRE(fresh);
  CHECK(fresh->page(0)[0] == 0);
  CHECK(m.hv->pages_in_use(front) == 2);
  // The revoked ref cannot be mapped again, nor copied from.
  const grant_ref old[] = {ref};
  CHECK(m.mapper->map(front, old, false).error() == xen_error::bad_grant_ref);
  map->reset();
  CHECK(m.hv->pages_in_use(front) == 1);
  // A reclaimed page comes back zeroed.
  fresh->reset();
  auto again = m.sharer->share(back, 2, true);
  REQUIRE(again);
  CHECK(again->page(0)[0] == 0);
  CHECK(again->page(1)[0] == 0);
}
