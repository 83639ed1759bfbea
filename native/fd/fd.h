// Declarations shared by the vl3_fd addon's files (see calls.cc for what the addon is for).
#pragma once
#include <napi.h>

namespace vl3fd {

Napi::Value Listen(const Napi::CallbackInfo& info);
Napi::Value Connect(const Napi::CallbackInfo& info);
Napi::Value Accept(const Napi::CallbackInfo& info);
Napi::Value Send(const Napi::CallbackInfo& info);
Napi::Value Recv(const Napi::CallbackInfo& info);
Napi::Value Shutdown(const Napi::CallbackInfo& info);
Napi::Value Close(const Napi::CallbackInfo& info);
Napi::Value Dup(const Napi::CallbackInfo& info);
Napi::Value OpenPath(const Napi::CallbackInfo& info);
Napi::Function DefinePoller(Napi::Env env);

// Room for 64 descriptors per recvmsg, as NSM's Go receiver has; more in one message is truncated.
constexpr size_t kMaxRecvFds = 64;

}  // namespace vl3fd
