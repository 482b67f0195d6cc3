/* The frozen layout of ABI version 2 on LP64 targets, as assertions both a C
 * compiler and a C++ compiler check (tests/abi/layout_c.c and
 * tests/unit/abi_layout_test.cpp). Changing a line here is an ABI break:
 * bump FIBD_CACHE_ABI_VERSION. */
#ifndef FIBD_TEST_ABI_LAYOUT_H
#define FIBD_TEST_ABI_LAYOUT_H

#include <fibd/cache_plugin.h>
#include <stddef.h>
#include <stdint.h>

/* C99 has no static_assert: a negative array size fails the build. */
#define FIBD_PIN(name, cond) typedef char fibd_pin_##name[(cond) ? 1 : -1]

#if UINTPTR_MAX == 0xffffffffffffffffu
FIBD_PIN(abi_version, FIBD_CACHE_ABI_VERSION == 2u);

FIBD_PIN(status_size, sizeof(fibd_cache_status) == 4);
FIBD_PIN(status_ok,
         FIBD_CACHE_OK == 0 && FIBD_CACHE_HIT == 1 && FIBD_CACHE_NOT_FOUND == 2);
FIBD_PIN(status_more, FIBD_CACHE_EXPIRED == 3 && FIBD_CACHE_ERROR == 4 &&
                          FIBD_CACHE_PENDING == 5 && FIBD_CACHE_CANCELLED == 6);
FIBD_PIN(bits, FIBD_CACHE_CAP_THREAD_SAFE == 1 && FIBD_CACHE_CAP_NON_BLOCKING == 2 &&
                   FIBD_CACHE_FEATURE_ASYNC == 1 && FIBD_CACHE_FEATURES_KNOWN == 1);
FIBD_PIN(log_levels, sizeof(fibd_cache_log_level) == 4 && FIBD_LOG_TRACE == 0 &&
                         FIBD_LOG_CRITICAL == 5);

FIBD_PIN(host_size, sizeof(fibd_cache_host) == 80);
FIBD_PIN(host_ctx, offsetof(fibd_cache_host, ctx) == 8);
FIBD_PIN(host_log, offsetof(fibd_cache_host, log) == 16);
FIBD_PIN(host_clock, offsetof(fibd_cache_host, monotonic_ns) == 24);
FIBD_PIN(host_add, offsetof(fibd_cache_host, metric_add) == 32);
FIBD_PIN(host_set, offsetof(fibd_cache_host, metric_set) == 40);
FIBD_PIN(host_watch_new, offsetof(fibd_cache_host, watch_new) == 48);
FIBD_PIN(host_watch_set, offsetof(fibd_cache_host, watch_set) == 56);
FIBD_PIN(host_watch_activate, offsetof(fibd_cache_host, watch_activate) == 64);
FIBD_PIN(host_watch_free, offsetof(fibd_cache_host, watch_free) == 72);
FIBD_PIN(watch_bits, FIBD_CACHE_WATCH_READ == 1 && FIBD_CACHE_WATCH_WRITE == 2 &&
                         FIBD_CACHE_WATCH_TIMEOUT == 4);

FIBD_PIN(option_size, sizeof(fibd_cache_option) == 24);
FIBD_PIN(option_key, offsetof(fibd_cache_option, key) == 8);
FIBD_PIN(option_value, offsetof(fibd_cache_option, value) == 16);

FIBD_PIN(config_size, sizeof(fibd_cache_config) == 40);
FIBD_PIN(config_stride, offsetof(fibd_cache_config, option_size) == 4);
FIBD_PIN(config_options, offsetof(fibd_cache_config, options) == 8);
FIBD_PIN(config_count, offsetof(fibd_cache_config, option_count) == 16);
FIBD_PIN(config_ttl, offsetof(fibd_cache_config, default_ttl_ms) == 24);
FIBD_PIN(config_timeout, offsetof(fibd_cache_config, call_timeout_ns) == 32);

FIBD_PIN(completion_size, sizeof(fibd_cache_completion) == 24);
FIBD_PIN(completion_ctx, offsetof(fibd_cache_completion, ctx) == 8);
FIBD_PIN(completion_fn, offsetof(fibd_cache_completion, complete) == 16);

FIBD_PIN(call_size, sizeof(fibd_cache_call) == 48);
FIBD_PIN(call_deadline, offsetof(fibd_cache_call, deadline_ns) == 8);
FIBD_PIN(call_request, offsetof(fibd_cache_call, request_id) == 16);
FIBD_PIN(call_id, offsetof(fibd_cache_call, call_id) == 24);
FIBD_PIN(call_completion, offsetof(fibd_cache_call, completion) == 32);
FIBD_PIN(call_loop, offsetof(fibd_cache_call, loop) == 40);

FIBD_PIN(sink_size, sizeof(fibd_cache_sink) == 24);
FIBD_PIN(sink_ctx, offsetof(fibd_cache_sink, ctx) == 8);
FIBD_PIN(sink_put, offsetof(fibd_cache_sink, put) == 16);
FIBD_PIN(stats_size, sizeof(fibd_cache_stats_sink) == 24);
FIBD_PIN(stats_ctx, offsetof(fibd_cache_stats_sink, ctx) == 8);
FIBD_PIN(stats_put, offsetof(fibd_cache_stats_sink, put) == 16);

FIBD_PIN(descriptor_size, sizeof(fibd_cache_descriptor) == 112);
FIBD_PIN(d_struct_size, offsetof(fibd_cache_descriptor, struct_size) == 4);
FIBD_PIN(d_name, offsetof(fibd_cache_descriptor, name) == 8);
FIBD_PIN(d_version, offsetof(fibd_cache_descriptor, version) == 16);
FIBD_PIN(d_description, offsetof(fibd_cache_descriptor, description) == 24);
FIBD_PIN(d_caps, offsetof(fibd_cache_descriptor, capabilities) == 32);
FIBD_PIN(d_features, offsetof(fibd_cache_descriptor, required_features) == 40);
FIBD_PIN(d_create, offsetof(fibd_cache_descriptor, create) == 48);
FIBD_PIN(d_destroy, offsetof(fibd_cache_descriptor, destroy) == 56);
FIBD_PIN(d_get, offsetof(fibd_cache_descriptor, get) == 64);
FIBD_PIN(d_set, offsetof(fibd_cache_descriptor, set) == 72);
FIBD_PIN(d_cancel, offsetof(fibd_cache_descriptor, cancel) == 80);
FIBD_PIN(d_del, offsetof(fibd_cache_descriptor, del) == 88);
FIBD_PIN(d_clear, offsetof(fibd_cache_descriptor, clear) == 96);
FIBD_PIN(d_stats, offsetof(fibd_cache_descriptor, stats) == 104);
#define FIBD_ABI_LAYOUT_PINNED 1
#else
#define FIBD_ABI_LAYOUT_PINNED 0
#endif

#endif /* FIBD_TEST_ABI_LAYOUT_H */
