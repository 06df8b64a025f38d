/*
 * mount(2) and umount2(2) for node: a container's root is an overlay mounted at each start,
 * and an exec of mount(8) costs more than the rest of the mount (a fork of the daemon, the
 * binary's start, libmount). Built by scripts/build-native.sh beside peercred.node;
 * src/storage/sys-mount.ts falls back to mount(8) and umount(8) when it is absent.
 *
 *   mount(source, target, fstype, flags, data) and umount(target, flags): undefined, or throw
 *   an Error whose code is the errno's name (EBUSY, EINVAL, ...) and whose errno is its number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <node_api.h>
#include "napi-args.h"

static const char *errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case ENOTDIR: return "ENOTDIR";
    case ENODEV: return "ENODEV";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSPC: return "ENOSPC";
    case EAGAIN: return "EAGAIN";
    default: return "EUNKNOWN";
  }
}

static void throw_errno(napi_env env, const char *what, int e) {
  napi_value code, msg, err, num;
  char text[512];
  snprintf(text, sizeof text, "%s: %s", what, strerror(e));
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &err);
  napi_create_int32(env, e, &num);
  napi_set_named_property(env, err, "errno", num);
  napi_throw(env, err);
}

static napi_value do_mount(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args_or_throw(env, info, 5, argv, "mount(source, target, fstype, flags, data)")) return NULL;
  char *source = str_arg(env, argv[0]), *target = str_arg(env, argv[1]), *fstype = str_arg(env, argv[2]), *data = str_arg(env, argv[4]);
  uint32_t flags = 0;
  napi_get_value_uint32(env, argv[3], &flags);
  int rc = -1, e = EINVAL;
  if (source && target && fstype && data) {
    rc = mount(source, target, fstype, flags, data);
    e = errno;
  }
  if (rc != 0) throw_errno(env, target ? target : "mount", e);
  free(source);
  free(target);
  free(fstype);
  free(data);
  return NULL;
}

static napi_value do_umount(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args_or_throw(env, info, 2, argv, "umount(target, flags)")) return NULL;
  char *target = str_arg(env, argv[0]);
  int32_t flags = 0;
  napi_get_value_int32(env, argv[1], &flags);
  int rc = -1, e = EINVAL;
  if (target) {
    rc = umount2(target, flags);
    e = errno;
  }
  if (rc != 0) throw_errno(env, target ? target : "umount", e);
  free(target);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  export_fn(env, exports, "mount", do_mount);
  export_fn(env, exports, "umount", do_umount);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
