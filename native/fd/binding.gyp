# The one native part of vl3-nse: unix stream sockets that carry file descriptors (SCM_RIGHTS)
# alongside their bytes, for NSM's grpcfd convention. Built by scripts/build-native.mjs at install.
{
  "targets": [
    {
      "target_name": "vl3_fd",
      "sources": ["addon.cc", "calls.cc", "poller.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"]
    }
  ]
}
