/*
 * posix_spawn for node, for the container monitors: node's child_process forks the daemon
 * (its page tables copied, some ms for a daemon of 100 MB, the event loop blocked meanwhile)
 * where posix_spawn (glibc: clone with CLONE_VM|CLONE_VFORK) only waits for the exec.
 * Built by scripts/build-native.sh; src/runtime/monitor-spawn.ts falls back to
 * child_process.spawn when it is absent.
 *
 *   spawn(file, argv, env) -> [pid, syncFd, stderrFd, startFd]: the child in a new session,
 *   signals at their defaults and unblocked, stdin and stdout on /dev/null, stderr on a pipe,
 *   fd 3 the write end of a pipe (conmon's _OCI_SYNCPIPE), fd 4 the read end of another
 *   (_OCI_STARTPIPE); the caller's ends are returned (close-on-exec). Throws with errno's text.
 *   reap(pid) -> true once the child was waited for (or is not ours): no zombie is left.
 *   sealedCopy(path) -> fd: the file copied into a memfd sealed against any write, shrink or
 *   grow (runc's own test of a cloned binary, so its init does not copy itself again at each
 *   container start: see runtime/runc-conmon.ts). Close-on-exec. Throws with errno's text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <node_api.h>
#include "napi-args.h"

static char **str_array(napi_env env, napi_value arr) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof(char *));
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len = 0;
    napi_get_element(env, arr, i, &v);
    if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) len = 0;
    out[i] = malloc(len + 1);
    if (!out[i]) break;
    napi_get_value_string_utf8(env, v, out[i], len + 1, &len);
  }
  return out;
}

static void free_array(char **a) {
  if (!a) return;
  for (char **p = a; *p; p++) free(*p);
  free(a);
}

/* A close-on-exec pipe whose ends are above the fds the child gets (0-4). */
static int high_pipe(int p[2]) {
  if (pipe2(p, O_CLOEXEC) != 0) return -1;
  for (int i = 0; i < 2; i++) {
    if (p[i] < 10) {
      int d = fcntl(p[i], F_DUPFD_CLOEXEC, 10);
      if (d < 0) return -1;
      close(p[i]);
      p[i] = d;
    }
  }
  return 0;
}

static napi_value fail(napi_env env, const char *what, int e) {
  char text[256];
  snprintf(text, sizeof text, "%s: %s", what, strerror(e));
  napi_throw_error(env, NULL, text);
  return NULL;
}

static napi_value do_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) {
    napi_throw_type_error(env, NULL, "spawn(file, argv, env)");
    return NULL;
  }
  size_t len = 0;
  char file[4096];
  if (napi_get_value_string_utf8(env, argv[0], file, sizeof file, &len) != napi_ok) return fail(env, "spawn", EINVAL);
  char **args = str_array(env, argv[1]);
  char **envp = str_array(env, argv[2]);
  int sync[2] = {-1, -1}, err[2] = {-1, -1}, start[2] = {-1, -1};
  napi_value result = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  if (!args || !envp || high_pipe(sync) || high_pipe(err) || high_pipe(start)) {
    fail(env, "pipe", errno ? errno : ENOMEM);
    goto out;
  }
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_adddup2(&fa, sync[1], 3);
  posix_spawn_file_actions_adddup2(&fa, start[0], 4);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  int rc = posix_spawn(&pid, file, &fa, &attr, args, envp);
  if (rc != 0) {
    fail(env, file, rc);
    goto out;
  }
  napi_value arr, v;
  napi_create_array_with_length(env, 4, &arr);
  int vals[4] = {pid, sync[0], err[0], start[1]};
  for (int i = 0; i < 4; i++) {
    napi_create_int32(env, vals[i], &v);
    napi_set_element(env, arr, i, v);
  }
  sync[0] = err[0] = start[1] = -1; /* the caller's now */
  result = arr;
out:
  for (int i = 0; i < 2; i++) {
    if (sync[i] >= 0) close(sync[i]);
    if (err[i] >= 0) close(err[i]);
    if (start[i] >= 0) close(start[i]);
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  free_array(args);
  free_array(envp);
  return result;
}

static napi_value do_reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  int32_t pid = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  napi_get_value_int32(env, argv[0], &pid);
  int status;
  pid_t r = waitpid(pid, &status, WNOHANG);
  napi_get_boolean(env, r == pid || (r < 0 && errno == ECHILD), &out);
  return out;
}

static napi_value do_sealed_copy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return fail(env, "sealedCopy", EINVAL);
  char *file = str_arg(env, argv[0]);
  if (!file) return fail(env, "sealedCopy", EINVAL);
  int src = open(file, O_RDONLY | O_CLOEXEC), dst = -1, e = 0;
  struct stat st;
  if (src < 0 || fstat(src, &st) != 0) {
    e = errno;
    goto done;
  }
  dst = memfd_create("runc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (dst < 0) {
    e = errno;
    goto done;
  }
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = sendfile(dst, src, NULL, left);
    if (n <= 0) {
      e = n < 0 ? errno : EIO;
      goto done;
    }
    left -= n;
  }
  if (fchmod(dst, 0555) != 0 || fcntl(dst, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) e = errno;
done:
  if (src >= 0) close(src);
  if (e) {
    if (dst >= 0) close(dst);
    napi_value r = fail(env, file, e);
    free(file);
    return r;
  }
  free(file);
  napi_create_int32(env, dst, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, do_spawn, NULL, &fn);
  napi_set_named_property(env, exports, "spawn", fn);
  napi_create_function(env, "reap", NAPI_AUTO_LENGTH, do_reap, NULL, &fn);
  napi_set_named_property(env, exports, "reap", fn);
  napi_create_function(env, "sealedCopy", NAPI_AUTO_LENGTH, do_sealed_copy, NULL, &fn);
  napi_set_named_property(env, exports, "sealedCopy", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
