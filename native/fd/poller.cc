// vl3_fd's readiness watcher: a libuv poll handle on one descriptor, calling back into JS on the loop
// thread. The sockets are non-blocking; JS reads and writes until EAGAIN, then waits here.
#include <uv.h>

#include <string>
#include <vector>

#include "fd.h"

namespace vl3fd {
namespace {

Napi::Value TypeError(Napi::Env env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

// Poller: readiness of one descriptor from libuv's loop. callback(events) with 1 = readable,
// 2 = writable, or (0, error) when polling failed. start(events) replaces the events watched.
class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Poller",
                       {InstanceMethod("start", &Poller::Start), InstanceMethod("close", &Poller::Close)});
  }

  explicit Poller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poller>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber() || !info[1].IsFunction()) {
      TypeError(env, "new Poller(fd, callback)");
      return;
    }
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    handle_ = new uv_poll_t;
    int err = uv_poll_init(loop, handle_, info[0].As<Napi::Number>().Int32Value());
    if (err != 0) {
      delete handle_;
      handle_ = nullptr;
      Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(err)).ThrowAsJavaScriptException();
      return;
    }
    handle_->data = this;
  }

  ~Poller() override { CloseHandle(); }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (handle_ == nullptr) return info.Env().Undefined();
    int want = info[0].As<Napi::Number>().Int32Value();
    int events = ((want & 1) ? UV_READABLE : 0) | ((want & 2) ? UV_WRITABLE : 0);
    if (events == 0) {
      uv_poll_stop(handle_);
      if (active_) Unref();
      active_ = false;
      return info.Env().Undefined();
    }
    // While watching, the JS object must outlive any garbage collection: its callback is due.
    if (!active_) Ref();
    active_ = true;
    uv_poll_start(handle_, events, &Poller::OnEvent);
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (active_) Unref();
    active_ = false;
    CloseHandle();
    return info.Env().Undefined();
  }

  void CloseHandle() {
    if (handle_ == nullptr) return;
    uv_poll_stop(handle_);
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    handle_ = nullptr;
  }

  static void OnEvent(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<Poller*>(handle->data);
    if (self == nullptr) return;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    std::vector<napi_value> args;
    if (status < 0) {
      args = {Napi::Number::New(env, 0), Napi::Error::New(env, uv_strerror(status)).Value()};
    } else {
      int mask = ((events & UV_READABLE) ? 1 : 0) | ((events & UV_WRITABLE) ? 2 : 0);
      // A hang-up or error shows as readable, so the reader sees the end or the error from recvmsg.
      if (events & (UV_DISCONNECT)) mask |= 1;
      args = {Napi::Number::New(env, mask)};
    }
    self->callback_.MakeCallback(self->Value(), args);
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
  }

  Napi::FunctionReference callback_;
  uv_poll_t* handle_ = nullptr;
  bool active_ = false;
};

}  // namespace

Napi::Function DefinePoller(Napi::Env env) { return Poller::Define(env); }

}  // namespace vl3fd
