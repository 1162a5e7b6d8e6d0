// fuzz/xenstore_wire_fuzzer.cpp — arbitrary client bytes into the simulated xenstored's
// decoder and dispatcher, from three clients (dom0, a backend, a frontend).
// Input: a sequence of chunks [client selector][length][bytes]. Every reply
// must be a well-formed frame and the tree must stay consistent; any
// inconsistency aborts.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "xen/sim/xs_store.hpp"

namespace {
using namespace aw::xen;
using namespace aw::xen::sim;

void require(bool ok) {
  if (!ok) std::abort();
}

// Replies and events: whole frames, payload within the protocol's limit.
void check_output(std::vector<std::uint8_t>& out) {
  std::size_t pos = 0;
  while (pos < out.size()) {
    require(out.size() - pos >= xs_header_size);
    auto h = decode_header(std::span<const std::uint8_t, xs_header_size>{out.data() + pos, xs_header_size});
    require(h.len <= xs_payload_max);
    require(out.size() - pos - xs_header_size >= h.len);
    pos += xs_header_size + h.len;
  }
  out.clear();
}

void check_tree(const xs_tree& t) {
  for (const auto& [path, node] : t.nodes()) {
    require(!node.perms.empty());
    for (const auto& child : node.children) {
      std::string full = path == "/" ? "/" + child : path + "/" + child;
      require(t.find(full) != nullptr);
    }
    if (path == "/") continue;
    auto slash = path.rfind('/');
    std::string parent = slash == 0 ? "/" : path.substr(0, slash);
    const xs_node* p = t.find(parent);
    require(p != nullptr && p->children.count(path.substr(slash + 1)) == 1);
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  xs_limits limits;
  limits.max_nodes = 200;
  limits.max_nodes_per_domain = 40;
  limits.max_watches_per_connection = 8;
  limits.max_transactions_per_connection = 4;
  limits.max_output_bytes = 64 * 1024;
  xs_store store(limits);
  store.introduce(1);
  store.introduce(5);
  const domid doms[3] = {dom0, 1, 5};
  xs_store::conn_id conns[3];
  for (int i = 0; i < 3; ++i) conns[i] = store.connect(doms[i]);

  std::size_t pos = 0;
  while (pos + 2 <= size) {
    unsigned who = data[pos] % 3u;
    std::size_t len = data[pos + 1];
    if (len == 255) len = size;  // "the rest"
    pos += 2;
    len = std::min(len, size - pos);
    bool alive = store.receive(conns[who], std::span<const std::uint8_t>{data + pos, len});
    pos += len;
    for (auto c : conns) {
      if (auto* out = store.output(c)) check_output(*out);
    }
    if (!alive) {
      store.disconnect(conns[who]);
      conns[who] = store.connect(doms[who]);
    }
  }
  check_tree(store.tree());
  require(store.tree().size() <= limits.max_nodes);
  return 0;
}
