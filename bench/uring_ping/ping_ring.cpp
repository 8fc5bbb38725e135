// A standalone liburing HTTP/1.1 loop that answers every request with zhiyuan's ping bytes: the
// ceiling an io_uring transport can reach on this machine, measured with the same wrk harness as
// nginx (bench/uring_ping_matrix.sh). Not linked into the server: it only chooses the design.
//
// usage: ping_ring PORT FLAGS RECV
//   FLAGS: none | coop (COOP_TASKRUN|TASKRUN_FLAG) | defer (SINGLE_ISSUER|DEFER_TASKRUN)
//   RECV:  single (one-shot recv into a per-connection buffer)
//          | multi (multishot recv into a provided-buffer ring)
// Requests are recognised by their blank line only (GET without a body, as wrk sends them); the
// responses of a pipelined batch leave in one send.
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view response =
    "HTTP/1.1 200 OK\r\nServer: zhiyuan\r\nContent-Type: application/json\r\n"
    "Cache-Control: no-store\r\nContent-Length: 13\r\n\r\n{\"pong\":true}";

constexpr unsigned buffer_count = 256;
constexpr unsigned buffer_size = 4096;
constexpr int buffer_group = 0;
constexpr std::size_t max_fds = 65536;

enum class op : std::uint8_t { accept = 1, recv = 2, send = 3 };

std::uint64_t pack(op o, int fd) {
  return (static_cast<std::uint64_t>(o) << 32) | static_cast<std::uint32_t>(fd);
}
op op_of(std::uint64_t data) { return static_cast<op>(data >> 32); }
int fd_of(std::uint64_t data) { return static_cast<int>(data & 0xffffffffu); }

struct connection {
  std::string in;       // an incomplete request's bytes
  std::string out;      // responses not yet handed to a send
  std::string sending;  // the bytes of the send in flight
  std::vector<char> recv_buffer;
  bool send_pending = false;
  bool open = false;
};

struct loop {
  io_uring ring{};
  io_uring_buf_ring* buffers = nullptr;
  char* buffer_memory = nullptr;
  bool multishot = false;
  int listener = -1;
  std::vector<connection> connections = std::vector<connection>(max_fds);
};

io_uring_sqe* sqe_of(loop& l) {
  io_uring_sqe* sqe = io_uring_get_sqe(&l.ring);
  if (sqe == nullptr) {
    // The SQ is full: hand it to the kernel and take a fresh entry.
    io_uring_submit(&l.ring);
    sqe = io_uring_get_sqe(&l.ring);
  }
  return sqe;
}

void arm_accept(loop& l) {
  io_uring_sqe* sqe = sqe_of(l);
  io_uring_prep_multishot_accept(sqe, l.listener, nullptr, nullptr, 0);
  io_uring_sqe_set_data64(sqe, pack(op::accept, l.listener));
}

void arm_recv(loop& l, int fd) {
  io_uring_sqe* sqe = sqe_of(l);
  if (l.multishot) {
    io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = buffer_group;
  } else {
    auto& c = l.connections[fd];
    io_uring_prep_recv(sqe, fd, c.recv_buffer.data(), c.recv_buffer.size(), 0);
  }
  io_uring_sqe_set_data64(sqe, pack(op::recv, fd));
}

void start_send(loop& l, int fd) {
  auto& c = l.connections[fd];
  if (c.send_pending || c.out.empty()) return;
  c.sending.swap(c.out);
  c.out.clear();
  c.send_pending = true;
  io_uring_sqe* sqe = sqe_of(l);
  io_uring_prep_send(sqe, fd, c.sending.data(), c.sending.size(), MSG_WAITALL);
  io_uring_sqe_set_data64(sqe, pack(op::send, fd));
}

// Appends one response per complete request in `bytes` (after any saved partial request).
void consume(connection& c, std::string_view bytes) {
  std::string_view data = bytes;
  if (!c.in.empty()) {
    c.in.append(bytes);
    data = c.in;
  }
  std::size_t start = 0;
  for (;;) {
    auto end = data.find("\r\n\r\n", start);
    if (end == std::string_view::npos) break;
    c.out.append(response);
    start = end + 4;
  }
  std::string rest(data.substr(start));
  c.in = std::move(rest);
}

void close_connection(loop& l, int fd) {
  auto& c = l.connections[fd];
  c.open = false;
  c.in.clear();
  c.out.clear();
  if (!c.send_pending) close(fd);
}

void on_recv(loop& l, const io_uring_cqe* cqe) {
  int fd = fd_of(cqe->user_data);
  auto& c = l.connections[fd];
  bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
  if (cqe->res == -ENOBUFS) {
    arm_recv(l, fd);
    return;
  }
  if (cqe->res <= 0) {
    if (!more) close_connection(l, fd);
    return;
  }
  if (l.multishot) {
    unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
    char* buffer = l.buffer_memory + static_cast<std::size_t>(id) * buffer_size;
    consume(c, {buffer, static_cast<std::size_t>(cqe->res)});
    // The bytes were consumed (or copied into c.in): the buffer goes back at once.
    io_uring_buf_ring_add(l.buffers, buffer, buffer_size, id, io_uring_buf_ring_mask(buffer_count),
                          0);
    io_uring_buf_ring_advance(l.buffers, 1);
  } else {
    consume(c, {c.recv_buffer.data(), static_cast<std::size_t>(cqe->res)});
  }
  start_send(l, fd);
  if (!l.multishot || !more) arm_recv(l, fd);
}

void on_send(loop& l, const io_uring_cqe* cqe) {
  int fd = fd_of(cqe->user_data);
  auto& c = l.connections[fd];
  c.send_pending = false;
  if (!c.open) {
    close(fd);
    return;
  }
  if (cqe->res < 0) {
    shutdown(fd, SHUT_RDWR);
    return;
  }
  start_send(l, fd);
}

void on_accept(loop& l, const io_uring_cqe* cqe) {
  if (!(cqe->flags & IORING_CQE_F_MORE)) arm_accept(l);
  int fd = cqe->res;
  if (fd < 0) return;
  if (static_cast<std::size_t>(fd) >= max_fds) {
    close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto& c = l.connections[fd];
  c.open = true;
  if (!l.multishot) c.recv_buffer.resize(buffer_size);
  arm_recv(l, fd);
}

unsigned setup_flags(std::string_view name) {
  if (name == "coop") return IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  if (name == "defer") return IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  if (name == "none") return 0;
  std::fprintf(stderr, "unknown FLAGS '%.*s'\n", static_cast<int>(name.size()), name.data());
  std::exit(2);
}

int open_listener(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, 4096) != 0) {
    std::perror("bind/listen");
    std::exit(1);
  }
  return fd;
}

void setup_buffer_ring(loop& l) {
  void* memory = nullptr;
  if (posix_memalign(&memory, 4096, sizeof(io_uring_buf) * buffer_count) != 0) std::exit(1);
  l.buffers = static_cast<io_uring_buf_ring*>(memory);
  io_uring_buf_ring_init(l.buffers);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(memory);
  reg.ring_entries = buffer_count;
  reg.bgid = buffer_group;
  if (int e = io_uring_register_buf_ring(&l.ring, &reg, 0); e != 0) {
    std::fprintf(stderr, "io_uring_register_buf_ring: %s\n", std::strerror(-e));
    std::exit(1);
  }
  l.buffer_memory = static_cast<char*>(std::aligned_alloc(4096, buffer_count * buffer_size));
  for (unsigned i = 0; i < buffer_count; ++i) {
    io_uring_buf_ring_add(l.buffers, l.buffer_memory + static_cast<std::size_t>(i) * buffer_size,
                          buffer_size, i, io_uring_buf_ring_mask(buffer_count), i);
  }
  io_uring_buf_ring_advance(l.buffers, buffer_count);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: ping_ring PORT none|coop|defer single|multi\n");
    return 2;
  }
  auto l = std::make_unique<loop>();
  l->multishot = std::string_view(argv[3]) == "multi";
  l->listener = open_listener(std::atoi(argv[1]));
  io_uring_params params{};
  params.flags = setup_flags(argv[2]) | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
  params.cq_entries = 2048;
  if (int e = io_uring_queue_init_params(256, &l->ring, &params); e != 0) {
    std::fprintf(stderr, "io_uring_queue_init_params: %s\n", std::strerror(-e));
    return 1;
  }
  io_uring_register_ring_fd(&l->ring);
  if (l->multishot) setup_buffer_ring(*l);
  arm_accept(*l);
  for (;;) {
    io_uring_submit_and_wait(&l->ring, 1);
    io_uring_cqe* cqe = nullptr;
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_for_each_cqe(&l->ring, head, cqe) {
      ++seen;
      switch (op_of(cqe->user_data)) {
        case op::accept:
          on_accept(*l, cqe);
          break;
        case op::recv:
          on_recv(*l, cqe);
          break;
        case op::send:
          on_send(*l, cqe);
          break;
      }
    }
    io_uring_cq_advance(&l->ring, seen);
  }
}
