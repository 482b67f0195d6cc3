/* A cache holding whatever the test planted in it: hostile values under
 * fibd's keys (wrong digits, JSON fragments, binary bytes, megabytes of
 * junk, nothing), as another client of a shared Redis could write them.
 * Option seed_file: records "KEY_LEN VALUE_LEN\n" followed by the key and
 * value bytes. set() overwrites, so a test sees what fibd writes back.
 * Two factories: fibd_cache_plugin (non-blocking: fibd looks values up on
 * its event loops) and planted_blocking (looked up on workers). */
#include <fibd/cache_plugin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 64

typedef struct entry {
  char* key;
  size_t key_len;
  char* value;
  size_t value_len;
} entry;

typedef struct planted {
  pthread_mutex_t mutex;
  entry entries[MAX_ENTRIES];
  size_t count;
} planted;

static void store(planted* self, const void* key, size_t key_len, const void* value,
                  size_t value_len) {
  entry* e = NULL;
  for (size_t i = 0; i < self->count && e == NULL; ++i) {
    if (self->entries[i].key_len == key_len &&
        memcmp(self->entries[i].key, key, key_len) == 0) {
      e = &self->entries[i];
    }
  }
  if (e == NULL) {
    if (self->count == MAX_ENTRIES) return;
    e = &self->entries[self->count++];
    e->key = malloc(key_len + 1);
    memcpy(e->key, key, key_len);
    e->key_len = key_len;
  } else {
    free(e->value);
  }
  e->value = malloc(value_len + 1);
  if (value_len > 0) memcpy(e->value, value, value_len);
  e->value_len = value_len;
}

static void destroy(fibd_cache_instance* instance) {
  planted* self = (planted*)instance;
  for (size_t i = 0; i < self->count; ++i) {
    free(self->entries[i].key);
    free(self->entries[i].value);
  }
  pthread_mutex_destroy(&self->mutex);
  free(self);
}

static int load_seed(planted* self, const char* path, char* err, size_t err_len) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) {
    snprintf(err, err_len, "cannot open seed_file %s", path);
    return -1;
  }
  size_t key_len, value_len;
  while (fscanf(f, "%zu %zu", &key_len, &value_len) == 2 && fgetc(f) == '\n') {
    char* key = malloc(key_len + 1);
    char* value = malloc(value_len + 1);
    if (fread(key, 1, key_len, f) != key_len ||
        fread(value, 1, value_len, f) != value_len) {
      free(key), free(value), fclose(f);
      snprintf(err, err_len, "seed_file %s is truncated", path);
      return -1;
    }
    store(self, key, key_len, value, value_len);
    free(key), free(value);
  }
  fclose(f);
  return 0;
}

static fibd_cache_instance* create(const fibd_cache_host* host,
                                   const fibd_cache_config* config, char* err,
                                   size_t err_len) {
  (void)host;
  planted* self = calloc(1, sizeof *self);
  pthread_mutex_init(&self->mutex, NULL);
  for (size_t i = 0; i < config->option_count; ++i) {
    if (strcmp(fibd_cache_option_at(config, i)->key, "seed_file") != 0 ||
        load_seed(self, fibd_cache_option_at(config, i)->value, err, err_len) != 0) {
      if (strcmp(fibd_cache_option_at(config, i)->key, "seed_file") != 0) {
        snprintf(err, err_len, "unknown option '%s' (known: seed_file)",
                 fibd_cache_option_at(config, i)->key);
      }
      destroy((fibd_cache_instance*)self);
      return NULL;
    }
  }
  return (fibd_cache_instance*)self;
}

static fibd_cache_status get(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const fibd_cache_sink* sink,
                             char* err, size_t err_len) {
  (void)call;
  (void)err, (void)err_len;
  planted* self = (planted*)instance;
  fibd_cache_status status = FIBD_CACHE_NOT_FOUND;
  pthread_mutex_lock(&self->mutex);
  for (size_t i = 0; i < self->count; ++i) {
    const entry* e = &self->entries[i];
    if (e->key_len == key_len && memcmp(e->key, key, key_len) == 0) {
      status = sink->put(sink->ctx, e->value, e->value_len) == 0 ? FIBD_CACHE_HIT
                                                                 : FIBD_CACHE_ERROR;
      break;
    }
  }
  pthread_mutex_unlock(&self->mutex);
  return status;
}

static fibd_cache_status set(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const void* value,
                             size_t value_len, uint64_t ttl_ms, char* err,
                             size_t err_len) {
  (void)call;
  (void)ttl_ms, (void)err, (void)err_len;
  planted* self = (planted*)instance;
  pthread_mutex_lock(&self->mutex);
  store(self, key, key_len, value, value_len);
  pthread_mutex_unlock(&self->mutex);
  return FIBD_CACHE_OK;
}

#define PLANTED_DESCRIPTOR(var, caps)               \
  static const fibd_cache_descriptor var = {        \
      .abi_version = FIBD_CACHE_ABI_VERSION,        \
      .struct_size = sizeof(fibd_cache_descriptor), \
      .name = "planted_values",                     \
      .version = "1.0",                             \
      .capabilities = (caps),                       \
      .create = create,                             \
      .destroy = destroy,                           \
      .get = get,                                   \
      .set = set,                                   \
  }

PLANTED_DESCRIPTOR(non_blocking,
                   FIBD_CACHE_CAP_THREAD_SAFE | FIBD_CACHE_CAP_NON_BLOCKING);
PLANTED_DESCRIPTOR(blocking, FIBD_CACHE_CAP_THREAD_SAFE);

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &non_blocking;
}
FIBD_CACHE_EXPORT const fibd_cache_descriptor* planted_blocking(void) {
  return &blocking;
}
