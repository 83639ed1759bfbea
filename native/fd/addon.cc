// vl3_fd module entry: the functions of calls.cc and the Poller of poller.cc, as one Node-API addon.
#include "fd.h"

namespace {

using namespace vl3fd;

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("listen", Napi::Function::New(env, Listen));
  exports.Set("connect", Napi::Function::New(env, Connect));
  exports.Set("accept", Napi::Function::New(env, Accept));
  exports.Set("send", Napi::Function::New(env, Send));
  exports.Set("recv", Napi::Function::New(env, Recv));
  exports.Set("shutdown", Napi::Function::New(env, Shutdown));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("dup", Napi::Function::New(env, Dup));
  exports.Set("openPath", Napi::Function::New(env, OpenPath));
  exports.Set("Poller", DefinePoller(env));
  exports.Set("maxRecvFds", Napi::Number::New(env, kMaxRecvFds));
  return exports;
}

}  // namespace

NODE_API_MODULE(vl3_fd, Init)
