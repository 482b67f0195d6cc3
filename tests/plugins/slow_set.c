/* A cache whose set() takes 3 s, like a Redis that stalls up to its
 * command_timeout. Option flag_dir: set() creates set-started-KEY there when
 * it begins and set-done-KEY when it returns, so a test can tell whether an
 * answer went out before the write finished. get() always misses. */
#include <fcntl.h>
#include <fibd/cache_plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stub_entry_points.h"

typedef struct slow_set {
  char dir[512];
} slow_set;

static fibd_cache_instance* create(const fibd_cache_host* host,
                                   const fibd_cache_config* config, char* err,
                                   size_t err_len) {
  (void)host;
  if (config->option_count != 1 ||
      strcmp(fibd_cache_option_at(config, 0)->key, "flag_dir") != 0) {
    snprintf(err, err_len, "needs exactly one option: flag_dir");
    return NULL;
  }
  slow_set* self = calloc(1, sizeof *self);
  snprintf(self->dir, sizeof self->dir, "%s", fibd_cache_option_at(config, 0)->value);
  return (fibd_cache_instance*)self;
}

static void destroy(fibd_cache_instance* instance) { free(instance); }

static void flag(const slow_set* self, const char* what, const void* key,
                 size_t key_len) {
  char path[700];
  snprintf(path, sizeof path, "%s/%s-%.*s", self->dir, what,
           (int)(key_len < 32 ? key_len : 32), (const char*)key);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
}

static fibd_cache_status set(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const void* value,
                             size_t value_len, uint64_t ttl_ms, char* err,
                             size_t err_len) {
  (void)call;
  (void)value, (void)value_len, (void)ttl_ms, (void)err, (void)err_len;
  flag((const slow_set*)instance, "set-started", key, key_len);
  const struct timespec three_seconds = {3, 0};
  nanosleep(&three_seconds, NULL);
  flag((const slow_set*)instance, "set-done", key, key_len);
  return FIBD_CACHE_OK;
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "slow_set",
    .version = "1.0",
    .capabilities = FIBD_CACHE_CAP_THREAD_SAFE,
    .create = create,
    .destroy = destroy,
    .get = stub_get_not_found,
    .set = set,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
