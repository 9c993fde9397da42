{
  "targets": [
    {
      "target_name": "sockfd",
      "sources": [
        "native/addon.cc",
        "native/args.cc",
        "native/bpf.cc",
        "native/cmsg.cc",
        "native/cmsg_napi.cc",
        "native/constants.cc",
        "native/epoll.cc",
        "native/errors.cc",
        "native/fd.cc",
        "native/file.cc",
        "native/io.cc",
        "native/link.cc",
        "native/mmsg.cc",
        "native/ns.cc",
        "native/msg.cc",
        "native/options.cc",
        "native/options_napi.cc",
        "native/owners.cc",
        "native/poll.cc",
        "native/sockaddr.cc",
        "native/sockaddr_napi.cc",
        "native/signals.cc",
        "native/socket.cc",
        "native/sockopt.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "_GNU_SOURCE"
      ],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ]
}
