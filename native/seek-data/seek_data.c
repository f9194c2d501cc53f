// seekData(fd, offset) / seekHole(fd, offset): lseek(2) with SEEK_DATA / SEEK_HOLE, which
// Node's fs lacks. They return the offset found, or -1 where lseek fails with ENXIO (no
// data at or after offset, or offset past the end); other errors throw with errno's text.
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>

static napi_value seek(napi_env env, napi_callback_info info, int whence) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  int64_t offset;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int64(env, argv[1], &offset) != napi_ok || offset < 0) {
    napi_throw_type_error(env, NULL, "expected (fd, offset) with a non-negative offset");
    return NULL;
  }
  off_t found = lseek(fd, (off_t)offset, whence);
  if (found < 0 && errno != ENXIO) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  napi_value result;
  napi_create_int64(env, found < 0 ? -1 : (int64_t)found, &result);
  return result;
}

static napi_value seek_data(napi_env env, napi_callback_info info) {
  return seek(env, info, SEEK_DATA);
}

static napi_value seek_hole(napi_env env, napi_callback_info info) {
  return seek(env, info, SEEK_HOLE);
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"seekData", NULL, seek_data, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seekHole", NULL, seek_hole, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, 2, props) != napi_ok) return NULL;
  return exports;
}
