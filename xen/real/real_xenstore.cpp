// xen/real/real_xenstore.cpp — the xenstore interface over libxenstore.
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>

#include "xen/real/libxen_c.hpp"
#include "xen/real/real_xen.hpp"

using c_xs_permissions = struct xs_permissions;

namespace aw::xen::real {
namespace {

struct c_free {
  void operator()(void* p) const noexcept { std::free(p); }
};
template <class T>
using c_ptr = std::unique_ptr<T, c_free>;

xen_error last_error() { return from_errno(errno); }

class real_xenstore final : public xenstore {
 public:
  explicit real_xenstore(xs_handle* h) : h_(h) {}
  ~real_xenstore() override { xs_close(h_); }

  xen_result<std::string> read(std::string_view path, xs_transaction t) override {
    std::string p{path};
    unsigned len = 0;
    c_ptr<char> v{static_cast<char*>(xs_read(h_, t, p.c_str(), &len))};
    if (!v) return last_error();
    return std::string(v.get(), len);
  }

  status write(std::string_view path, std::string_view value, xs_transaction t) override {
    std::string p{path};
    if (!xs_write(h_, t, p.c_str(), value.data(), static_cast<unsigned>(value.size()))) return last_error();
    return done{};
  }

  status mkdir(std::string_view path, xs_transaction t) override {
    std::string p{path};
    if (!xs_mkdir(h_, t, p.c_str())) return last_error();
    return done{};
  }

  status rm(std::string_view path, xs_transaction t) override {
    std::string p{path};
    if (!xs_rm(h_, t, p.c_str())) return last_error();
    return done{};
  }

  xen_result<std::vector<std::string>> directory(std::string_view path, xs_transaction t) override {
    std::string p{path};
    unsigned n = 0;
    c_ptr<char*> names{xs_directory(h_, t, p.c_str(), &n)};
    if (!names) return last_error();
    std::vector<std::string> out;
    out.reserve(n);
    for (unsigned i = 0; i < n; ++i) out.emplace_back(names.get()[i]);
    return out;
  }

  xen_result<xs_permissions> get_permissions(std::string_view path, xs_transaction t) override {
    std::string p{path};
    unsigned n = 0;
    c_ptr<c_xs_permissions> perms{xs_get_permissions(h_, t, p.c_str(), &n)};
    if (!perms) return last_error();
    xen::xs_permissions out;
    for (unsigned i = 0; i < n; ++i) {
      const auto& e = perms.get()[i];
      out.push_back({static_cast<domid>(e.id), static_cast<xs_access>(e.perms & 3u)});
    }
    return out;
  }

  status set_permissions(std::string_view path, const xen::xs_permissions& perms, xs_transaction t) override {
    std::string p{path};
    std::vector<c_xs_permissions> c(perms.size());
    for (std::size_t i = 0; i < perms.size(); ++i) {
      c[i].id = perms[i].domain;
      c[i].perms = static_cast<unsigned>(perms[i].access);
    }
    if (!xs_set_permissions(h_, t, p.c_str(), c.data(), static_cast<unsigned>(c.size()))) return last_error();
    return done{};
  }

  xen_result<xs_transaction> transaction_start() override {
    xs_transaction_t t = xs_transaction_start(h_);
    if (t == XBT_NULL) return last_error();
    return t;
  }

  status transaction_end(xs_transaction t, bool commit) override {
    if (!xs_transaction_end(h_, t, !commit)) return last_error();
    return done{};
  }

  status watch(std::string_view path, std::string_view token) override {
    std::string p{path}, tok{token};
    if (!xs_watch(h_, p.c_str(), tok.c_str())) return last_error();
    return done{};
  }

  status unwatch(std::string_view path, std::string_view token) override {
    std::string p{path}, tok{token};
    if (!xs_unwatch(h_, p.c_str(), tok.c_str())) return last_error();
    return done{};
  }

  int watch_fd() const noexcept override { return xs_fileno(h_); }

  xen_result<std::vector<xs_watch_event>> read_watch_events() override {
    std::vector<xs_watch_event> out;
    for (;;) {
      c_ptr<char*> ev{xs_check_watch(h_)};
      if (!ev) {
        if (errno == EAGAIN) return out;
        return last_error();
      }
      out.push_back({ev.get()[XS_WATCH_PATH], ev.get()[XS_WATCH_TOKEN]});
    }
  }

  xen_result<std::string> get_domain_path(domid d) override {
    c_ptr<char> p{xs_get_domain_path(h_, d)};
    if (!p) return last_error();
    return std::string(p.get());
  }

 private:
  xs_handle* h_;
};

}  // namespace

xen_result<std::unique_ptr<xenstore>> open_xenstore(std::string_view socket_path) {
  // libxenstore has no call that takes a socket path: xs_open reads $XENSTORED_PATH (for the
  // socket, then for the device it falls back to, so a dead socket fails instead of reaching
  // the real /dev/xen/xenbus). So the variable holds socket_path only for the xs_open call,
  // under a lock every xs_open of this process takes (xs_open is the variable's only reader),
  // and is restored before the lock is released: no other opener sees the path or loses its own.
  static std::mutex env_lock;
  const std::string path{socket_path};
  std::scoped_lock lock{env_lock};
  std::optional<std::string> saved;
  if (!path.empty()) {
    if (const char* previous = std::getenv("XENSTORED_PATH")) saved = previous;
    if (::setenv("XENSTORED_PATH", path.c_str(), 1) != 0) return last_error();
  }
  xs_handle* h = xs_open(0);
  const int open_errno = errno;
  if (!path.empty()) {
    if (saved) ::setenv("XENSTORED_PATH", saved->c_str(), 1);
    else ::unsetenv("XENSTORED_PATH");
  }
  if (h == nullptr) return from_errno(open_errno);
  return std::unique_ptr<xenstore>(std::make_unique<real_xenstore>(h));
}

}  // namespace aw::xen::real
