/* A cache plugin that fails on demand, for the fault tests
 * (tests/integration/test_faults.py). Options:
 *   create: ok | fail    create() fails with a message
 *   get:    miss | error every get() misses, or fails with a message
 *   set:    ok | error   every set() succeeds (stores nothing), or fails
 * Two factories: fibd_cache_plugin (blocking and not thread-safe: fibd calls
 * it from workers, one call at a time) and fault_nonblocking (thread-safe and
 * non-blocking: fibd also calls it on its event loops). */
#include <fibd/cache_plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fault_instance {
  int get_error;
  int set_error;
  const fibd_cache_host* host;
} fault_instance;

static int parse_choice(const char* value, const char* a, const char* b, int* out) {
  if (strcmp(value, a) == 0) {
    *out = 0;
    return 0;
  }
  if (strcmp(value, b) == 0) {
    *out = 1;
    return 0;
  }
  return -1;
}

static fibd_cache_instance* create(const fibd_cache_host* host,
                                   const fibd_cache_config* config, char* err,
                                   size_t err_len) {
  int create_fails = 0, get_error = 0, set_error = 0;
  for (size_t i = 0; config != NULL && i < config->option_count; ++i) {
    const char *key = fibd_cache_option_at(config, i)->key,
               *value = fibd_cache_option_at(config, i)->value;
    int bad;
    if (strcmp(key, "create") == 0) {
      bad = parse_choice(value, "ok", "fail", &create_fails);
    } else if (strcmp(key, "get") == 0) {
      bad = parse_choice(value, "miss", "error", &get_error);
    } else if (strcmp(key, "set") == 0) {
      bad = parse_choice(value, "ok", "error", &set_error);
    } else {
      snprintf(err, err_len, "unknown option '%s' (known: create, get, set)", key);
      return NULL;
    }
    if (bad) {
      snprintf(err, err_len, "option '%s': invalid value '%s'", key, value);
      return NULL;
    }
  }
  if (create_fails) {
    snprintf(err, err_len, "injected create() failure");
    return NULL;
  }
  fault_instance* self = calloc(1, sizeof *self);
  if (self == NULL) {
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  self->get_error = get_error;
  self->set_error = set_error;
  self->host = host;
  char line[128];
  snprintf(line, sizeof line, "created (get %s, set %s)", get_error ? "error" : "miss",
           set_error ? "error" : "ok");
  host->log(host->ctx, FIBD_LOG_INFO, 0, line);
  return (fibd_cache_instance*)self;
}

static void destroy(fibd_cache_instance* instance) {
  fault_instance* self = (fault_instance*)instance;
  self->host->log(self->host->ctx, FIBD_LOG_INFO, 0, "destroyed");
  free(self);
}

static fibd_cache_status get(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const fibd_cache_sink* sink,
                             char* err, size_t err_len) {
  (void)call;
  const fault_instance* self = (const fault_instance*)instance;
  (void)key, (void)key_len, (void)sink;
  if (self->get_error) {
    snprintf(err, err_len, "injected get() failure");
    return FIBD_CACHE_ERROR;
  }
  return FIBD_CACHE_NOT_FOUND;
}

static fibd_cache_status set(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const void* value,
                             size_t value_len, uint64_t ttl_ms, char* err,
                             size_t err_len) {
  (void)call;
  const fault_instance* self = (const fault_instance*)instance;
  (void)key, (void)key_len, (void)value, (void)value_len, (void)ttl_ms;
  if (self->set_error) {
    snprintf(err, err_len, "injected set() failure");
    return FIBD_CACHE_ERROR;
  }
  return FIBD_CACHE_OK;
}

static const fibd_cache_descriptor blocking = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "fault_injection",
    .version = "1.0",
    .description = "fails on demand (tests)",
    .create = create,
    .destroy = destroy,
    .get = get,
    .set = set,
};

static const fibd_cache_descriptor nonblocking = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "fault_injection",
    .version = "1.0",
    .description = "fails on demand (tests)",
    .capabilities = FIBD_CACHE_CAP_THREAD_SAFE | FIBD_CACHE_CAP_NON_BLOCKING,
    .create = create,
    .destroy = destroy,
    .get = get,
    .set = set,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &blocking;
}
FIBD_CACHE_EXPORT const fibd_cache_descriptor* fault_nonblocking(void) {
  return &nonblocking;
}
