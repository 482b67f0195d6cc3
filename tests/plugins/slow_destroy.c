/* A cache whose destroy() takes 2 s, like redis.so closing its pool against
 * a slow server. Option marker_dir: destroy() writes the name of the thread
 * it runs on to destroy-thread there, creates destroy-started, sleeps 2 s,
 * then creates destroy-done. Non-blocking and thread-safe, so fibd's event
 * loops hold it; get() always misses. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "stub_entry_points.h"

typedef struct slow_destroy {
  char dir[512];
} slow_destroy;

static fibd_cache_instance* create(const fibd_cache_host* host,
                                   const fibd_cache_config* config, char* err,
                                   size_t err_len) {
  (void)host;
  if (config->option_count != 1 ||
      strcmp(fibd_cache_option_at(config, 0)->key, "marker_dir") != 0) {
    snprintf(err, err_len, "needs exactly one option: marker_dir");
    return NULL;
  }
  slow_destroy* self = calloc(1, sizeof *self);
  snprintf(self->dir, sizeof self->dir, "%s", fibd_cache_option_at(config, 0)->value);
  return (fibd_cache_instance*)self;
}

static void marker(const slow_destroy* self, const char* name, const char* text) {
  char path[700];
  snprintf(path, sizeof path, "%s/%s", self->dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (write(fd, text, strlen(text)) < 0) { /* the test notices the missing text */
  }
  close(fd);
}

static void destroy(fibd_cache_instance* instance) {
  slow_destroy* self = (slow_destroy*)instance;
  char thread[17] = "";
  prctl(PR_GET_NAME, thread, 0, 0, 0);
  marker(self, "destroy-thread", thread);
  marker(self, "destroy-started", "");
  const struct timespec two_seconds = {2, 0};
  nanosleep(&two_seconds, NULL);
  marker(self, "destroy-done", "");
  free(self);
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "slow_destroy",
    .version = "1.0",
    .capabilities = FIBD_CACHE_CAP_THREAD_SAFE | FIBD_CACHE_CAP_NON_BLOCKING,
    .create = create,
    .destroy = destroy,
    .get = stub_get_not_found,
    .set = stub_set_ok,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
