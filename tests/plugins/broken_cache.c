/* A plugin that breaks the contract in ways only running it shows:
 * - set() never replaces a value: the first one sticks (stale values);
 * - TTLs are ignored: entries never expire;
 * - keys are compared as C strings: "a\0b" and "a\0c" collide.
 * fibd-plugin-check must fail on it. */
#include <fibd/cache_plugin.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 64

struct slot {
  char* key;
  char* value;
  size_t value_len;
};
struct broken {
  struct slot slots[SLOTS];
};

static fibd_cache_instance* create(const fibd_cache_host* host,
                                   const fibd_cache_config* config, char* err,
                                   size_t err_len) {
  (void)host, (void)config, (void)err, (void)err_len;
  return calloc(1, sizeof(struct broken));
}
static void destroy(fibd_cache_instance* instance) {
  struct broken* b = (struct broken*)instance;
  int i;
  for (i = 0; i < SLOTS; ++i) {
    free(b->slots[i].key);
    free(b->slots[i].value);
  }
  free(b);
}
static struct slot* find(struct broken* b, const void* key, size_t key_len) {
  int i;
  (void)key_len;
  for (i = 0; i < SLOTS; ++i) {
    if (b->slots[i].key != NULL && strcmp(b->slots[i].key, (const char*)key) == 0) {
      return &b->slots[i];
    }
  }
  return NULL;
}
static fibd_cache_status get(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const fibd_cache_sink* sink,
                             char* err, size_t err_len) {
  (void)call;
  struct slot* s = find((struct broken*)instance, key, key_len);
  (void)err, (void)err_len;
  if (s == NULL) return FIBD_CACHE_NOT_FOUND;
  sink->put(sink->ctx, s->value, s->value_len);
  return FIBD_CACHE_HIT;
}
static fibd_cache_status set(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const void* value,
                             size_t value_len, uint64_t ttl_ms, char* err,
                             size_t err_len) {
  (void)call;
  struct broken* b = (struct broken*)instance;
  int i;
  (void)ttl_ms, (void)err, (void)err_len;
  if (find(b, key, key_len) != NULL) return FIBD_CACHE_OK; /* stale forever */
  for (i = 0; i < SLOTS; ++i) {
    if (b->slots[i].key == NULL) {
      b->slots[i].key = (char*)calloc(1, key_len + 1);
      memcpy(b->slots[i].key, key, key_len);
      b->slots[i].value = (char*)malloc(value_len + 1);
      memcpy(b->slots[i].value, value, value_len);
      b->slots[i].value_len = value_len;
      return FIBD_CACHE_OK;
    }
  }
  return FIBD_CACHE_OK; /* full: silently drops */
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "broken_cache",
    .version = "0.0.1",
    .description = "deliberately wrong",
    .create = create,
    .destroy = destroy,
    .get = get,
    .set = set,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
