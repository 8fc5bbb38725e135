#pragma once

// One connection of the native io_uring loop (uring_loop.cpp): its socket, the bytes in and
// out, the request being parsed and answered, and where it stands.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/http/exchange.hpp"
#include "server/http/uring_send.hpp"

namespace zhiyuan::server::uring {

struct connection {
  int fd = -1;
  std::uint32_t generation = 0;
  std::optional<client_origin> origin;  ///< the client: TCP peer, PROXY header, X-Forwarded-For
  std::string in;                       ///< received bytes not parsed yet
  std::string out;                      ///< answers waiting for the send in flight
  std::vector<shared_piece> pieces;     ///< shared bodies placed in `out`
  outgoing sending;
  std::optional<request_parser> parser;
  std::optional<exchange> ex;  ///< the request being answered
  response res;
  std::string chunk;  ///< a stream step's bytes
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  bool head_done = false;
  bool recv_armed = false;
  bool send_inflight = false;
  bool busy = false;       ///< a coroutine runs for it (handler, admission, stream step)
  bool streaming = false;  ///< a chunked body is being sent
  bool close_after = false;
  bool closing = false;  ///< no further request: shut down once `out` is sent
  bool shut = false;
  bool timed_out = false;
};

}  // namespace zhiyuan::server::uring
