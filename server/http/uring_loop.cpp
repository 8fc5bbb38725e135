// The native io_uring connection loop (server.io = uring, or auto where the kernel allows it):
// one ring per I/O thread, multishot accept on the thread's SO_REUSEPORT listener, multishot
// receive into a provided-buffer ring, the responses of a pipelined batch in one send, one
// io_uring_submit_and_wait per loop turn, deadlines swept at the wait's timeout. Requests are
// parsed by Beast and answered by the same exchange as the Asio loop (exchange.hpp); handlers
// that wait run as coroutines on the thread's io_context, whose foreign posts wake the ring
// through an eventfd (uring_ring.hpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include "server/http/exchange.hpp"
#include "server/http/listener.hpp"
#include "server/http/log.hpp"
#include "server/http/uring_connection.hpp"
#include "server/http/uring_ring.hpp"

namespace zhiyuan::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using clock = std::chrono::steady_clock;
using uring::op;
using uring::tag;

// Bytes a connection may hold unanswered (pipelined requests behind a slow handler, responses
// a client does not read) before it stops being read or is cut.
constexpr std::size_t out_limit = 1 << 20;
// Shared bodies one send may carry: each takes two iovecs (the text before it and itself), and
// sendmsg refuses more than IOV_MAX (1024); further requests wait for the send to complete.
constexpr std::size_t shared_pieces_limit = 256;

}  // namespace

class http_server::uring_worker {
 public:
  explicit uring_worker(http_server& owner)
      : owner_(owner), env_(owner.exchange_environment()), exec_(io_.get_executor(), &waker_) {
    waker_.fd = eventfd(0, EFD_CLOEXEC);
    if (waker_.fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  uring_worker(const uring_worker&) = delete;
  uring_worker& operator=(const uring_worker&) = delete;
  ~uring_worker() {
    if (listener_ >= 0) ::close(listener_);
    ::close(waker_.fd);
  }

  void bind(const asio::ip::tcp::endpoint& ep) {
    listener_ = uring::listen_on(ep.data(), static_cast<socklen_t>(ep.size()));
  }
  std::uint16_t bound_port() const { return uring::local_port(listener_); }

  // Runs the loop on the calling thread until stop(). The ring is created here: SINGLE_ISSUER
  // ties it to this thread. `ready` gets why it could not be created, or nothing.
  void run(std::promise<std::optional<std::string>>& ready) {
    waker_.loop_thread = std::this_thread::get_id();
    // sendfile(2) has no MSG_NOSIGNAL: a client gone mid-body must give EPIPE, not kill the
    // process, whatever the program embedding the transport does with SIGPIPE.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    ring_ = std::make_unique<uring::ring>();
    if (auto why = ring_->init()) {
      ring_.reset();
      ready.set_value(why);
      return;
    }
    ready.set_value(std::nullopt);
    arm_accept();
    arm_wake();
    arm_reactor();
    loop();
    teardown();
  }

  // Any thread: the ring thread closes its listener and its idle connections.
  void stop_accepting() {
    asio::post(exec_, [this] { close_listener(); });
  }
  // Any thread: the loop ends at its next turn.
  void stop() {
    stopped_.store(true, std::memory_order_relaxed);
    eventfd_write(waker_.fd, 1);
  }

 private:
  using connection = uring::connection;

  using executor = uring::waking_executor<asio::io_context::executor_type>;

  void loop() {
    now_ = clock::now();
    next_sweep_ = now_ + sweep_interval;
    while (!stopped_.load(std::memory_order_relaxed)) {
      if (waker_.poll_needed) {
        waker_.poll_needed = false;
        waker_.polling = true;
        io_.poll();
        waker_.polling = false;
      }
      io_uring_cqe* cqe = nullptr;
      if (waker_.poll_needed) {
        io_uring_submit_and_get_events(ring_->get());
      } else {
        const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::max(next_sweep_ - now_, clock::duration::zero()));
        __kernel_timespec ts{wait.count() / 1'000'000'000, wait.count() % 1'000'000'000};
        io_uring_submit_and_wait_timeout(ring_->get(), &cqe, 1, &ts, nullptr);
      }
      unsigned head = 0;
      unsigned seen = 0;
      // One clock read per turn: deadlines are seconds long, and reading the clock for each
      // of them cost several reads per request.
      now_ = clock::now();
      io_uring_for_each_cqe(ring_->get(), head, cqe) {
        ++seen;
        dispatch(*cqe);
      }
      io_uring_cq_advance(ring_->get(), seen);
      if (now_ >= next_sweep_) sweep(now_);
    }
  }

  void dispatch(const io_uring_cqe& cqe) {
    const tag t = uring::unpack(cqe.user_data);
    switch (t.kind) {
      case op::accept:
        on_accept(cqe);
        break;
      case op::recv:
        on_recv(t, cqe);
        break;
      case op::send:
        on_send(t, cqe);
        break;
      case op::wake:
        on_wake();
        break;
      case op::reactor:
        // A timer of the io_context is due, or a descriptor it waits on is ready.
        waker_.poll_needed = true;
        if (!(cqe.flags & IORING_CQE_F_MORE)) arm_reactor();
        break;
      case op::cancel:
        break;
    }
  }

  // --- submissions ---------------------------------------------------------------------------

  void arm_accept() {
    io_uring_sqe* sqe = ring_->sqe();
    // Non-blocking: send_now's sendfile(2) must not wait for a client that does not read.
    io_uring_prep_multishot_accept(sqe, listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    io_uring_sqe_set_data64(sqe, uring::pack({op::accept, 0, 0}));
    accept_armed_ = true;
  }
  void arm_wake() {
    io_uring_sqe* sqe = ring_->sqe();
    io_uring_prep_read(sqe, waker_.fd, &wake_value_, sizeof wake_value_, 0);
    io_uring_sqe_set_data64(sqe, uring::pack({op::wake, 0, 0}));
  }
  void arm_reactor() {
    io_uring_sqe* sqe = ring_->sqe();
    io_uring_prep_poll_multishot(sqe, uring::reactor_fd(io_), POLLIN);
    io_uring_sqe_set_data64(sqe, uring::pack({op::reactor, 0, 0}));
  }
  void arm_recv(std::uint32_t slot, connection& c) {
    io_uring_sqe* sqe = ring_->sqe();
    io_uring_prep_recv_multishot(sqe, c.fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = uring::ring::buffer_group;
    io_uring_sqe_set_data64(sqe, uring::pack({op::recv, c.generation, slot}));
    c.recv_armed = true;
  }
  // Sends what `out` holds unless a send is in flight; its completion sends the rest. True when
  // it all went at once (outgoing::send_now): no completion will follow.
  bool flush(std::uint32_t slot, connection& c) {
    if (c.send_inflight || c.out.empty() || c.shut) return false;
    c.sending.take(c.out, c.pieces);
    if (c.sending.send_now(c.fd)) {
      after_output(slot, c);
      return true;
    }
    submit_send(slot, c);
    return false;
  }
  void submit_send(std::uint32_t slot, connection& c) {
    io_uring_sqe* sqe = ring_->sqe();
    // MSG_WAITALL: the kernel retries a short send itself.
    if (const auto bytes = c.sending.plain(); !bytes.empty()) {
      io_uring_prep_send(sqe, c.fd, bytes.data(), bytes.size(), MSG_WAITALL | MSG_NOSIGNAL);
    } else {
      io_uring_prep_sendmsg(sqe, c.fd, c.sending.message(), MSG_WAITALL | MSG_NOSIGNAL);
    }
    io_uring_sqe_set_data64(sqe, uring::pack({op::send, c.generation, slot}));
    c.send_inflight = true;
    // A handler at work keeps its own deadline (server.handler_timeout), which bounds the send.
    if (!c.busy) set_deadline(c, now_ + owner_.settings_.read_timeout);
  }

  // --- completions ---------------------------------------------------------------------------

  void on_wake() {
    waker_.pending.exchange(false, std::memory_order_acq_rel);
    waker_.poll_needed = true;
    if (!stopped_.load(std::memory_order_relaxed)) arm_wake();
  }

  void on_accept(const io_uring_cqe& cqe) {
    if (!(cqe.flags & IORING_CQE_F_MORE)) accept_armed_ = false;
    if (cqe.res < 0) {
      if (!accepting_) {
        if (!accept_armed_ && listener_ >= 0) {
          ::close(listener_);  // no accept pending any more
          listener_ = -1;
        }
        return;
      }
      // Out of descriptors or memory: the sweep re-arms instead of spinning on the error.
      log_event(spdlog::level::warn, "accept_failed", {{"error", std::strerror(-cqe.res)}});
      return;
    }
    if (accepting_ && !accept_armed_) arm_accept();
    const int fd = cqe.res;
    auto& stats = owner_.stats_;
    if (stats.open_connections.load(std::memory_order_relaxed) >=
        static_cast<std::int64_t>(owner_.settings_.max_connections)) {
      stats.rejected_connections.fetch_add(1, std::memory_order_relaxed);
      ::send(fd, busy_response.data(), busy_response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      ::close(fd);
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    stats.open_connections.fetch_add(1, std::memory_order_relaxed);
    const std::uint32_t slot = allocate();
    connection& c = *slots_[slot];
    c.fd = fd;
    c.origin.emplace(uring::peer_address(fd), owner_.trusted_proxies_);
    set_deadline(c, now_ + owner_.settings_.idle_timeout);
    arm_recv(slot, c);
  }

  void on_recv(tag t, const io_uring_cqe& cqe) {
    connection* c = lookup(t);
    const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
    if (cqe.flags & IORING_CQE_F_BUFFER) {
      const unsigned id = cqe.flags >> IORING_CQE_BUFFER_SHIFT;
      // The bytes are copied into the connection: the buffer goes back at once.
      if (c != nullptr && cqe.res > 0) c->in.append(ring_->buffer(id), cqe.res);
      ring_->recycle(id);
    }
    if (c == nullptr) return;
    if (!more) c->recv_armed = false;
    if (cqe.res > 0) {
      if (c->in.size() > header_limit + owner_.settings_.upload_limit + out_limit) {
        close_now(t.slot, *c);  // a client that sends far ahead of the answers
      } else {
        if (proxy_header_read(t.slot, *c)) process(t.slot, *c);
        if (!c->recv_armed && !c->shut) arm_recv(t.slot, *c);
      }
    } else if (cqe.res == -ENOBUFS && !c->shut) {
      arm_recv(t.slot, *c);  // all buffers were out at once; they are back now
    } else if (cqe.res != -ENOBUFS) {
      // The client has gone (or the connection was shut down): nothing more will be read.
      end_input(t.slot, *c);
    }
    release_if_done(t.slot, *c);
  }

  void on_send(tag t, const io_uring_cqe& cqe) {
    connection* c = lookup(t);
    if (c == nullptr) return;
    c->send_inflight = false;
    if (cqe.res < 0) {
      close_now(t.slot, *c);
    } else if (!c->sending.advance(static_cast<std::size_t>(cqe.res))) {
      submit_send(t.slot, *c);
    } else {
      if (c->streaming && !c->busy && c->out.empty()) {
        next_stream_step(t.slot, *c);
      } else {
        flush(t.slot, *c);
        process(t.slot, *c);  // requests held back while the answers were too far behind
      }
      after_output(t.slot, *c);
    }
    release_if_done(t.slot, *c);
  }

  // --- requests ------------------------------------------------------------------------------

  // From a trusted proxy (server.trusted_proxies) the first bytes may be a PROXY v2 header
  // naming the real client: it is taken off before the parser sees them. False while it is
  // incomplete, or when it is malformed (the connection is then cut).
  bool proxy_header_read(std::uint32_t slot, connection& c) {
    if (!c.origin->awaits_proxy_header()) return true;
    std::size_t consumed = 0;
    const auto r = c.origin->take_proxy_header(
        {reinterpret_cast<const std::uint8_t*>(c.in.data()), c.in.size()}, consumed);
    c.in.erase(0, consumed);
    if (r == proxy_parse::invalid) close_now(slot, c);
    return r == proxy_parse::ok || r == proxy_parse::not_proxy;
  }

  // Parses and answers what `in` holds: several pipelined requests in a row, their answers
  // appended to `out` and sent together; stops at an incomplete request, a handler that waits,
  // or too many unsent answers.
  void process(std::uint32_t slot, connection& c) {
    // Answers sent at once free room for requests held back while they were too far behind.
    do {
      parse_and_answer(slot, c);
    } while (flush(slot, c) && !c.in.empty() && !c.busy && !c.closing);
  }

  void parse_and_answer(std::uint32_t slot, connection& c) {
    const auto& cfg = owner_.settings_;
    while (!c.busy && !c.closing && c.out.size() < out_limit &&
           c.pieces.size() < shared_pieces_limit) {
      if (!c.parser) {
        if (c.in.empty()) break;
        reset_parser(c.parser, cfg);
        c.head_done = false;
        set_deadline(c, now_ + cfg.read_timeout);
      }
      if (c.parser->is_done()) {
        answer(slot, c);
        continue;
      }
      if (c.in.empty()) break;
      beast::error_code ec;
      const std::size_t n = c.parser->put(asio::buffer(c.in), ec);
      c.in.erase(0, n);
      if (ec == http::error::need_more) break;
      if (ec) {
        refuse(slot, c, ec);
        break;
      }
      if (!c.head_done && c.parser->is_header_done() && !c.parser->is_done()) {
        c.head_done = true;
        if (const auto limit_ec = limit_body(*c.parser, cfg)) {
          refuse(slot, c, limit_ec);
          break;
        }
        if (owner_.admit_upload && needs_admission(*c.parser, cfg)) {
          admit(slot, c);
          break;
        }
        start_body(c);
      }
    }
  }

  // Lets the body come: the interim answer to a client that asked for it, then eager parsing.
  void start_body(connection& c) {
    if (c.in.empty() && beast::iequals(c.parser->get()[http::field::expect], "100-continue")) {
      c.out += continue_response;
    }
    c.parser->eager(true);
  }

  // Asks the upload admission hook (asynchronous) before the body is read.
  void admit(std::uint32_t slot, connection& c) {
    c.busy = true;
    const std::string_view authorization = c.parser->get()[http::field::authorization];
    asio::co_spawn(exec_, owner_.admit_upload(authorization),
                   [this, t = tag{op::recv, c.generation, slot}](
                       std::exception_ptr e, std::optional<core::error> refused) {
                     connection* conn = lookup(t);
                     if (conn == nullptr) return;
                     conn->busy = false;
                     if (e) refused = core::error{core::errc::internal, "admission failed"};
                     if (refused) {
                       refuse_with(t.slot, *conn, refused->code, refused->detail);
                     } else {
                       start_body(*conn);
                       process(t.slot, *conn);
                     }
                     after_output(t.slot, *conn);
                     release_if_done(t.slot, *conn);
                   });
  }

  // Routes and answers a whole request; a waiting handler finishes in complete().
  void answer(std::uint32_t slot, connection& c) {
    c.ex.emplace(env_, ids_, c.parser->get(), *c.origin, c.res);
    set_deadline(c, c.ex->deadline());
    if (!c.ex->pending()) {
      complete(slot, c);
      return;
    }
    c.busy = true;
    asio::co_spawn(exec_, c.ex->run_pending(),
                   [this, t = tag{op::recv, c.generation, slot}](std::exception_ptr e) {
                     connection* conn = lookup(t);
                     if (conn == nullptr) return;
                     conn->busy = false;
                     if (e) conn->ex->handler_threw(e);
                     complete(t.slot, *conn);
                     process(t.slot, *conn);
                     after_output(t.slot, *conn);
                     release_if_done(t.slot, *conn);
                   });
  }

  void complete(std::uint32_t, connection& c) {
    const bool close = c.ex->finish(owner_.draining()) || c.timed_out;
    c.ex->serialize_into(c.out, clock_.http_date(), close);
    if (const auto body = body_by_reference(c.res); !body.empty()) {
      c.pieces.push_back({c.out.size(), body, c.res.keep, c.res.shared_file});
    }
    if (c.res.stream) {
      c.streaming = true;
      c.close_after = close;
      c.closing = true;  // nothing more is read until the stream ends
    } else {
      end_exchange(c, close);
    }
  }

  void end_exchange(connection& c, bool close) {
    c.ex->log_access();
    c.ex.reset();
    c.parser.reset();
    c.streaming = false;
    c.closing = close;
  }

  // A streamed body: each step's bytes go out as one chunk before the next step runs, so
  // memory holds one chunk however long the body.
  void next_stream_step(std::uint32_t slot, connection& c) {
    c.busy = true;
    c.chunk.clear();
    asio::co_spawn(
        exec_, c.res.stream(c.chunk),
        [this, t = tag{op::recv, c.generation, slot}](std::exception_ptr e, stream_step step) {
          connection* conn = lookup(t);
          if (conn == nullptr) return;
          conn->busy = false;
          if (e) {
            log_event(spdlog::level::err, "stream_failed",
                      {{"request_id", conn->ex->request_id()}, {"error", "exception"}});
            step = stream_step::failed;
          }
          stream_stepped(t.slot, *conn, step);
          release_if_done(t.slot, *conn);
        });
  }

  void stream_stepped(std::uint32_t slot, connection& c, stream_step step) {
    if (step == stream_step::failed) {
      // Ends the connection without the last chunk: the client sees the body is incomplete.
      end_exchange(c, true);
      close_now(slot, c);
      return;
    }
    if (!c.chunk.empty()) append_chunk(c.out, c.chunk);
    if (step == stream_step::done) {
      c.out += "0\r\n\r\n";
      const bool close = c.close_after;
      end_exchange(c, close);
    }
    if (c.out.empty() && c.streaming) {
      next_stream_step(slot, c);
      return;
    }
    flush(slot, c);
    process(slot, c);
    after_output(slot, c);
  }

  // A request the parser rejected gets its problem; a stream that just ended needs nothing.
  void refuse(std::uint32_t slot, connection& c, const beast::error_code& ec) {
    if (const auto failure = parse_failure(ec)) {
      refuse_with(slot, c, *failure, ec.message());
    } else {
      end_input(slot, c);
    }
  }

  // Answers a request refused before routing with a problem; the connection then closes,
  // whatever of the request is still unread.
  void refuse_with(std::uint32_t slot, connection& c, core::errc code, std::string_view detail) {
    char rid_buf[32];
    const std::string_view rid = ids_.next(rid_buf);
    set_refusal(c.res, owner_.stats_, code, detail, rid);
    serialize(c.out, c.res, clock_.http_date(), rid, true);
    c.parser.reset();
    c.closing = true;
    flush(slot, c);
  }

  // --- connection ends -----------------------------------------------------------------------

  // No more bytes will come: answer what is under way, then close.
  void end_input(std::uint32_t slot, connection& c) {
    c.closing = true;
    after_output(slot, c);
  }

  // Once a closing connection's answers are out, it is shut down; a connection with nothing to
  // do waits for its next request under the idle timeout.
  void after_output(std::uint32_t slot, connection& c) {
    if (c.send_inflight || !c.out.empty() || c.busy) return;
    if (c.closing && !c.streaming) {
      close_now(slot, c);
    } else if (!c.parser && c.in.empty() && !c.streaming) {
      set_deadline(c, now_ + owner_.settings_.idle_timeout);
    }
  }

  // Shuts the socket down: the kernel ends the pending receive (and send); the descriptor is
  // closed once their last completions arrived (release_if_done).
  void close_now(std::uint32_t, connection& c) {
    c.closing = true;
    if (c.shut) return;
    c.shut = true;
    ::shutdown(c.fd, SHUT_RDWR);
  }

  // A request that did not arrive in time (a slow or stalled client: slowloris) is reset, not
  // closed: no FIN exchange and no TIME_WAIT left behind, one RST (nginx's
  // reset_timedout_connection). The read side is shut down so that the pending receive ends; the
  // close in release_if_done then sends the RST. A connection with answers still going out (a
  // stream, a pipelined answer, a send in flight) is closed instead: a reset would drop them.
  void abort_now(std::uint32_t slot, connection& c) {
    if (c.shut) return;
    if (c.streaming || c.send_inflight || !c.out.empty()) {
      close_now(slot, c);
      return;
    }
    const linger reset{1, 0};
    ::setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    c.closing = true;
    c.shut = true;
    ::shutdown(c.fd, SHUT_RD);
  }

  void release_if_done(std::uint32_t slot, connection& c) {
    if (c.recv_armed || c.send_inflight || c.busy || !c.shut) return;
    ::close(c.fd);
    owner_.stats_.open_connections.fetch_sub(1, std::memory_order_relaxed);
    const std::uint32_t generation = c.generation + 1;
    slots_[slot] = std::make_unique<connection>();
    slots_[slot]->generation = generation;
    free_.push_back(slot);
  }

  std::uint32_t allocate() {
    if (free_.empty()) {
      slots_.push_back(std::make_unique<connection>());
      return static_cast<std::uint32_t>(slots_.size() - 1);
    }
    const std::uint32_t slot = free_.back();
    free_.pop_back();
    return slot;
  }

  connection* lookup(tag t) {
    if (t.slot >= slots_.size()) return nullptr;
    connection* c = slots_[t.slot].get();
    return c->fd >= 0 && (c->generation & 0xffffffu) == t.generation ? c : nullptr;
  }

  // The loop's wait ends by the earliest deadline (a short server.handler_timeout included), so
  // a connection is cut on time, not at the next sweep_interval.
  void set_deadline(connection& c, clock::time_point t) {
    c.deadline = t;
    next_sweep_ = std::min(next_sweep_, t);
  }

  // Connections past their deadline are shut down; a request cut short is logged.
  void sweep(clock::time_point now) {
    next_sweep_ = now + sweep_interval;
    // The reactor's poll wakes the ring for the io_context's timers; polling at each sweep
    // too bounds how late one can be should that wake-up ever be missed.
    waker_.poll_needed = true;
    for (std::uint32_t slot = 0; slot < slots_.size(); ++slot) {
      connection& c = *slots_[slot];
      if (c.fd < 0 || c.timed_out) continue;
      if (c.deadline > now) {
        next_sweep_ = std::min(next_sweep_, c.deadline);
        continue;
      }
      c.timed_out = true;
      if (c.parser && !c.busy) {
        log_event(spdlog::level::info, "request_timeout", {{"remote", c.origin->peer()}});
        abort_now(slot, c);
      } else {
        close_now(slot, c);
      }
    }
    if (accepting_ && !accept_armed_ && listener_ >= 0) arm_accept();
  }

  void close_listener() {
    accepting_ = false;
    if (accept_armed_) {
      io_uring_sqe* sqe = ring_->sqe();
      io_uring_prep_cancel64(sqe, uring::pack({op::accept, 0, 0}), 0);
      io_uring_sqe_set_data64(sqe, uring::pack({op::cancel, 0, 0}));
    } else if (listener_ >= 0) {
      ::close(listener_);
      listener_ = -1;
    }
    for (std::uint32_t slot = 0; slot < slots_.size(); ++slot) {
      connection& c = *slots_[slot];
      if (c.fd < 0 || c.busy || c.parser || c.send_inflight || !c.out.empty()) continue;
      close_now(slot, c);  // idle keep-alive connections; busy ones close after their answer
    }
  }

  void teardown() {
    for (auto& c : slots_) {
      if (c->fd >= 0) {
        ::close(c->fd);
        owner_.stats_.open_connections.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    slots_.clear();
    ring_.reset();
  }

  http_server& owner_;
  exchange_env env_;
  uring::waker waker_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  executor exec_;
  std::unique_ptr<uring::ring> ring_;
  std::atomic<bool> stopped_{false};
  int listener_ = -1;
  bool accepting_ = true;  // this worker's thread only
  bool accept_armed_ = false;
  std::uint64_t wake_value_ = 0;
  clock::time_point next_sweep_;
  clock::time_point now_;  ///< read once per loop turn, after its wait
  std::vector<std::unique_ptr<connection>> slots_;
  std::vector<std::uint32_t> free_;
  thread_clock clock_;
  id_source ids_;
};

void http_server::uring_worker_deleter::operator()(uring_worker* w) const noexcept { delete w; }

// auto: io_uring unless the kernel refuses it, with one log line naming why; uring: refused is
// fatal; epoll: never.
bool http_server::use_uring() {
  if (settings_.io == "epoll") return false;
  const auto why = uring::probe();
  if (!why) return true;
  if (settings_.io == "uring") {
    throw std::runtime_error("server.io = uring, but io_uring is unavailable: " + *why);
  }
  log_event(spdlog::level::warn, "io_uring_unavailable",
            {{"reason", *why}, {"transport", "epoll"}});
  return false;
}

void http_server::start_uring(asio::ip::tcp::endpoint ep, unsigned n) {
  for (unsigned i = 0; i < n; ++i) {
    uring_workers_.emplace_back(new uring_worker(*this));
    uring_workers_.back()->bind(ep);
    // With port 0 the first listener picks the port; the others join it via SO_REUSEPORT.
    if (i == 0) ep.port(uring_workers_.back()->bound_port());
  }
  port_ = ep.port();
  transport_ = "uring";
  stats_.transport = "uring";
  for (auto& w : uring_workers_) {
    std::promise<std::optional<std::string>> ready;
    auto created = ready.get_future();
    threads_.emplace_back([&w = *w, &ready] { w.run(ready); });
    if (auto why = created.get()) {
      stop_uring();
      throw std::runtime_error("io_uring ring creation failed on an I/O thread: " + *why);
    }
  }
}

void http_server::stop_accepting_uring() {
  for (auto& w : uring_workers_) w->stop_accepting();
}

void http_server::stop_uring() {
  if (uring_workers_.empty()) return;
  for (auto& w : uring_workers_) w->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  uring_workers_.clear();
}

}  // namespace zhiyuan::server
