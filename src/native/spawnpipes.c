/*
 * posix_spawn for node, for the container monitors: node's child_process forks the daemon
 * (its page tables copied, some ms for a daemon of 100 MB, the event loop blocked meanwhile)
 * where posix_spawn (glibc: clone with CLONE_VM|CLONE_VFORK) only waits for the exec.
 * Built by scripts/build-native.sh; src/runtime/monitor-spawn.ts falls back to
 * child_process.spawn when it is absent.
 *
 *   spawn(file, argv, env, done) -> [syncFd, stderrFd, startFd]: the child in a new session,
 *   signals at their defaults and unblocked, stdin and stdout on /dev/null, stderr on a pipe,
 *   fd 3 the write end of a pipe (conmon's _OCI_SYNCPIPE), fd 4 the read end of another
 *   (_OCI_STARTPIPE); the caller's ends are returned at once (close-on-exec). The spawn itself
 *   runs on a thread of libuv's pool (it waits for the child's exec, some ms for conmon here,
 *   which the event loop then does not): done(null, pid) or done(error) once it is over.
 *   reap(pid) -> true once the child was waited for (or is not ours): no zombie is left.
 *   pipe() -> [readFd, writeFd]: a pipe (close-on-exec), e.g. a container's spec handed to
 *   `runc create` through its bundle's config.json (runtime/spec-pipe.ts).
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

/* One spawn: prepared on the main thread, posix_spawn'd on a thread of the pool, reported back. */
struct job {
  char file[4096];
  char **args, **envp;
  int child_fds[3]; /* err[1], sync[1], start[0]: the child's ends, closed once it has them */
  pid_t pid;
  int rc;
  napi_ref done;
  napi_async_work work;
};

static void job_free(napi_env env, struct job *j) {
  for (int i = 0; i < 3; i++)
    if (j->child_fds[i] >= 0) close(j->child_fds[i]);
  free_array(j->args);
  free_array(j->envp);
  if (j->done) napi_delete_reference(env, j->done);
  if (j->work) napi_delete_async_work(env, j->work);
  free(j);
}

/* On the pool's thread: glibc's posix_spawn suspends only this thread until the child's exec. */
static void job_execute(napi_env env, void *data) {
  (void)env;
  struct job *j = data;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, j->child_fds[0], 2);
  posix_spawn_file_actions_adddup2(&fa, j->child_fds[1], 3);
  posix_spawn_file_actions_adddup2(&fa, j->child_fds[2], 4);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  j->rc = posix_spawn(&j->pid, j->file, &fa, &attr, j->args, j->envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
}

/* Back on the main thread: done(null, pid) or done(error). */
static void job_complete(napi_env env, napi_status status, void *data) {
  struct job *j = data;
  napi_value done, global, argv[2];
  napi_get_reference_value(env, j->done, &done);
  napi_get_global(env, &global);
  int e = status != napi_ok ? ECANCELED : j->rc;
  if (e) {
    char text[4200];
    napi_value msg;
    snprintf(text, sizeof text, "%s: %s", j->file, strerror(e));
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &argv[0]);
    napi_get_undefined(env, &argv[1]);
  } else {
    napi_get_null(env, &argv[0]);
    napi_create_int32(env, j->pid, &argv[1]);
  }
  job_free(env, j);
  napi_call_function(env, global, done, 2, argv, NULL);
}

static napi_value do_spawn(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args_or_throw(env, info, 4, argv, "spawn(file, argv, env, done)")) return NULL;
  struct job *j = calloc(1, sizeof *j);
  if (!j) return fail(env, "spawn", ENOMEM);
  for (int i = 0; i < 3; i++) j->child_fds[i] = -1;
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], j->file, sizeof j->file, &len) != napi_ok) {
    job_free(env, j);
    return fail(env, "spawn", EINVAL);
  }
  j->args = str_array(env, argv[1]);
  j->envp = str_array(env, argv[2]);
  int sync[2] = {-1, -1}, err[2] = {-1, -1}, start[2] = {-1, -1};
  napi_value name, arr, v;
  if (!j->args || !j->envp || high_pipe(sync) || high_pipe(err) || high_pipe(start)) {
    int e = errno ? errno : ENOMEM;
    for (int i = 0; i < 2; i++) {
      if (sync[i] >= 0) close(sync[i]);
      if (err[i] >= 0) close(err[i]);
      if (start[i] >= 0) close(start[i]);
    }
    job_free(env, j);
    return fail(env, "pipe", e);
  }
  j->child_fds[0] = err[1];
  j->child_fds[1] = sync[1];
  j->child_fds[2] = start[0];
  napi_create_reference(env, argv[3], 1, &j->done);
  napi_create_string_utf8(env, "wharf:spawn", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, job_execute, job_complete, j, &j->work) != napi_ok || napi_queue_async_work(env, j->work) != napi_ok) {
    close(sync[0]);
    close(err[0]);
    close(start[1]);
    job_free(env, j);
    return fail(env, "spawn", EAGAIN);
  }
  napi_create_array_with_length(env, 3, &arr);
  int vals[3] = {sync[0], err[0], start[1]};
  for (int i = 0; i < 3; i++) {
    napi_create_int32(env, vals[i], &v);
    napi_set_element(env, arr, i, v);
  }
  return arr;
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
  napi_value argv[1], out;
  if (!args_or_throw(env, info, 1, argv, "sealedCopy(path)")) return NULL;
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

static napi_value do_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int p[2];
  if (high_pipe(p) != 0) return fail(env, "pipe", errno);
  napi_value arr, v;
  napi_create_array_with_length(env, 2, &arr);
  for (int i = 0; i < 2; i++) {
    napi_create_int32(env, p[i], &v);
    napi_set_element(env, arr, i, v);
  }
  return arr;
}

static napi_value init(napi_env env, napi_value exports) {
  export_fn(env, exports, "spawn", do_spawn);
  export_fn(env, exports, "reap", do_reap);
  export_fn(env, exports, "pipe", do_pipe);
  export_fn(env, exports, "sealedCopy", do_sealed_copy);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
