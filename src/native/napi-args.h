/* What the addons share: a function exported, a call's arguments checked, a JS string argument as a C string. */
#ifndef WHARF_NAPI_ARGS_H
#define WHARF_NAPI_ARGS_H
#include <stdbool.h>
#include <stdlib.h>
#include <node_api.h>

/* exports[name] = a JS function that calls cb. */
static inline void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

/* The call's first n arguments into argv; false (a TypeError with the usage thrown) if fewer came. */
static inline bool args_or_throw(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) {
    napi_throw_type_error(env, NULL, usage);
    return false;
  }
  return true;
}

/* A JS string argument as a malloc'd C string (NULL if it is none). */
static inline char *str_arg(napi_env env, napi_value v) {
  size_t len = 0;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return NULL;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

#endif
