/*
 * A cache plugin written from <fibd/cache_plugin.h> alone, as an author
 * outside fibd would: no fibd helper, no pthreads, the descriptor initialised
 * positionally in the field order of ABI 2. tests/sdk/build-header-only
 * builds it with clang -std=c99 -pedantic and with tcc, warnings as errors,
 * and runs fibd-plugin-check on the result.
 *
 * A list of at most max_entries entries, newest first; not thread-safe, so
 * fibd serialises its calls.
 */
#define _POSIX_C_SOURCE 200809L

#include <fibd/cache_plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct entry {
  struct entry* next;
  uint64_t expires_ns; /* 0: never */
  size_t key_len, value_len;
  unsigned char* bytes; /* key, then value */
};

/* The plugin defines the instance struct itself: no casts needed. */
struct fibd_cache_instance {
  const fibd_cache_host* host;
  struct entry* head;
  uint64_t count, max_entries, hits, misses;
};

static uint64_t now_ns(const fibd_cache_instance* c) {
  /* monotonic_ns is one of the services every version 2 host has. */
  return c->host->monotonic_ns(c->host->ctx);
}

static void drop(fibd_cache_instance* c, struct entry** link) {
  struct entry* e = *link;
  *link = e->next;
  free(e->bytes);
  free(e);
  c->count--;
}

static struct entry** find(fibd_cache_instance* c, const void* key, size_t key_len) {
  struct entry** link = &c->head;
  while (*link != NULL && !((*link)->key_len == key_len &&
                            (key_len == 0 || memcmp((*link)->bytes, key, key_len) == 0)))
    link = &(*link)->next;
  return link;
}

static fibd_cache_instance* list_create(const fibd_cache_host* host,
                                        const fibd_cache_config* config, char* err,
                                        size_t err_len) {
  fibd_cache_instance* c;
  uint64_t max_entries = 256, i;
  for (i = 0; i < config->option_count; ++i) {
    const fibd_cache_option* o = fibd_cache_option_at(config, i);
    char* end = NULL;
    if (strcmp(o->key, "max_entries") != 0) {
      /* fibd names the plugin in front of this message. */
      snprintf(err, err_len, "unknown option '%s' (known: max_entries)", o->key);
      return NULL;
    }
    max_entries = strtoull(o->value, &end, 10);
    if (*o->value == '\0' || *end != '\0' || max_entries == 0 || max_entries > 100000) {
      snprintf(err, err_len, "max_entries: '%s' is not a number from 1 to 100000",
               o->value);
      return NULL;
    }
  }
  c = (fibd_cache_instance*)calloc(1, sizeof *c);
  if (c == NULL) {
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  c->host = host; /* valid until destroy() returns */
  c->max_entries = max_entries;
  host->log(host->ctx, FIBD_LOG_INFO, 0, "ready");
  return c;
}

static void list_destroy(fibd_cache_instance* c) {
  while (c->head != NULL) drop(c, &c->head);
  free(c);
}

static fibd_cache_status list_get(fibd_cache_instance* c, const fibd_cache_call* call,
                                  const void* key, size_t key_len,
                                  const fibd_cache_sink* sink, char* err,
                                  size_t err_len) {
  struct entry** link = find(c, key, key_len);
  struct entry* e = *link;
  (void)call;
  if (e == NULL) {
    c->misses++;
    return FIBD_CACHE_NOT_FOUND;
  }
  if (e->expires_ns != 0 && e->expires_ns <= now_ns(c)) {
    drop(c, link);
    c->misses++;
    return FIBD_CACHE_EXPIRED;
  }
  if (sink->put(sink->ctx, e->bytes + e->key_len, e->value_len) != 0) {
    snprintf(err, err_len, "the host did not take a value of %lu bytes",
             (unsigned long)e->value_len);
    return FIBD_CACHE_ERROR;
  }
  c->hits++;
  return FIBD_CACHE_HIT;
}

static fibd_cache_status list_set(fibd_cache_instance* c, const fibd_cache_call* call,
                                  const void* key, size_t key_len, const void* value,
                                  size_t value_len, uint64_t ttl_ms, char* err,
                                  size_t err_len) {
  struct entry** link = find(c, key, key_len);
  struct entry* e = (struct entry*)malloc(sizeof *e);
  (void)call;
  if (e != NULL) e->bytes = (unsigned char*)malloc(key_len + value_len + 1);
  if (e == NULL || e->bytes == NULL) {
    free(e);
    snprintf(err, err_len, "out of memory");
    return FIBD_CACHE_ERROR;
  }
  if (*link != NULL) drop(c, link);
  memcpy(e->bytes, key, key_len);
  if (value_len > 0) memcpy(e->bytes + key_len, value, value_len);
  e->key_len = key_len;
  e->value_len = value_len;
  /* set()'s ttl_ms wins; 0 is "never expires". */
  e->expires_ns = ttl_ms == 0 ? 0 : now_ns(c) + ttl_ms * 1000000u;
  e->next = c->head;
  c->head = e;
  if (++c->count > c->max_entries) {
    link = &c->head;
    while ((*link)->next != NULL) link = &(*link)->next;
    drop(c, link); /* the oldest */
  }
  return FIBD_CACHE_OK;
}

static fibd_cache_status list_del(fibd_cache_instance* c, const fibd_cache_call* call,
                                  const void* key, size_t key_len, char* err,
                                  size_t err_len) {
  struct entry** link = find(c, key, key_len);
  (void)call, (void)err, (void)err_len;
  if (*link == NULL) return FIBD_CACHE_NOT_FOUND;
  drop(c, link);
  return FIBD_CACHE_OK;
}

static fibd_cache_status list_clear(fibd_cache_instance* c, const fibd_cache_call* call,
                                    char* err, size_t err_len) {
  (void)call, (void)err, (void)err_len;
  while (c->head != NULL) drop(c, &c->head);
  return FIBD_CACHE_OK;
}

static fibd_cache_status list_stats(fibd_cache_instance* c,
                                    const fibd_cache_stats_sink* sink, char* err,
                                    size_t err_len) {
  (void)err, (void)err_len;
  sink->put(sink->ctx, "entries", c->count);
  sink->put(sink->ctx, "hits", c->hits);
  sink->put(sink->ctx, "misses", c->misses);
  return FIBD_CACHE_OK;
}

/* Positional, in the order of ABI 2 (designated initializers are safer). */
static const fibd_cache_descriptor descriptor = {
    FIBD_CACHE_ABI_VERSION,
    sizeof(fibd_cache_descriptor),
    "header_only",
    "1.0.0",
    "A list cache built from the public header alone",
    0, /* capabilities: not thread-safe */
    0, /* required_features: synchronous */
    list_create,
    list_destroy,
    list_get,
    list_set,
    NULL, /* cancel: synchronous plugins have none */
    list_del,
    list_clear,
    list_stats,
};

/* Declared by the header, so -Wmissing-prototypes is quiet. */
FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
