/*
 * SO_PEERCRED for node: the uid, gid and pid of the process at the other end of a connected
 * unix socket, from its file descriptor. node has no getsockopt; this is the whole addon.
 * Built by scripts/build-native.sh (gcc, node's headers); src/api/peer-credentials.ts falls
 * back to ss(8) when it is absent.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <node_api.h>
#include "napi-args.h"

static napi_value peercred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok) return NULL;
  struct ucred cred;
  socklen_t len = sizeof cred;
  napi_value out;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
    napi_get_null(env, &out);
    return out;
  }
  napi_value uid, gid, pid;
  napi_create_object(env, &out);
  napi_create_uint32(env, cred.uid, &uid);
  napi_create_uint32(env, cred.gid, &gid);
  napi_create_int32(env, cred.pid, &pid);
  napi_set_named_property(env, out, "uid", uid);
  napi_set_named_property(env, out, "gid", gid);
  napi_set_named_property(env, out, "pid", pid);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  export_fn(env, exports, "peercred", peercred);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
