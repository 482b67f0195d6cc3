/* Built twice, with -DPLUGIN_VERSION=1 and =2, for the replaced-.so test.
 * get() answers "v<PLUGIN_VERSION>" for any key, so a test sees which code
 * runs; stats() reports how many instances this image has created, so a
 * test sees whether two loads shared an image. */
#include <stdio.h>
#include <stdlib.h>

#include "../stub_entry_points.h"

#ifndef PLUGIN_VERSION
#error "build with -DPLUGIN_VERSION=N"
#endif
#define STR2(x) #x
#define STR(x) STR2(x)

static unsigned long instances_created; /* per image */

struct instance {
  fibd_cache_host host;
};

static fibd_cache_instance* create(const fibd_cache_host* host,
                                   const fibd_cache_config* config, char* err,
                                   size_t err_len) {
  struct instance* in = (struct instance*)malloc(sizeof *in);
  (void)config;
  if (in == NULL) {
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  in->host = *host;
  __atomic_add_fetch(&instances_created, 1, __ATOMIC_RELAXED);
  in->host.log(in->host.ctx, FIBD_LOG_INFO, 0, "created v" STR(PLUGIN_VERSION));
  return (fibd_cache_instance*)in;
}
static void destroy(fibd_cache_instance* instance) {
  struct instance* in = (struct instance*)instance;
  in->host.log(in->host.ctx, FIBD_LOG_INFO, 0, "destroyed v" STR(PLUGIN_VERSION));
  free(in);
}
static fibd_cache_status get(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const fibd_cache_sink* sink,
                             char* err, size_t err_len) {
  (void)call;
  static const char value[] = "v" STR(PLUGIN_VERSION);
  (void)instance, (void)key, (void)key_len, (void)err, (void)err_len;
  if (sink->put(sink->ctx, value, sizeof value - 1) != 0) return FIBD_CACHE_ERROR;
  return FIBD_CACHE_HIT;
}
static fibd_cache_status stats(fibd_cache_instance* instance,
                               const fibd_cache_stats_sink* sink, char* err,
                               size_t err_len) {
  (void)instance, (void)err, (void)err_len;
  sink->put(sink->ctx, "instances",
            __atomic_load_n(&instances_created, __ATOMIC_RELAXED));
  return FIBD_CACHE_OK;
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "versioned",
    .version = STR(PLUGIN_VERSION),
    .description = "test plugin, one source built as two versions",
    .capabilities = FIBD_CACHE_CAP_THREAD_SAFE | FIBD_CACHE_CAP_NON_BLOCKING,
    .create = create,
    .destroy = destroy,
    .get = get,
    .set = stub_set_ok,
    .stats = stats,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
