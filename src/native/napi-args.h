/* What the addons share: a JS string argument as a malloc'd C string (NULL if it is none). */
#ifndef WHARF_NAPI_ARGS_H
#define WHARF_NAPI_ARGS_H
#include <stdlib.h>
#include <node_api.h>

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
