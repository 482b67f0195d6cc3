/*
 * <fibd/cache_plugin.h> — the whole cache plugin ABI of fibd, version 2.
 *
 * A plugin is a shared object that exports ONE function, the factory
 * (fibd_cache_factory_fn; default name fibd_cache_plugin, declared below,
 * configurable as cache.factory), returning a pointer to a static, immutable
 * fibd_cache_descriptor. Everything else is reached through that descriptor.
 * The header is plain C99 (and valid C++17): no C++ type, no exception, no
 * enum, no allocation ever crosses the boundary. Statuses, flags, counts,
 * times and ids have fixed widths (uint32_t, uint64_t, int32_t, int64_t);
 * byte lengths and buffer sizes (key_len, value_len, len, err_len) are size_t,
 * the platform C ABI's (64 bits on every 64-bit Linux target).
 *
 * Who defines which opaque struct
 *   - struct fibd_cache_instance is the plugin's: define it as your instance
 *     type, or return a pointer to any object of yours cast to
 *     fibd_cache_instance*. The host never looks inside it.
 *   - fibd_cache_host_ctx, fibd_cache_completion_ctx, fibd_cache_sink_ctx,
 *     fibd_cache_loop and fibd_cache_watch are the host's: a plugin never
 *     defines them and never dereferences them; it only passes them back.
 *
 * Versioning and negotiation
 *   - descriptor.abi_version must equal FIBD_CACHE_ABI_VERSION of the host, or
 *     the host refuses the plugin and names both versions (a version 1 plugin
 *     is refused by a version 2 host).
 *   - Within one ABI version (every fibd and every plugin that says 2): no
 *     field of this header is ever removed, moved, retyped or given another
 *     meaning. A later header of the same version may only add fields at the
 *     END of a structure. Every structure that crosses the boundary carries
 *     struct_size, the sizeof() its producer saw, so a reader tells whether
 *     such an added field is there: use it only when struct_size covers it
 *     (FIBD_CACHE_HAS_FIELD).
 *   - Across versions nothing holds: a new version may insert, reorder or
 *     retype anything (version 2 inserted required_features after
 *     capabilities and cancel after set in the descriptor of version 1), and
 *     the host refuses every version but its own. Initialise the descriptor
 *     with designated initializers (.get = my_get), never positionally, so a
 *     rebuild against another layout cannot shift entry points into the
 *     wrong slots.
 *   - What every version 2 host guarantees, whatever its struct_size: every
 *     field of fibd_cache_config, fibd_cache_option, fibd_cache_completion,
 *     fibd_cache_sink and fibd_cache_stats_sink; fibd_cache_host up to
 *     metric_set (FIBD_CACHE_HOST_V2_MIN_SIZE: log, monotonic_ns, metric_add
 *     and metric_set are never NULL); fibd_cache_call up to completion
 *     (FIBD_CACHE_CALL_V2_MIN_SIZE). Optional, to be tested with
 *     FIBD_CACHE_HAS_FIELD and for NULL: host->watch_new .. watch_free and
 *     call->loop. Anything a later version 2 header adds is optional too.
 *   - descriptor.capabilities are COMPATIBLE bits: hints the host may ignore.
 *     descriptor.required_features are INCOMPATIBLE bits: the host must
 *     understand every bit set there, or refuse the plugin naming the bits.
 *
 * Ownership (who frees what)
 *   - The descriptor and its strings belong to the plugin and must stay valid
 *     and unchanged until the plugin is unloaded. The host copies the strings.
 *   - The host services (fibd_cache_host) belong to the host and stay valid
 *     until destroy() returns. The config and its options are valid only
 *     during create(): copy what you keep.
 *   - Keys, values, call contexts and sinks passed in by the host are borrowed
 *     for the duration of the call only (a call that answers PENDING copies
 *     what it needs before returning; call->completion is the exception: it
 *     stays valid until complete() has returned).
 *   - A value is handed over through sink->put() or completion->complete():
 *     the host copies the bytes during that call. The plugin never returns
 *     memory the host would have to free, and the reverse.
 *   - Error messages are written by the plugin into the host-owned buffer
 *     `err` of `err_len` bytes (NUL-terminated, truncated if needed). The
 *     host never passes a NULL `err` and always at least 256 bytes. Write
 *     only the reason: fibd says which plugin it was. A failed create() is
 *     reported as "cannot load cache plugin PATH: plugin 'NAME' VERSION
 *     failed to start: " followed by your message, and a failed call is
 *     logged under "[plugin/NAME]"; do not put your own name in front.
 *
 * Time to live
 *   set()'s ttl_ms is the TTL of that entry and always wins: 0 there means
 *   the entry never expires, whatever config->default_ttl_ms says. The host
 *   already puts cache.expiration into every set(); default_ttl_ms only tells
 *   the plugin what that usually is (to size or tune itself). A plugin never
 *   applies default_ttl_ms to an entry on its own.
 *
 * Asynchronous get and set
 *   A plugin that sets FIBD_CACHE_FEATURE_ASYNC in required_features may
 *   answer get() or set() with FIBD_CACHE_PENDING. It then calls
 *   call->completion->complete() exactly once for that call, from any thread
 *   (its own I/O thread, or even before get()/set() has returned), with the
 *   final status. For a plugin without that bit call->completion is NULL and
 *   PENDING is a contract violation. After answering PENDING a plugin must not
 *   use `sink` or `err` of that call: the value or message goes through
 *   complete().
 *   Cancellation: when nobody waits for a pending call any more (its deadline
 *   passed, every requester went away) the host calls cancel(instance,
 *   call_id). The plugin still completes that call exactly once, with
 *   FIBD_CACHE_CANCELLED unless its real answer was already on its way (the
 *   host accepts either then). cancel() may race with the plugin's own
 *   complete(): a cancel for a call already completed, or being completed, is
 *   ignored by the plugin. cancel() must not block and may call complete()
 *   itself before it returns.
 *
 * Threading, call by call
 *   - factory: any thread, possibly concurrently; returns the same descriptor.
 *   - create(): one thread, never concurrently with another call on the same
 *     instance (other instances of the same plugin may exist concurrently,
 *     across a reload).
 *   - get/set/del/clear/stats/cancel: with FIBD_CACHE_CAP_THREAD_SAFE, from
 *     several threads at once on one instance; otherwise the host serialises
 *     get/set/del/clear/stats on an instance (cancel and complete are never
 *     serialised: an async plugin is thread-safe by nature).
 *   - With FIBD_CACHE_CAP_NON_BLOCKING, get/set never block on I/O or long
 *     locks and may run on the host's event-loop threads; otherwise only on
 *     worker threads. NON_BLOCKING requires THREAD_SAFE: the host refuses a
 *     plugin that claims the first without the second (one lock shared by
 *     every event loop would serialise the whole daemon).
 *   - completion->complete(): any thread, exactly once per PENDING call; it
 *     never blocks for long and never calls back into the plugin.
 *   - host services (log, monotonic_ns, metric_add, metric_set): any thread,
 *     concurrently, between create() entry and destroy() return.
 *   - loop services (watch_new, watch_set, watch_activate, watch_free): see
 *     "Event-loop watches" below.
 *   - destroy(): exactly once per successful create(), after every other call
 *     on that instance has returned AND every pending completion has fired.
 *     It runs on the host's reaper thread, never on an event loop, so it may
 *     block briefly (join its own threads). After it returns the plugin runs
 *     no code for that instance: no thread, no timer, no callback.
 *
 * Event-loop watches (optional; check struct_size before using them)
 *   For an async plugin, a get() the host makes on one of its event-loop
 *   threads, without waiting for the answer, carries that loop in
 *   call->loop (NULL in every other call). The plugin may then do its I/O
 *   on that loop instead of on a thread of its own: no hand-over between
 *   threads, and the completion happens on the caller's thread.
 *   - watch_new(ctx, loop, fd, fn, arg): on `loop`'s thread only (inside a
 *     call that carries `loop`, or inside a watch callback on it). `fd` may be
 *     -1 for a pure timer; it stays the plugin's (the host never closes it).
 *     The watch starts idle. NULL when it cannot be made.
 *   - watch_set(ctx, w, events, timeout_ns): on the watch's loop thread only.
 *     Waits for `events` (FIBD_CACHE_WATCH_READ|WRITE) on the fd from now on;
 *     with timeout_ns > 0, fn(arg, FIBD_CACHE_WATCH_TIMEOUT) also runs when
 *     that much time passes without one of them (and again after as long).
 *     events 0 and timeout_ns 0 make the watch idle. Returns 0 on success.
 *   - watch_activate(ctx, w): any thread. fn(arg, 0) runs on the loop soon,
 *     after what the loop is doing now (several activations before it runs
 *     give one run). Lets a plugin gather the writes of one loop iteration
 *     into one system call. Returns 0, or -1 when the loop has stopped (fn
 *     will not run).
 *   - watch_free(ctx, w): any thread. When it returns, fn is not running and
 *     never runs again. From another thread it may wait for a run of fn in
 *     progress: do not hold a lock that fn takes while calling it.
 *   fn runs on the loop thread, never concurrently with itself; it may use
 *   every loop service and complete calls. When the host stops a loop (at
 *   shutdown, before destroy()), its watches go quiet: fn never runs again,
 *   watch_set() and watch_activate() fail, and each watch must still be
 *   freed with watch_free(). A later loop may get the same fibd_cache_loop
 *   address: a plugin that keeps state per loop drops it when those fail.
 *
 * Loading and unloading
 *   The host copies the plugin file into an anonymous in-memory file and loads
 *   that copy, so every load (a reload after the .so was replaced on disk, as
 *   dpkg does) runs the code that is on disk now. A plugin must therefore not
 *   locate data files relative to its own path (dladdr() sees the copy).
 *   The host dlclose()s the plugin after destroy(). Nothing may pin it:
 *     - C++ plugins built with g++ must use -fno-gnu-unique (pkg-config
 *       --cflags fibd-plugin gives it): STB_GNU_UNIQUE symbols make a library
 *       impossible to unload;
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

/* Bumped on any incompatible change. Adding a field at the end of a
 * structure does not bump it (see "Versioning and negotiation"). */
#define FIBD_CACHE_ABI_VERSION 2u

/* The default name of the exported factory function, as a string (the
 * function itself is declared at the end of this header). */
#define FIBD_CACHE_DEFAULT_FACTORY "fibd_cache_plugin"

/* True when a structure whose struct_size is `size` holds `field` of `type`. */
#define FIBD_CACHE_HAS_FIELD(type, size, field) \
  ((size) >= offsetof(type, field) + sizeof(((type*)0)->field))

/* Result of every call. A fixed-width integer, never an enum: a value outside
 * the list below is a contract violation the host reports, not undefined
 * behaviour. */
typedef uint32_t fibd_cache_status;
#define FIBD_CACHE_OK ((fibd_cache_status)0)        /* set/del/clear/stats done */
#define FIBD_CACHE_HIT ((fibd_cache_status)1)       /* get: value delivered */
#define FIBD_CACHE_NOT_FOUND ((fibd_cache_status)2) /* get/del: no such key */
#define FIBD_CACHE_EXPIRED ((fibd_cache_status)3)   /* get: its TTL has passed */
#define FIBD_CACHE_ERROR ((fibd_cache_status)4)     /* failed, with a message */
#define FIBD_CACHE_PENDING ((fibd_cache_status)5)   /* get/set: complete() later */
#define FIBD_CACHE_CANCELLED ((fibd_cache_status)6) /* complete() after cancel() */

/* Compatible capability bits (descriptor.capabilities): unknown ones are
 * ignored by the host. */
#define FIBD_CACHE_CAP_THREAD_SAFE ((uint64_t)1u << 0)
#define FIBD_CACHE_CAP_NON_BLOCKING ((uint64_t)1u << 1)

/* Incompatible feature bits (descriptor.required_features): the host refuses
 * a plugin that sets a bit it does not know. */
/* get/set may answer FIBD_CACHE_PENDING and complete through
 * call->completion; the plugin offers cancel(). */
#define FIBD_CACHE_FEATURE_ASYNC ((uint64_t)1u << 0)
/* Every incompatible bit a version 2 host understands. */
#define FIBD_CACHE_FEATURES_KNOWN (FIBD_CACHE_FEATURE_ASYNC)

/* Log levels for fibd_cache_host.log (same order as the daemon's log_level). */
typedef uint32_t fibd_cache_log_level;
#define FIBD_LOG_TRACE ((fibd_cache_log_level)0)
#define FIBD_LOG_DEBUG ((fibd_cache_log_level)1)
#define FIBD_LOG_INFO ((fibd_cache_log_level)2)
#define FIBD_LOG_WARN ((fibd_cache_log_level)3)
#define FIBD_LOG_ERROR ((fibd_cache_log_level)4)
#define FIBD_LOG_CRITICAL ((fibd_cache_log_level)5)

/* Plugin metric kinds for fibd_cache_host.metric_*. */
typedef uint32_t fibd_cache_metric_kind;
#define FIBD_METRIC_COUNTER ((fibd_cache_metric_kind)0)
#define FIBD_METRIC_GAUGE ((fibd_cache_metric_kind)1)

/* Opaque handles (see "Who defines which opaque struct"): the side named
 * defines the struct, the other only passes the pointer back. */
typedef struct fibd_cache_instance fibd_cache_instance; /* the plugin's: create() */
typedef struct fibd_cache_host_ctx fibd_cache_host_ctx; /* the host's: services */
typedef struct fibd_cache_completion_ctx
    fibd_cache_completion_ctx;                          /* the host's: one call */
typedef struct fibd_cache_sink_ctx fibd_cache_sink_ctx; /* the host's: one sink */
typedef struct fibd_cache_loop fibd_cache_loop;         /* the host's: one event loop */
typedef struct fibd_cache_watch fibd_cache_watch;       /* the host's: watch_new() */

/* What a watch waits for (watch_set) or saw (its callback's `events`). */
#define FIBD_CACHE_WATCH_READ ((uint32_t)1u)
#define FIBD_CACHE_WATCH_WRITE ((uint32_t)2u)
#define FIBD_CACHE_WATCH_TIMEOUT ((uint32_t)4u)
/* A watch callback: `events` is what happened (0 after watch_activate). */
typedef void (*fibd_cache_watch_fn)(void* arg, uint32_t events);

/* Services the host offers to one plugin instance. Owned by the host, valid
 * from create() until destroy() returns; every function may be called from
 * any thread, concurrently. Every version 2 host has the fields up to
 * metric_set, none of them NULL; the watch services are optional. */
typedef struct fibd_cache_host {
  uint32_t struct_size;     /* sizeof(fibd_cache_host) as the host built it */
  uint32_t abi_version;     /* FIBD_CACHE_ABI_VERSION of the host */
  fibd_cache_host_ctx* ctx; /* first argument of every call below */
  /* One log line, shown as "[plugin/NAME] message", or with "[req ID] " in
   * front of the message when request_id is not 0 (fibd_cache_call's).
   * `message` is NUL-terminated, borrowed for the call; control characters
   * are escaped; levels outside FIBD_LOG_* are clamped. */
  void (*log)(fibd_cache_host_ctx* ctx, fibd_cache_log_level level, uint64_t request_id,
              const char* message);
  /* The host's monotonic clock (CLOCK_MONOTONIC) in nanoseconds: the clock of
   * fibd_cache_call.deadline_ns. */
  uint64_t (*monotonic_ns)(fibd_cache_host_ctx* ctx);
  /* Plugin metrics, shown in /metrics as fibd_plugin_counter_total (add) or
   * fibd_plugin_gauge (set) with labels plugin="PLUGIN", name="NAME". `name` is
   * [a-z0-9_], 1..64 bytes, borrowed; other names are dropped (and logged
   * once). The host keeps at most 64 names per instance. */
  void (*metric_add)(fibd_cache_host_ctx* ctx, const char* name, uint64_t delta);
  void (*metric_set)(fibd_cache_host_ctx* ctx, const char* name, int64_t value);
  /* Optional. Event-loop watches: see "Event-loop watches" above. NULL, or
   * beyond struct_size, in a host that offers none: test both, e.g.
   * FIBD_CACHE_HAS_FIELD(fibd_cache_host, host->struct_size, watch_free). */
  fibd_cache_watch* (*watch_new)(fibd_cache_host_ctx* ctx, fibd_cache_loop* loop,
                                 int32_t fd, fibd_cache_watch_fn fn, void* arg);
  int32_t (*watch_set)(fibd_cache_host_ctx* ctx, fibd_cache_watch* watch, uint32_t events,
                       uint64_t timeout_ns);
  int32_t (*watch_activate)(fibd_cache_host_ctx* ctx, fibd_cache_watch* watch);
  void (*watch_free)(fibd_cache_host_ctx* ctx, fibd_cache_watch* watch);
} fibd_cache_host;

/* The struct_size every version 2 host gives at least: log, monotonic_ns,
 * metric_add and metric_set need no test. */
#define FIBD_CACHE_HOST_V2_MIN_SIZE \
  (offsetof(fibd_cache_host, metric_set) + sizeof(((fibd_cache_host*)0)->metric_set))

/* One configuration option: cache.options in /etc/fibd.yaml. */
typedef struct fibd_cache_option {
  uint32_t struct_size; /* sizeof(fibd_cache_option) as the host built it */
  uint32_t reserved;    /* zero */
  const char* key;      /* NUL-terminated, borrowed during create() */
  const char* value;    /* NUL-terminated, borrowed during create() */
} fibd_cache_option;

/* Everything create() is configured with. Borrowed during create() only.
 * Every version 2 host gives all of these fields. */
typedef struct fibd_cache_config {
  uint32_t struct_size; /* sizeof(fibd_cache_config) of the host */
  /* Distance in bytes from one option to the next: at least
   * sizeof(fibd_cache_option), and larger when the host's options are. */
  uint32_t option_size;
  /* NOT an array you may index: options[i] is wrong as soon as option_size
   * differs from your sizeof(fibd_cache_option) (fibd-plugin-check makes it
   * differ). Reach option i with fibd_cache_option_at(config, i). */
  const fibd_cache_option* options;
  uint64_t option_count; /* keys are unique */
  /* cache.expiration, 0 = entries never expire. Informational: every set()
   * carries its own ttl_ms, which wins (see "Time to live"). */
  uint64_t default_ttl_ms;
  uint64_t call_timeout_ns; /* the deadline a call usually gets, 0 = none */
} fibd_cache_config;

/* Option i (0 <= i < option_count) of a config, whatever the size of the
 * host's options; NULL when i is out of range or the config has no usable
 * options. The one way to read options:
 *   for (i = 0; i < config->option_count; ++i) {
 *     const fibd_cache_option* o = fibd_cache_option_at(config, i);
 *     ... o->key, o->value ...
 *   } */
#ifdef __cplusplus
#define FIBD_CACHE_PTR_CAST_(type, p) static_cast<type>(static_cast<const void*>(p))
#else
#define FIBD_CACHE_PTR_CAST_(type, p) ((type)(const void*)(p))
#endif
static inline const fibd_cache_option* fibd_cache_option_at(
    const fibd_cache_config* config, uint64_t i) {
  const unsigned char* first;
  if (config == NULL || config->options == NULL || i >= config->option_count ||
      config->option_size < sizeof(fibd_cache_option)) {
    return NULL;
  }
  first = FIBD_CACHE_PTR_CAST_(const unsigned char*, config->options);
  return FIBD_CACHE_PTR_CAST_(const fibd_cache_option*, first + i * config->option_size);
}

/* How one asynchronous call ends (see "Asynchronous get and set"). */
typedef struct fibd_cache_completion {
  uint32_t struct_size;
  uint32_t reserved;
  fibd_cache_completion_ctx* ctx;
  /* Exactly once per PENDING call, from any thread. get: HIT with `data` and
   * `len` (copied during the call), NOT_FOUND, EXPIRED, ERROR or CANCELLED.
   * set: OK, ERROR or CANCELLED. `message` (NUL-terminated, borrowed; may be
   * NULL) says why for ERROR. */
  void (*complete)(fibd_cache_completion_ctx* ctx, fibd_cache_status status,
                   const void* data, size_t len, const char* message);
} fibd_cache_completion;

/* Per-call context, borrowed for the call. Every version 2 host gives the
 * fields up to completion (FIBD_CACHE_CALL_V2_MIN_SIZE); loop is optional. */
typedef struct fibd_cache_call {
  uint32_t struct_size;
  uint32_t reserved;
  uint64_t deadline_ns; /* host monotonic ns after which nobody waits; 0 = none */
  uint64_t request_id;  /* for log lines; 0 when no request caused the call */
  uint64_t call_id;     /* unique per call of an instance; what cancel() names */
  /* NULL unless the plugin requires FIBD_CACHE_FEATURE_ASYNC. */
  const fibd_cache_completion* completion;
  /* Optional. The event loop whose thread makes this call, or NULL (beyond
   * struct_size in an older host): see "Event-loop watches". */
  fibd_cache_loop* loop;
} fibd_cache_call;

/* The struct_size every version 2 host gives a call at least. */
#define FIBD_CACHE_CALL_V2_MIN_SIZE \
  (offsetof(fibd_cache_call, completion) + sizeof(((fibd_cache_call*)0)->completion))

/* Where a synchronous get() delivers a hit. put() copies `len` bytes from
 * `data` during the call (`data` may be NULL when `len` is 0) and returns 0,
 * or non-zero when the host could not take the value. The rules:
 *   - call put() at most once per get(), and only to deliver a hit;
 *   - return FIBD_CACHE_HIT exactly when put() was called and returned 0;
 *   - when put() returned non-zero, return FIBD_CACHE_ERROR (the host drops
 *     what it got; do not call put() again);
 *   - with any other answer (NOT_FOUND, EXPIRED, ERROR), do not call put().
 * A get() that answers PENDING never uses the sink. */
typedef struct fibd_cache_sink {
  uint32_t struct_size;
  uint32_t reserved;
  fibd_cache_sink_ctx* ctx;
  int32_t (*put)(fibd_cache_sink_ctx* ctx, const void* data, size_t len);
} fibd_cache_sink;

/* Where stats() delivers counters: one call per counter, `name` borrowed for
 * the call (lowercase letters, digits and '_'). */
typedef struct fibd_cache_stats_sink {
  uint32_t struct_size;
  uint32_t reserved;
  fibd_cache_sink_ctx* ctx;
  void (*put)(fibd_cache_sink_ctx* ctx, const char* name, uint64_t value);
} fibd_cache_stats_sink;

/* The descriptor. Static and immutable in the plugin. */
typedef struct fibd_cache_descriptor {
  uint32_t abi_version;       /* FIBD_CACHE_ABI_VERSION the plugin was built with */
  uint32_t struct_size;       /* sizeof(fibd_cache_descriptor) the plugin saw */
  const char* name;           /* short name, [a-z0-9_-], 1..64 bytes: "memory" */
  const char* version;        /* printable ASCII, 1..64 bytes, e.g. "1.2.0" */
  const char* description;    /* one line, at most 256 bytes, may be NULL */
  uint64_t capabilities;      /* FIBD_CACHE_CAP_* (compatible bits) */
  uint64_t required_features; /* FIBD_CACHE_FEATURE_* (incompatible bits) */

  /* Required. Builds an instance. Returns NULL on failure after writing the
   * reason to err (fibd puts the plugin's name in front of it). Unknown
   * option keys should be rejected here. Read options with
   * fibd_cache_option_at(). */
  fibd_cache_instance* (*create)(const fibd_cache_host* host,
                                 const fibd_cache_config* config, char* err,
                                 size_t err_len);
  /* Required. Frees everything the instance owns (see Threading). */
  void (*destroy)(fibd_cache_instance* instance);
  /* Required. HIT (value given to sink), NOT_FOUND, EXPIRED, ERROR, or
   * PENDING for an async plugin. */
  fibd_cache_status (*get)(fibd_cache_instance* instance, const fibd_cache_call* call,
                           const void* key, size_t key_len, const fibd_cache_sink* sink,
                           char* err, size_t err_len);
  /* Required. Stores a copy of value for ttl_ms milliseconds; ttl_ms 0 means
   * no expiry (see "Time to live"). OK, ERROR, or PENDING for an async
   * plugin. */
  fibd_cache_status (*set)(fibd_cache_instance* instance, const fibd_cache_call* call,
                           const void* key, size_t key_len, const void* value,
                           size_t value_len, uint64_t ttl_ms, char* err, size_t err_len);
  /* Required with FIBD_CACHE_FEATURE_ASYNC, NULL otherwise (the host refuses
   * a synchronous plugin whose cancel is set: the sign of entry points
   * shifted by a positional initializer). Gives up the pending call
   * `call_id` (see "Asynchronous get and set"). */
  void (*cancel)(fibd_cache_instance* instance, uint64_t call_id);

  /* Optional (NULL when not offered), always synchronous. OK, NOT_FOUND or
   * ERROR. */
  fibd_cache_status (*del)(fibd_cache_instance* instance, const fibd_cache_call* call,
                           const void* key, size_t key_len, char* err, size_t err_len);
  /* Optional. Removes every entry. OK or ERROR. */
  fibd_cache_status (*clear)(fibd_cache_instance* instance, const fibd_cache_call* call,
                             char* err, size_t err_len);
  /* Optional. Reports counters through sink. OK or ERROR. */
  fibd_cache_status (*stats)(fibd_cache_instance* instance,
                             const fibd_cache_stats_sink* sink, char* err,
                             size_t err_len);
} fibd_cache_descriptor;

/* The type of the exported factory (a pointer to it). It takes no argument,
 * must not fail and must return the same descriptor every time (or NULL,
 * which the host reports as an error). */
typedef const fibd_cache_descriptor* (*fibd_cache_factory_fn)(void);

/* C linkage and default visibility for the factory. */
#if defined(__GNUC__) || defined(__clang__) || defined(__TINYC__)
#define FIBD_CACHE_VISIBLE __attribute__((visibility("default")))
#else
#define FIBD_CACHE_VISIBLE
#endif
#ifdef __cplusplus
#define FIBD_CACHE_EXPORT extern "C" FIBD_CACHE_VISIBLE
#else
#define FIBD_CACHE_EXPORT FIBD_CACHE_VISIBLE
#endif

/* Declares a factory named `symbol`; for a cache.factory other than the
 * default, put FIBD_CACHE_DECLARE_FACTORY(my_factory); before defining it, so
 * that -Wmissing-prototypes stays quiet. */
#define FIBD_CACHE_DECLARE_FACTORY(symbol) \
  FIBD_CACHE_EXPORT const fibd_cache_descriptor* symbol(void)

/* The factory under its default name. A plugin defines it as
 *   FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
 *     return &my_descriptor;
 *   } */
FIBD_CACHE_DECLARE_FACTORY(fibd_cache_plugin);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FIBD_CACHE_PLUGIN_H */
