/* A plugin built against ABI version 1 (its descriptor layout, copied here
 * as it was): the loader must refuse it, naming both versions. */
#include <stddef.h>
#include <stdint.h>

#define FIBD_VISIBLE __attribute__((visibility("default")))

typedef struct v1_descriptor {
  uint32_t abi_version;
  uint32_t struct_size;
  const char* name;
  const char* version;
  const char* description;
  uint64_t capabilities;
  void* (*create)(const void* host, const void* config, char* err, size_t err_len);
  void (*destroy)(void* instance);
  int (*get)(void* instance, const void* key, size_t key_len, const void* sink, char* err,
             size_t err_len);
  int (*set)(void* instance, const void* key, size_t key_len, const void* value,
             size_t value_len, uint64_t ttl_ms, char* err, size_t err_len);
  void* del;
  void* clear;
  void* stats;
} v1_descriptor;

static void* create(const void* host, const void* config, char* err, size_t err_len) {
  (void)host, (void)config, (void)err, (void)err_len;
  return NULL;
}
static void destroy(void* instance) { (void)instance; }
static int get(void* instance, const void* key, size_t key_len, const void* sink,
               char* err, size_t err_len) {
  (void)instance, (void)key, (void)key_len, (void)sink, (void)err, (void)err_len;
  return 2;
}
static int set(void* instance, const void* key, size_t key_len, const void* value,
               size_t value_len, uint64_t ttl_ms, char* err, size_t err_len) {
  (void)instance, (void)key, (void)key_len, (void)value, (void)value_len, (void)ttl_ms,
      (void)err, (void)err_len;
  return 0;
}

static const v1_descriptor descriptor = {1u,
                                         sizeof(v1_descriptor),
                                         "v1_plugin",
                                         "1.0",
                                         "built for ABI version 1",
                                         0,
                                         create,
                                         destroy,
                                         get,
                                         set,
                                         NULL,
                                         NULL,
                                         NULL};

FIBD_VISIBLE const v1_descriptor* fibd_cache_plugin(void) { return &descriptor; }
