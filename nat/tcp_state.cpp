// nat/tcp_state.cpp — flag-driven TCP tracking.
#include "nat/tcp_state.hpp"

#include "protocol/tcp.hpp"

namespace aw::nat {

namespace tf = proto::tcp_flag;

tcp_tracker tcp_tracker::start(std::uint8_t flags) noexcept {
  tcp_tracker t;
  if ((flags & tf::rst) != 0) t.bits_ = syn_out | syn_in | rst;
  else if ((flags & tf::syn) != 0 && (flags & tf::ack) != 0) t.bits_ = syn_out | syn_in;  // answers an inbound SYN
  else if ((flags & tf::syn) != 0) t.bits_ = syn_out;
  else t.bits_ = syn_out | picked_up;  // mid-stream: established once the remote answers
  if ((flags & tf::fin) != 0) t.bits_ |= fin_out;
  return t;
}

void tcp_tracker::update(direction d, std::uint8_t flags) noexcept {
  const bool out = d == direction::outbound;
  // A fresh SYN on a closed connection (the 4-tuple reused) starts over.
  const bool closed = (bits_ & rst) != 0 || (bits_ & (fin_out | fin_in)) == (fin_out | fin_in);
  if (closed && (flags & tf::syn) != 0 && (flags & tf::ack) == 0) bits_ = 0;
  if ((flags & tf::rst) != 0) bits_ |= rst;
  else if (!out && (bits_ & picked_up) != 0) bits_ |= syn_in;
  if ((flags & tf::syn) != 0) bits_ |= out ? syn_out : syn_in;
  if ((flags & tf::fin) != 0) bits_ |= out ? fin_out : fin_in;
}

bool tcp_tracker::established() const noexcept {
  return (bits_ & (syn_out | syn_in)) == (syn_out | syn_in) && (bits_ & rst) == 0 &&
         (bits_ & (fin_out | fin_in)) != (fin_out | fin_in);
}

}  // namespace aw::nat
