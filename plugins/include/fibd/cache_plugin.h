/*
 * <fibd/cache_plugin.h> — the whole cache plugin ABI of fibd.
 *
 * A plugin is a shared object that exports ONE function (default name
 * "fibd_cache_plugin", configurable as cache.factory) returning a pointer to a
 * static, immutable fibd_cache_descriptor. Everything else is reached through
 * that descriptor. The header is plain C99 (and valid C++17): no C++ type, no
 * exception, no allocation ever crosses the boundary.
 *
 * Versioning
 *   - descriptor.abi_version must equal FIBD_CACHE_ABI_VERSION of the host, or
 *     the host refuses the plugin and names both versions.
 *   - descriptor.struct_size is sizeof(fibd_cache_descriptor) as the plugin saw
 *     it. Fields are only ever appended; the host reads a field only when
 *     struct_size covers it. The same holds for fibd_cache_host.
 *
 * Ownership (who frees what)
 *   - The descriptor and its strings belong to the plugin and must stay valid
 *     and unchanged until the plugin is unloaded. The host copies the strings.
 *   - The host structures passed to create() (host services, options) belong to
 *     the host. The host services object stays valid until destroy() returns;
 *     the options array is valid only during create(): copy what you keep.
 *   - Keys and values passed in by the host are borrowed for the duration of
 *     the call only.
 *   - A value returned by get() is handed over through sink->put(): the host
 *     copies the bytes during that call. The plugin never returns memory that
 *     the host would have to free, and the host never returns memory the plugin
 *     would have to free.
 *   - Error messages are written by the plugin into the host-owned buffer
 *     `err` of `err_len` bytes (NUL-terminated, truncated if needed). The
 *     host never passes a NULL `err` and always at least 256 bytes.
 *
 * Threading
 *   - create() and destroy() are called from one thread at a time, never
 *     concurrently with any other call on the same instance. destroy() is
 *     called exactly once per successful create(), after every other call on
 *     that instance has returned.
 *   - If capabilities has FIBD_CACHE_CAP_THREAD_SAFE, get/set/del/clear/stats
 *     may be called concurrently from several threads on one instance.
 *     Otherwise the host serialises all calls on an instance.
 *   - If capabilities has FIBD_CACHE_CAP_NON_BLOCKING, get/set never block on
 *     I/O or long locks (they may be called on the host's event-loop threads).
 *     Otherwise the host calls them from worker threads only.
 *   - host->log may be called from any thread, at any time between create()
 *     entry and destroy() return.
 *
 * Loading and unloading
 *   The host copies the plugin file into an anonymous in-memory file and loads
 *   that copy, so every load (a reload after the .so was replaced on disk, as
 *   dpkg does) runs the code that is on disk now. A plugin must therefore not
 *   locate data files relative to its own path (dladdr() sees the copy).
 *   The host dlclose()s the plugin after destroy(). A plugin must not leave
 *   threads running or callbacks registered after destroy() returns, and
 *   nothing may pin it in memory:
 *     - C++ plugins built with g++ must use -fno-gnu-unique: STB_GNU_UNIQUE
 *       symbols (static locals of inline functions, static members of
 *       templates) make a library impossible to unload;
 *     - thread_local objects with destructors keep the library loaded until
 *       every thread that touched them has exited;
 *     - no RTLD_NODELETE, no -z nodelete.
 *   The host checks after dlclose() that the image is gone and logs a warning
 *   if not; `fibd-plugin-check` reports it as a failure.
 */
#ifndef FIBD_CACHE_PLUGIN_H
#define FIBD_CACHE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change. Appending fields does not bump it. */
#define FIBD_CACHE_ABI_VERSION 1u

/* The default name of the exported factory function. */
#define FIBD_CACHE_DEFAULT_FACTORY "fibd_cache_plugin"

/* Result of every instance call. */
typedef enum fibd_cache_status {
  FIBD_CACHE_OK = 0,        /* set/del/clear/stats succeeded */
  FIBD_CACHE_HIT = 1,       /* get: value delivered through the sink */
  FIBD_CACHE_NOT_FOUND = 2, /* get/del: no such key */
  FIBD_CACHE_EXPIRED = 3,   /* get: key existed but its TTL has passed */
  FIBD_CACHE_ERROR = 4      /* any call: failed, message written to err */
} fibd_cache_status;

/* Capability bits of fibd_cache_descriptor.capabilities. */
#define FIBD_CACHE_CAP_THREAD_SAFE ((uint64_t)1u << 0)
#define FIBD_CACHE_CAP_NON_BLOCKING ((uint64_t)1u << 1)

/* Log levels for fibd_cache_host.log (same order as the daemon's log_level). */
typedef enum fibd_cache_log_level {
  FIBD_LOG_TRACE = 0,
  FIBD_LOG_DEBUG = 1,
  FIBD_LOG_INFO = 2,
  FIBD_LOG_WARN = 3,
  FIBD_LOG_ERROR = 4,
  FIBD_LOG_CRITICAL = 5
} fibd_cache_log_level;

/* Services the host offers to one plugin instance. Owned by the host, valid
 * from create() until destroy() returns. */
typedef struct fibd_cache_host {
  uint32_t struct_size; /* sizeof(fibd_cache_host) as the host built it */
  uint32_t abi_version; /* FIBD_CACHE_ABI_VERSION of the host */
  void* ctx;            /* pass back as the first argument of the calls below */
  /* Writes one log line; it appears as "[plugin/NAME] message" at `level`
   * (a fibd_cache_log_level; other values are clamped into that range).
   * `message` is a NUL-terminated string, borrowed for the call; control
   * characters in it are escaped. */
  void (*log)(void* ctx, int level, const char* message);
} fibd_cache_host;

/* One configuration option: cache.options in /etc/fibd.yaml. */
typedef struct fibd_cache_option {
  const char* key;   /* NUL-terminated, borrowed during create() */
  const char* value; /* NUL-terminated, borrowed during create() */
} fibd_cache_option;

/* Everything create() is configured with. Borrowed during create() only. */
typedef struct fibd_cache_config {
  uint32_t struct_size;             /* sizeof(fibd_cache_config) of the host */
  uint32_t reserved;                /* zero */
  const fibd_cache_option* options; /* `option_count` entries, keys unique */
  size_t option_count;
  uint64_t default_ttl_ms; /* cache.expiration, 0 = entries never expire */
} fibd_cache_config;

/* Where get() delivers a hit. put() copies `len` bytes from `data` during the
 * call (`data` may be NULL when `len` is 0); call it exactly once per get()
 * that returns FIBD_CACHE_HIT, and never otherwise. It returns 0 on success,
 * non-zero if the host could not take the value (get() should then return
 * FIBD_CACHE_ERROR). A HIT without a put() is reported as an error. */
typedef struct fibd_cache_sink {
  void* ctx;
  int (*put)(void* ctx, const void* data, size_t len);
} fibd_cache_sink;

/* Where stats() delivers counters: one call per counter, `name` borrowed for
 * the call (lowercase letters, digits and '_'). */
typedef struct fibd_cache_stats_sink {
  void* ctx;
  void (*put)(void* ctx, const char* name, uint64_t value);
} fibd_cache_stats_sink;

/* The descriptor. Static and immutable in the plugin. */
typedef struct fibd_cache_descriptor {
  uint32_t abi_version;    /* FIBD_CACHE_ABI_VERSION the plugin was built with */
  uint32_t struct_size;    /* sizeof(fibd_cache_descriptor) the plugin saw */
  const char* name;        /* short name, [a-z0-9_-], 1..64 bytes: "memory" */
  const char* version;     /* printable ASCII, 1..64 bytes, e.g. "1.2.0" */
  const char* description; /* one line, at most 256 bytes, may be NULL */
  uint64_t capabilities;   /* FIBD_CACHE_CAP_* bits; unknown bits are ignored */

  /* Required. Builds an instance. Returns NULL on failure after writing the
   * reason to err. Unknown option keys should be rejected here. */
  void* (*create)(const fibd_cache_host* host, const fibd_cache_config* config, char* err,
                  size_t err_len);
  /* Required. Frees everything the instance owns. */
  void (*destroy)(void* instance);
  /* Required. HIT (value given to sink), NOT_FOUND, EXPIRED or ERROR. */
  fibd_cache_status (*get)(void* instance, const void* key, size_t key_len,
                           const fibd_cache_sink* sink, char* err, size_t err_len);
  /* Required. Stores a copy of value; ttl_ms 0 means no expiry. OK or ERROR. */
  fibd_cache_status (*set)(void* instance, const void* key, size_t key_len,
                           const void* value, size_t value_len, uint64_t ttl_ms,
                           char* err, size_t err_len);

  /* Optional (NULL when not offered). OK, NOT_FOUND or ERROR. */
  fibd_cache_status (*del)(void* instance, const void* key, size_t key_len, char* err,
                           size_t err_len);
  /* Optional. Removes every entry. OK or ERROR. */
  fibd_cache_status (*clear)(void* instance, char* err, size_t err_len);
  /* Optional. Reports counters through sink. OK or ERROR. */
  fibd_cache_status (*stats)(void* instance, const fibd_cache_stats_sink* sink, char* err,
                             size_t err_len);
} fibd_cache_descriptor;

/* The type of the exported factory. It takes no argument, must not fail and
 * must return the same descriptor every time (or NULL, which the host
 * reports as an error). */
typedef const fibd_cache_descriptor* (*fibd_cache_factory_fn)(void);

/* Declares the factory with C linkage and default visibility, e.g.
 *   FIBD_CACHE_EXPORT const fibd_cache_descriptor *fibd_cache_plugin(void); */
#if defined(__GNUC__) || defined(__clang__)
#define FIBD_CACHE_VISIBLE __attribute__((visibility("default")))
#else
#define FIBD_CACHE_VISIBLE
#endif
#ifdef __cplusplus
#define FIBD_CACHE_EXPORT extern "C" FIBD_CACHE_VISIBLE
#else
#define FIBD_CACHE_EXPORT FIBD_CACHE_VISIBLE
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FIBD_CACHE_PLUGIN_H */
