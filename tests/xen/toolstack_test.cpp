// What the simulated toolstack (libxl, as dom0) writes to XenStore, checked through the project's xenstored.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "xenbus_peers.hpp"

using namespace aw;
using namespace aw::xen;
using aw::test::be_path;
using aw::test::xenstored_fixture;

namespace {

// Forwards to a real connection and records each write with its transaction, and each
// transaction end; after_write runs after every forwarded write (to inject a concurrent writer).
class recording_xenstore final : public xenstore {
 public:
  struct write_op {
    std::string path, value;
    xs_transaction t;
  };
  struct end_op {
    xs_transaction t;
    bool commit;
  };

  explicit recording_xenstore(xenstore& inner) : inner_(inner) {}

  std::vector<write_op> writes;
  std::vector<end_op> ends;
  std::function<void()> after_write;

  xen_result<std::string> read(std::string_view path, xs_transaction t) override { return inner_.read(path, t); }
  status write(std::string_view path, std::string_view value, xs_transaction t) override {
    writes.push_back({std::string{path}, std::string{value}, t});
    status s = inner_.write(path, value, t);
    if (after_write) after_write();
    return s;
  }
  status mkdir(std::string_view path, xs_transaction t) override { return inner_.mkdir(path, t); }
  status rm(std::string_view path, xs_transaction t) override { return inner_.rm(path, t); }
  xen_result<std::vector<std::string>> directory(std::string_view path, xs_transaction t) override {
    return inner_.directory(path, t);
  }
  xen_result<xs_permissions> get_permissions(std::string_view path, xs_transaction t) override {
    return inner_.get_permissions(path, t);
  }
  status set_permissions(std::string_view path, const xs_permissions& perms, xs_transaction t) override {
    return inner_.set_permissions(path, perms, t);
  }
  xen_result<xs_transaction> transaction_start() override { return inner_.transaction_start(); }
  status transaction_end(xs_transaction t, bool commit) override {
    ends.push_back({t, commit});
    return inner_.transaction_end(t, commit);
  }
  status watch(std::string_view path, std::string_view token) override { return inner_.watch(path, token); }
  status unwatch(std::string_view path, std::string_view token) override { return inner_.unwatch(path, token); }
  int watch_fd() const noexcept override { return inner_.watch_fd(); }
  xen_result<std::vector<xs_watch_event>> read_watch_events() override { return inner_.read_watch_events(); }
  xen_result<std::string> get_domain_path(domid d) override { return inner_.get_domain_path(d); }

 private:
  xenstore& inner_;
};

const vif_spec vif{.backend = test::backend_dom, .frontend = test::fe_dom, .ip = "10.137.0.10"};

}  // namespace

TEST_CASE("toolstack: a vif detach writes online=0 and Closing in one committed transaction") {
  xenstored_fixture f;
  auto d0 = f.client(dom0);
  REQUIRE(d0);
  REQUIRE(attach_vif(*d0, vif));
  recording_xenstore rec{*d0};
  REQUIRE(request_vif_detach(rec, vif));
  REQUIRE(rec.writes.size() == 2);
  CHECK(rec.writes[0].path == be_path + "/online");
  CHECK(rec.writes[1].path == be_path + "/state");
  CHECK(rec.writes[0].t != no_transaction);
  CHECK(rec.writes[1].t == rec.writes[0].t);
  REQUIRE(rec.ends.size() == 1);
  CHECK(rec.ends[0].t == rec.writes[0].t);
  CHECK(rec.ends[0].commit);
  CHECK(d0->read(be_path + "/online").value() == "0");
  CHECK(d0->read(be_path + "/state").value() == "5");
}

TEST_CASE("toolstack: a vif detach that conflicts with a concurrent backend write is run again and sets both keys") {
  xenstored_fixture f;
  auto d0 = f.client(dom0);
  auto be = f.client(test::backend_dom);
  REQUIRE(d0);
  REQUIRE(be);
  REQUIRE(attach_vif(*d0, vif));
  recording_xenstore rec{*d0};
  bool raced = false;
  rec.after_write = [&] {
    if (raced) return;
    raced = true;
    REQUIRE(be->write(be_path + "/state", "4"));  // the backend moving on meanwhile: a conflict
  };
  REQUIRE(request_vif_detach(rec, vif));
  CHECK(rec.writes.size() == 4);  // both writes, twice
  REQUIRE(rec.ends.size() == 2);
  CHECK(rec.ends[1].t == rec.writes[3].t);
  CHECK(d0->read(be_path + "/online").value() == "0");
  CHECK(d0->read(be_path + "/state").value() == "5");
}

TEST_CASE("toolstack: a vif detach after the backend directory is gone writes nothing (it would create it again)") {
  xenstored_fixture f;
  auto d0 = f.client(dom0);
  REQUIRE(d0);
  REQUIRE(attach_vif(*d0, vif));
  REQUIRE(d0->rm(be_path));
  recording_xenstore rec{*d0};
  CHECK(request_vif_detach(rec, vif));
  CHECK(rec.writes.empty());
  CHECK(d0->read(be_path + "/state").error() == xen_error::not_found);
  CHECK(d0->read(be_path).error() == xen_error::not_found);
}
