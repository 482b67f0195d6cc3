/*
 * example_c.c — a complete fibd cache plugin in plain C99, and the template
 * for writing your own.
 *
 * Build it out of tree:
 *
 *   cc -std=c99 -O2 -shared -fPIC -fvisibility=hidden \
 *      $(pkg-config --cflags fibd-plugin) -o example_c.so example_c.c
 *
 * check it with `fibd-plugin-check ./example_c.so`, then point fibd at it
 * (cache.plugin: /usr/local/lib/fibd/example_c.so, cache.options:
 * {max_entries: "4096"}).
 *
 * What it is: a hash table of at most max_entries entries behind one mutex.
 * When full, the oldest entry goes (FIFO, to keep the example short; a real
 * cache would evict the least recently used one, as memory.so does). TTLs are
 * honoured: an expired entry is freed when it is found and never returned.
 *
 * The rules that matter (all of them are in <fibd/cache_plugin.h>):
 *   - export exactly one function, the factory, with FIBD_CACHE_EXPORT;
 *     compile with -fvisibility=hidden so nothing else leaks out;
 *   - the descriptor is static and constant;
 *   - never keep pointers to keys, values or options the host passes in:
 *     copy the bytes;
 *   - hand a hit back through sink->put(), which copies it: the host never
 *     frees plugin memory and the plugin never frees host memory;
 *   - keys and values are byte strings: they may contain NUL bytes, so use
 *     lengths and memcmp/memcpy, never strlen/strcmp;
 *   - on failure write a short reason into err (snprintf does it) and return
 *     FIBD_CACHE_ERROR (or NULL from create); fibd puts the plugin's name in
 *     front of it, so the message does not;
 *   - read option i with fibd_cache_option_at(config, i), never
 *     config->options[i]: options are config->option_size bytes apart;
 *   - set()'s ttl_ms is the entry's TTL (0: never expires); the plugin never
 *     applies config->default_ttl_ms itself;
 *   - every structure starts with struct_size. Every version 2 host has
 *     log, monotonic_ns, metric_add and metric_set; anything newer (the
 *     watch services, call->loop) is read only when FIBD_CACHE_HAS_FIELD says
 *     it is there;
 *   - initialise the descriptor with designated initializers, so that no
 *     entry point lands in another's slot.
 * A plugin that waits on a network would rather answer FIBD_CACHE_PENDING
 * and complete later from its own thread: see "Asynchronous get and set" in
 * the header and docs/plugins.md.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, pthreads */

#include <errno.h>
#include <fibd/cache_plugin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXAMPLE_VERSION "1.0.0"
#define DEFAULT_MAX_ENTRIES 1024u
#define LIMIT_MAX_ENTRIES 1000000u

/* One cached entry. Key and value bytes live right after the struct. */
struct entry {
  struct entry* next_in_bucket;
  struct entry* older; /* insertion order: towards the oldest entry */
  struct entry* newer; /* insertion order: towards the newest entry */
  uint64_t expires_ms; /* CLOCK_MONOTONIC milliseconds; 0: never */
  size_t key_len;
  size_t value_len;
  unsigned char bytes[]; /* key_len bytes of key, then value_len of value */
};

/* One instance: everything create() builds and destroy() frees. */
struct example_cache {
  fibd_cache_host host; /* our own copy of the host services */
  pthread_mutex_t lock; /* guards everything below */
  struct entry** buckets;
  size_t bucket_count; /* a power of two */
  size_t count;
  size_t max_entries;
  struct entry* oldest;
  struct entry* newest;
  uint64_t hits, misses, evictions;
};

/* ---- small helpers ------------------------------------------------------ */

static void log_line(const struct example_cache* c, fibd_cache_log_level level,
                     const char* message) {
  /* log is one of the services every version 2 host has. */
  c->host.log(c->host.ctx, level, 0, message);
}

/* Counts in the host's /metrics, as
 * fibd_plugin_counter_total{name="...",plugin="example_c"}. */
static void count(const struct example_cache* c, const char* name) {
  c->host.metric_add(c->host.ctx, name, 1);
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* FNV-1a: simple and good enough for a small table. */
static uint64_t hash_bytes(const void* data, size_t len) {
  const unsigned char* p = (const unsigned char*)data;
  uint64_t h = 1469598103934665603ull;
  size_t i;
  for (i = 0; i < len; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

static struct entry** bucket_of(struct example_cache* c, const void* key,
                                size_t key_len) {
  return &c->buckets[hash_bytes(key, key_len) & (c->bucket_count - 1)];
}

/* Finds the link that points at the entry for key (or at NULL). */
static struct entry** find_link(struct example_cache* c, const void* key,
                                size_t key_len) {
  struct entry** link = bucket_of(c, key, key_len);
  while (*link != NULL) {
    struct entry* e = *link;
    if (e->key_len == key_len && (key_len == 0 || memcmp(e->bytes, key, key_len) == 0)) {
      return link;
    }
    link = &e->next_in_bucket;
  }
  return link;
}

/* Unlinks *link from its bucket and from the age list, and frees it. */
static void remove_entry(struct example_cache* c, struct entry** link) {
  struct entry* e = *link;
  *link = e->next_in_bucket;
  if (e->older != NULL)
    e->older->newer = e->newer;
  else
    c->oldest = e->newer;
  if (e->newer != NULL)
    e->newer->older = e->older;
  else
    c->newest = e->older;
  c->count--;
  free(e);
}

static void remove_all(struct example_cache* c) {
  struct entry* e = c->oldest;
  while (e != NULL) {
    struct entry* next = e->newer;
    free(e);
    e = next;
  }
  memset(c->buckets, 0, c->bucket_count * sizeof c->buckets[0]);
  c->oldest = c->newest = NULL;
  c->count = 0;
}

/* Strict decimal parsing: digits only, no sign, no spaces, no overflow. */
static int parse_count(const char* text, size_t* out) {
  size_t value = 0;
  const char* p = text;
  if (*p == '\0') return -1;
  for (; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return -1;
    if (value > (LIMIT_MAX_ENTRIES * 10u)) return -1; /* far past the limit */
    value = value * 10u + (size_t)(*p - '0');
  }
  *out = value;
  return 0;
}

/* ---- the entry points ---------------------------------------------------- */

static fibd_cache_instance* example_create(const fibd_cache_host* host,
                                           const fibd_cache_config* config, char* err,
                                           size_t err_len) {
  struct example_cache* c;
  size_t max_entries = DEFAULT_MAX_ENTRIES;
  uint64_t i;
  char line[96];

  /* Options are borrowed for this call only: read them now. Reject keys we
   * do not know, so a typo in the config file is an error, not a surprise. */
  for (i = 0; i < config->option_count; ++i) {
    /* Options are option_size bytes apart: the host's options may be larger
     * than the ones this plugin was built with. */
    const fibd_cache_option* o = fibd_cache_option_at(config, i);
    if (strcmp(o->key, "max_entries") == 0) {
      if (parse_count(o->value, &max_entries) != 0 || max_entries == 0 ||
          max_entries > LIMIT_MAX_ENTRIES) {
        snprintf(err, err_len, "option max_entries: '%s' is not a number from 1 to %u",
                 o->value, LIMIT_MAX_ENTRIES);
        return NULL;
      }
    } else {
      snprintf(err, err_len, "unknown option '%s' (known: max_entries)", o->key);
      return NULL;
    }
  }

  c = (struct example_cache*)calloc(1, sizeof *c);
  if (c == NULL) {
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  /* Copy the host services: only the part both sides know (a newer host's
   * may be larger, and the part past FIBD_CACHE_HOST_V2_MIN_SIZE may be
   * missing in an older one). */
  memcpy(&c->host, host,
         host->struct_size < sizeof c->host ? host->struct_size : sizeof c->host);
  c->max_entries = max_entries;
  for (c->bucket_count = 16; c->bucket_count < max_entries; c->bucket_count *= 2) {
  }
  c->buckets = (struct entry**)calloc(c->bucket_count, sizeof c->buckets[0]);
  if (c->buckets == NULL || pthread_mutex_init(&c->lock, NULL) != 0) {
    free(c->buckets);
    free(c);
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  snprintf(line, sizeof line, "ready (max_entries=%lu)", (unsigned long)max_entries);
  log_line(c, FIBD_LOG_INFO, line);
  /* The instance handle is opaque to the host: our struct, under its name. */
  return (fibd_cache_instance*)c;
}

/* This plugin answers every call before returning (it never answers
 * FIBD_CACHE_PENDING), so it does not require FIBD_CACHE_FEATURE_ASYNC and
 * offers no cancel(). */

static void example_destroy(fibd_cache_instance* instance) {
  struct example_cache* c = (struct example_cache*)instance;
  /* No other call runs now, and none will: no locking needed. destroy()
   * runs on the host's reaper thread. */
  remove_all(c);
  log_line(c, FIBD_LOG_INFO, "stopped");
  pthread_mutex_destroy(&c->lock);
  free(c->buckets);
  free(c);
}

static fibd_cache_status example_get(fibd_cache_instance* instance,
                                     const fibd_cache_call* call, const void* key,
                                     size_t key_len, const fibd_cache_sink* sink,
                                     char* err, size_t err_len) {
  struct example_cache* c = (struct example_cache*)instance;
  struct entry** link;
  struct entry* e;
  fibd_cache_status status;
  /* call->deadline_ns and call->request_id matter to a plugin that waits on
   * a network; an in-memory table answers at once. */
  (void)call;

  pthread_mutex_lock(&c->lock);
  link = find_link(c, key, key_len);
  e = *link;
  if (e == NULL) {
    c->misses++;
    status = FIBD_CACHE_NOT_FOUND;
  } else if (e->expires_ms != 0 && e->expires_ms <= now_ms()) {
    remove_entry(c, link); /* expired: free it, never return it */
    c->misses++;
    status = FIBD_CACHE_EXPIRED;
  } else if (sink->put(sink->ctx, e->bytes + e->key_len, e->value_len) != 0) {
    /* The host copies the value during put(); it failed to take it. */
    snprintf(err, err_len, "the host refused a value of %lu bytes",
             (unsigned long)e->value_len);
    status = FIBD_CACHE_ERROR;
  } else {
    c->hits++;
    status = FIBD_CACHE_HIT;
  }
  pthread_mutex_unlock(&c->lock);
  if (status == FIBD_CACHE_EXPIRED) count(c, "expired_entries_dropped");
  return status;
}

static fibd_cache_status example_set(fibd_cache_instance* instance,
                                     const fibd_cache_call* call, const void* key,
                                     size_t key_len, const void* value, size_t value_len,
                                     uint64_t ttl_ms, char* err, size_t err_len) {
  struct example_cache* c = (struct example_cache*)instance;
  struct entry** link;
  struct entry* e;
  uint64_t now;
  (void)call;

  if (key_len > SIZE_MAX / 2 || value_len > SIZE_MAX / 2 - key_len - sizeof *e) {
    snprintf(err, err_len, "entry too large");
    return FIBD_CACHE_ERROR;
  }
  /* Allocate and copy outside the lock. */
  e = (struct entry*)malloc(sizeof *e + key_len + value_len);
  if (e == NULL) {
    snprintf(err, err_len, "out of memory for an entry of %lu bytes",
             (unsigned long)(key_len + value_len));
    return FIBD_CACHE_ERROR;
  }
  if (key_len > 0) memcpy(e->bytes, key, key_len);
  if (value_len > 0) memcpy(e->bytes + key_len, value, value_len);
  e->key_len = key_len;
  e->value_len = value_len;
  now = now_ms();
  e->expires_ms = ttl_ms == 0 ? 0 : (ttl_ms > UINT64_MAX - now ? 0 : now + ttl_ms);

  pthread_mutex_lock(&c->lock);
  link = find_link(c, key, key_len);
  if (*link != NULL) remove_entry(c, link); /* replace the old value */
  if (c->count >= c->max_entries) {
    remove_entry(c, find_link(c, c->oldest->bytes, c->oldest->key_len));
    c->evictions++;
  }
  link = bucket_of(c, key, key_len);
  e->next_in_bucket = *link;
  *link = e;
  e->older = c->newest;
  e->newer = NULL;
  if (c->newest != NULL)
    c->newest->newer = e;
  else
    c->oldest = e;
  c->newest = e;
  c->count++;
  pthread_mutex_unlock(&c->lock);
  return FIBD_CACHE_OK;
}

static fibd_cache_status example_del(fibd_cache_instance* instance,
                                     const fibd_cache_call* call, const void* key,
                                     size_t key_len, char* err, size_t err_len) {
  struct example_cache* c = (struct example_cache*)instance;
  struct entry** link;
  fibd_cache_status status = FIBD_CACHE_NOT_FOUND;
  (void)call;
  (void)err;
  (void)err_len;
  pthread_mutex_lock(&c->lock);
  link = find_link(c, key, key_len);
  if (*link != NULL) {
    remove_entry(c, link);
    status = FIBD_CACHE_OK;
  }
  pthread_mutex_unlock(&c->lock);
  return status;
}

static fibd_cache_status example_clear(fibd_cache_instance* instance,
                                       const fibd_cache_call* call, char* err,
                                       size_t err_len) {
  struct example_cache* c = (struct example_cache*)instance;
  (void)call;
  (void)err;
  (void)err_len;
  pthread_mutex_lock(&c->lock);
  remove_all(c);
  pthread_mutex_unlock(&c->lock);
  return FIBD_CACHE_OK;
}

static fibd_cache_status example_stats(fibd_cache_instance* instance,
                                       const fibd_cache_stats_sink* sink, char* err,
                                       size_t err_len) {
  struct example_cache* c = (struct example_cache*)instance;
  uint64_t entries, hits, misses, evictions;
  (void)err;
  (void)err_len;
  pthread_mutex_lock(&c->lock);
  entries = c->count;
  hits = c->hits;
  misses = c->misses;
  evictions = c->evictions;
  pthread_mutex_unlock(&c->lock);
  /* Report outside the lock: the host's sink may take its time. */
  sink->put(sink->ctx, "entries", entries);
  sink->put(sink->ctx, "hits", hits);
  sink->put(sink->ctx, "misses", misses);
  sink->put(sink->ctx, "evictions", evictions);
  return FIBD_CACHE_OK;
}

/* ---- the descriptor and the one exported symbol -------------------------- */

/* Designated initializers: each entry point in its own slot whatever the
 * order of the fields, and the ones left out are NULL. */
static const fibd_cache_descriptor example_descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "example_c",
    .version = EXAMPLE_VERSION,
    .description = "Example plugin in C: a mutex-protected hash table with FIFO eviction",
    /* One short mutex around in-memory work: safe to call from many threads
     * at once, and never blocks on I/O. */
    .capabilities = FIBD_CACHE_CAP_THREAD_SAFE | FIBD_CACHE_CAP_NON_BLOCKING,
    .required_features = 0, /* synchronous: no FIBD_CACHE_FEATURE_ASYNC */
    .create = example_create,
    .destroy = example_destroy,
    .get = example_get,
    .set = example_set,
    /* .cancel stays NULL: only for FIBD_CACHE_FEATURE_ASYNC plugins */
    .del = example_del,     /* optional: leave it out if you do not offer it */
    .clear = example_clear, /* optional */
    .stats = example_stats, /* optional */
};

/* The factory under its default name, declared in <fibd/cache_plugin.h>. */
FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &example_descriptor;
}
