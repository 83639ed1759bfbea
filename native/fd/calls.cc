// vl3_fd: the only native code of vl3-nse. Node's net.Socket cannot send or receive SCM_RIGHTS, so
// this addon owns non-blocking AF_UNIX stream sockets itself: listen/accept/connect, sendmsg with
// descriptors attached to the bytes, recvmsg that returns the descriptors that came with them, and a
// libuv poll handle for readiness. Policy (queues, matching, grpcfd) lives in TypeScript (src/fd/).
#include "fd.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace vl3fd {
namespace {

// The kernel's own cap per message (SCM_MAX_FD).
constexpr size_t kMaxSendFds = 253;

Napi::Value ErrnoError(Napi::Env env, int err, const std::string& what) {
  const char* name = strerrorname_np(err);
  std::string code = name ? name : std::to_string(err);
  Napi::Error e = Napi::Error::New(env, what + ": " + std::strerror(err) + " (" + code + ")");
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value TypeError(Napi::Env env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

bool FillAddress(const std::string& path, sockaddr_un* addr, socklen_t* len) {
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr->sun_path)) return false;
  std::memcpy(addr->sun_path, path.data(), path.size());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return true;
}

}  // namespace

// listen(path, backlog) -> fd of a non-blocking listening socket bound to path.
Napi::Value Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsNumber()) return TypeError(env, "listen(path, backlog)");
  std::string path = info[0].As<Napi::String>();
  sockaddr_un addr;
  socklen_t len;
  if (!FillAddress(path, &addr, &len)) return TypeError(env, "socket path is empty or too long");
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError(env, errno, "socket");
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) < 0 ||
      listen(fd, info[1].As<Napi::Number>().Int32Value()) < 0) {
    int err = errno;
    close(fd);
    return ErrnoError(env, err, "listen on " + path);
  }
  return Napi::Number::New(env, fd);
}

// connect(path) -> fd of a non-blocking connected socket; throws (code EAGAIN when the backlog is full).
Napi::Value Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) return TypeError(env, "connect(path)");
  std::string path = info[0].As<Napi::String>();
  sockaddr_un addr;
  socklen_t len;
  if (!FillAddress(path, &addr, &len)) return TypeError(env, "socket path is empty or too long");
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError(env, errno, "socket");
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), len) < 0) {
    int err = errno;
    close(fd);
    return ErrnoError(env, err, "connect to " + path);
  }
  return Napi::Number::New(env, fd);
}

// accept(listenFd) -> fd of the accepted connection, or -1 when none is waiting.
Napi::Value Accept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = accept4(info[0].As<Napi::Number>().Int32Value(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) return Napi::Number::New(env, fd);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) return Napi::Number::New(env, -1);
  return ErrnoError(env, errno, "accept");
}

// send(fd, bytes, fds) -> bytes written (the fds ride on the first of them), or -1 if it would block.
Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[1].IsTypedArray() || !info[2].IsArray()) return TypeError(env, "send(fd, Uint8Array, fds[])");
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
  Napi::Array list = info[2].As<Napi::Array>();
  if (list.Length() > kMaxSendFds) return TypeError(env, "too many descriptors in one message");
  if (list.Length() > 0 && bytes.ByteLength() == 0) {
    // A stream socket delivers no descriptor without at least one byte to carry it.
    return TypeError(env, "descriptors need at least one byte to ride on");
  }
  iovec iov{bytes.Data(), bytes.ByteLength()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control;
  if (list.Length() > 0) {
    control.resize(CMSG_SPACE(sizeof(int) * list.Length()), 0);
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * list.Length());
    int* out = reinterpret_cast<int*>(CMSG_DATA(cmsg));
    for (uint32_t i = 0; i < list.Length(); i++) out[i] = list.Get(i).As<Napi::Number>().Int32Value();
  }
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n >= 0) return Napi::Number::New(env, static_cast<double>(n));
  if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(env, -1);
  return ErrnoError(env, errno, "sendmsg");
}

// recv(fd, buffer) -> [n, ...fds]: n bytes read into buffer (0 at end of stream, -1 if it would
// block) and the descriptors that came with them (close-on-exec). When the kernel had to drop
// descriptors (more than 64 in one message) the array ends with the string "truncated".
Napi::Value Recv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[1].IsTypedArray()) return TypeError(env, "recv(fd, Uint8Array)");
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Uint8Array buffer = info[1].As<Napi::Uint8Array>();
  iovec iov{buffer.Data(), buffer.ByteLength()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxRecvFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  Napi::Array result = Napi::Array::New(env);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) return ErrnoError(env, errno, "recvmsg");
    result.Set(0u, Napi::Number::New(env, -1));
    return result;
  }
  result.Set(0u, Napi::Number::New(env, static_cast<double>(n)));
  uint32_t next = 1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* fds = reinterpret_cast<const int*>(CMSG_DATA(c));
    for (size_t i = 0; i < count; i++) result.Set(next++, Napi::Number::New(env, fds[i]));
  }
  if (msg.msg_flags & MSG_CTRUNC) result.Set(next, Napi::String::New(env, "truncated"));
  return result;
}

Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  shutdown(info[0].As<Napi::Number>().Int32Value(), SHUT_WR);
  return info.Env().Undefined();
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// dup(fd) -> a close-on-exec duplicate.
Napi::Value Dup(const Napi::CallbackInfo& info) {
  int fd = fcntl(info[0].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 3);
  if (fd < 0) return ErrnoError(info.Env(), errno, "dup");
  return Napi::Number::New(info.Env(), fd);
}

// openPath(path) -> an O_PATH descriptor: what NSM sends for a netns or a socket file (a socket file
// cannot be opened otherwise). Symlinks and /proc magic links are followed.
Napi::Value OpenPath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) return TypeError(env, "openPath(path)");
  std::string path = info[0].As<Napi::String>();
  int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return ErrnoError(env, errno, "open " + path);
  return Napi::Number::New(env, fd);
}

}  // namespace vl3fd
