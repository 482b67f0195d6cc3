/*
 * <fibd/cache_plugin_adapter.hpp> — part of <fibd/cache_plugin.hpp>, which
 * includes it; do not include it yourself.
 *
 * The C entry points generated for a plugin class: every call guarded so that
 * no exception crosses into the host, optional calls detected at compile
 * time, and the descriptor the FIBD_CACHE_PLUGIN macro exports.
 */
#ifndef FIBD_CACHE_PLUGIN_ADAPTER_HPP
#define FIBD_CACHE_PLUGIN_ADAPTER_HPP

#ifndef FIBD_CACHE_PLUGIN_HPP
#error "include <fibd/cache_plugin.hpp>, not <fibd/cache_plugin_adapter.hpp>"
#endif

namespace fibd {
namespace plugin {

namespace detail {

inline void write_error(char* err, std::size_t err_len, const char* message) noexcept {
  if (err == nullptr || err_len == 0) return;
  if (message == nullptr || *message == '\0') message = "unknown error";
  std::size_t n = std::strlen(message);
  if (n >= err_len) n = err_len - 1;
  std::memcpy(err, message, n);
  err[n] = '\0';
}

// Runs f(); on an exception writes its message and returns FIBD_CACHE_ERROR.
template <class F>
fibd_cache_status guarded(char* err, std::size_t err_len, F&& f) noexcept {
  try {
    return f();
  } catch (const std::exception& e) {
    write_error(err, err_len, e.what());
  } catch (...) {
    write_error(err, err_len, "unknown C++ exception");
  }
  return FIBD_CACHE_ERROR;
}

template <class T, class = void>
struct has_del : std::false_type {};
template <class T>
struct has_del<T, std::void_t<decltype(std::declval<T&>().del(std::string_view()))>>
    : std::true_type {};

template <class T, class = void>
struct has_clear : std::false_type {};
template <class T>
struct has_clear<T, std::void_t<decltype(std::declval<T&>().clear())>> : std::true_type {
};

template <class T, class = void>
struct has_stats : std::false_type {};
template <class T>
struct has_stats<T,
                 std::void_t<decltype(std::declval<T&>().stats(std::declval<Stats&>()))>>
    : std::true_type {};

template <class T, class = void>
struct is_async : std::false_type {};
template <class T>
struct is_async<T, std::void_t<decltype(std::declval<T&>().get_async(
                       std::string_view(), std::declval<const Call&>(),
                       std::declval<GetCompletion>()))>> : std::true_type {};

// The synchronous class interface (get/set), checked only for such classes.
template <class T, bool async = is_async<T>::value>
struct SyncChecks {
  static_assert(std::is_same<decltype(std::declval<T&>().get(std::string_view(),
                                                             std::declval<Value&>())),
                             Lookup>::value,
                "a fibd cache plugin class needs fibd::plugin::Lookup "
                "get(std::string_view key, fibd::plugin::Value& out), or get_async()");
  static_assert(
      std::is_void<decltype(std::declval<T&>().set(std::string_view(), std::string_view(),
                                                   std::chrono::milliseconds()))>::value,
      "a fibd cache plugin class needs void set(std::string_view key, "
      "std::string_view value, std::chrono::milliseconds ttl)");
};
// The asynchronous one (get_async/set_async/cancel).
template <class T>
struct SyncChecks<T, true> {
  static_assert(std::is_void<decltype(std::declval<T&>().set_async(
                    std::string_view(), std::string_view(), std::chrono::milliseconds(),
                    std::declval<const Call&>(), std::declval<SetCompletion>()))>::value,
                "an async fibd cache plugin class needs void set_async(key, value, ttl, "
                "const fibd::plugin::Call&, fibd::plugin::SetCompletion)");
  static_assert(
      std::is_void<decltype(std::declval<T&>().cancel(std::uint64_t()))>::value,
      "an async fibd cache plugin class needs void cancel(std::uint64_t call_id)");
};

template <class T>
struct Adapter : SyncChecks<T> {
  static constexpr bool async = is_async<T>::value;

  static_assert(
      std::is_constructible<T, const Host&, const Config&>::value,
      "a fibd cache plugin class needs a constructor (const fibd::plugin::Host&, "
      "const fibd::plugin::Config&)");
  static std::string_view view(const void* data, std::size_t len) noexcept {
    return len == 0 ? std::string_view()
                    : std::string_view(static_cast<const char*>(data), len);
  }

  static T* self(fibd_cache_instance* instance) noexcept {
    return reinterpret_cast<T*>(instance);
  }

  static fibd_cache_instance* create(const fibd_cache_host* host,
                                     const fibd_cache_config* config, char* err,
                                     std::size_t err_len) noexcept {
    fibd_cache_instance* instance = nullptr;
    guarded(err, err_len, [&] {
      instance = reinterpret_cast<fibd_cache_instance*>(
          std::make_unique<T>(Host(host), Config(config)).release());
      return FIBD_CACHE_OK;
    });
    return instance;  // destroy() takes it back
  }

  static void destroy(fibd_cache_instance* instance) noexcept { delete self(instance); }

  static fibd_cache_status get(fibd_cache_instance* instance, const fibd_cache_call* call,
                               const void* key, std::size_t key_len,
                               [[maybe_unused]] const fibd_cache_sink* sink, char* err,
                               std::size_t err_len) noexcept {
    if constexpr (async) {
      return start(call, err, err_len, [&](const Call& c) {
        self(instance)->get_async(view(key, key_len), c, GetCompletion(call->completion));
      });
    } else {
      return get_sync(self(instance), key, key_len, sink, err, err_len);
    }
  }

  // An async call: the completion goes to the class, the answer is PENDING
  // (even if the class completed already). Without a completion from the
  // host (it never happens with FIBD_CACHE_FEATURE_ASYNC set) the call fails.
  template <class F>
  static fibd_cache_status start(const fibd_cache_call* call, char* err,
                                 std::size_t err_len, F&& f) noexcept {
    if (call == nullptr || call->completion == nullptr) {
      write_error(err, err_len, "the host gave no completion for an async call");
      return FIBD_CACHE_ERROR;
    }
    return guarded(err, err_len, [&]() -> fibd_cache_status {
      f(Call(call));
      return FIBD_CACHE_PENDING;
    });
  }

  static fibd_cache_status get_sync(T* instance, const void* key, std::size_t key_len,
                                    const fibd_cache_sink* sink, char* err,
                                    std::size_t err_len) noexcept {
    return guarded(err, err_len, [&]() -> fibd_cache_status {
      Value out(sink);
      switch (instance->get(view(key, key_len), out)) {
        case Lookup::hit:
          if (!out.delivered())
            throw Error("get returned hit without calling Value::put");
          return FIBD_CACHE_HIT;
        case Lookup::expired:
          if (out.delivered()) throw Error("get delivered a value but returned expired");
          return FIBD_CACHE_EXPIRED;
        case Lookup::not_found:
        default:
          if (out.delivered())
            throw Error("get delivered a value but returned not_found");
          return FIBD_CACHE_NOT_FOUND;
      }
    });
  }

  static fibd_cache_status set(fibd_cache_instance* instance, const fibd_cache_call* call,
                               const void* key, std::size_t key_len, const void* value,
                               std::size_t value_len, std::uint64_t ttl_ms, char* err,
                               std::size_t err_len) noexcept {
    if constexpr (async) {
      return start(call, err, err_len, [&](const Call& c) {
        self(instance)->set_async(view(key, key_len), view(value, value_len),
                                  Config::to_millis(ttl_ms), c,
                                  SetCompletion(call->completion));
      });
    } else {
      return guarded(err, err_len, [&]() -> fibd_cache_status {
        self(instance)->set(view(key, key_len), view(value, value_len),
                            Config::to_millis(ttl_ms));
        return FIBD_CACHE_OK;
      });
    }
  }

  static void cancel([[maybe_unused]] fibd_cache_instance* instance,
                     [[maybe_unused]] std::uint64_t call_id) noexcept {
    if constexpr (async) {
      try {
        self(instance)->cancel(call_id);
      } catch (...) {
        // cancel() is advisory: the completion still fires.
      }
    }
  }

  static fibd_cache_status del([[maybe_unused]] fibd_cache_instance* instance,
                               [[maybe_unused]] const fibd_cache_call* call,
                               [[maybe_unused]] const void* key,
                               [[maybe_unused]] std::size_t key_len, char* err,
                               std::size_t err_len) noexcept {
    if constexpr (has_del<T>::value) {
      return guarded(err, err_len, [&]() -> fibd_cache_status {
        return self(instance)->del(view(key, key_len)) ? FIBD_CACHE_OK
                                                       : FIBD_CACHE_NOT_FOUND;
      });
    } else {
      write_error(err, err_len, "del is not offered");
      return FIBD_CACHE_ERROR;
    }
  }

  static fibd_cache_status clear([[maybe_unused]] fibd_cache_instance* instance,
                                 [[maybe_unused]] const fibd_cache_call* call, char* err,
                                 std::size_t err_len) noexcept {
    if constexpr (has_clear<T>::value) {
      return guarded(err, err_len, [&]() -> fibd_cache_status {
        self(instance)->clear();
        return FIBD_CACHE_OK;
      });
    } else {
      write_error(err, err_len, "clear is not offered");
      return FIBD_CACHE_ERROR;
    }
  }

  static fibd_cache_status stats([[maybe_unused]] fibd_cache_instance* instance,
                                 [[maybe_unused]] const fibd_cache_stats_sink* sink,
                                 char* err, std::size_t err_len) noexcept {
    if constexpr (has_stats<T>::value) {
      return guarded(err, err_len, [&]() -> fibd_cache_status {
        Stats out(sink);
        self(instance)->stats(out);
        return FIBD_CACHE_OK;
      });
    } else {
      write_error(err, err_len, "stats is not offered");
      return FIBD_CACHE_ERROR;
    }
  }

  static constexpr fibd_cache_descriptor descriptor(const char* name, const char* version,
                                                    const char* description,
                                                    std::uint64_t capabilities) noexcept {
    return fibd_cache_descriptor{
        FIBD_CACHE_ABI_VERSION,
        static_cast<std::uint32_t>(sizeof(fibd_cache_descriptor)),
        name,
        version,
        description,
        capabilities,
        async ? FIBD_CACHE_FEATURE_ASYNC : std::uint64_t{0},
        &Adapter::create,
        &Adapter::destroy,
        &Adapter::get,
        &Adapter::set,
        async ? &Adapter::cancel : nullptr,
        has_del<T>::value ? &Adapter::del : nullptr,
        has_clear<T>::value ? &Adapter::clear : nullptr,
        has_stats<T>::value ? &Adapter::stats : nullptr,
    };
  }
};

}  // namespace detail

}  // namespace plugin
}  // namespace fibd

#endif /* FIBD_CACHE_PLUGIN_ADAPTER_HPP */
