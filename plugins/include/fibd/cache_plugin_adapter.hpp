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

template <class T>
struct Adapter {
  static_assert(
      std::is_constructible<T, const Host&, const Config&>::value,
      "a fibd cache plugin class needs a constructor (const fibd::plugin::Host&, "
      "const fibd::plugin::Config&)");
  static_assert(std::is_same<decltype(std::declval<T&>().get(std::string_view(),
                                                             std::declval<Value&>())),
                             Lookup>::value,
                "a fibd cache plugin class needs fibd::plugin::Lookup "
                "get(std::string_view key, fibd::plugin::Value& out)");
  static_assert(
      std::is_void<decltype(std::declval<T&>().set(std::string_view(), std::string_view(),
                                                   std::chrono::milliseconds()))>::value,
      "a fibd cache plugin class needs void set(std::string_view key, "
      "std::string_view value, std::chrono::milliseconds ttl)");

  static std::string_view view(const void* data, std::size_t len) noexcept {
    return len == 0 ? std::string_view()
                    : std::string_view(static_cast<const char*>(data), len);
  }

  static void* create(const fibd_cache_host* host, const fibd_cache_config* config,
                      char* err, std::size_t err_len) noexcept {
    void* instance = nullptr;
    guarded(err, err_len, [&] {
      instance = std::make_unique<T>(Host(host), Config(config)).release();
      return FIBD_CACHE_OK;
    });
    return instance;  // destroy() takes it back
  }

  static void destroy(void* instance) noexcept { delete static_cast<T*>(instance); }

  static fibd_cache_status get(void* instance, const void* key, std::size_t key_len,
                               const fibd_cache_sink* sink, char* err,
                               std::size_t err_len) noexcept {
    return guarded(err, err_len, [&]() -> fibd_cache_status {
      Value out(sink);
      switch (static_cast<T*>(instance)->get(view(key, key_len), out)) {
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

  static fibd_cache_status set(void* instance, const void* key, std::size_t key_len,
                               const void* value, std::size_t value_len,
                               std::uint64_t ttl_ms, char* err,
                               std::size_t err_len) noexcept {
    return guarded(err, err_len, [&]() -> fibd_cache_status {
      static_cast<T*>(instance)->set(view(key, key_len), view(value, value_len),
                                     Config::to_millis(ttl_ms));
      return FIBD_CACHE_OK;
    });
  }

  static fibd_cache_status del([[maybe_unused]] void* instance,
                               [[maybe_unused]] const void* key,
                               [[maybe_unused]] std::size_t key_len, char* err,
                               std::size_t err_len) noexcept {
    if constexpr (has_del<T>::value) {
      return guarded(err, err_len, [&]() -> fibd_cache_status {
        return static_cast<T*>(instance)->del(view(key, key_len)) ? FIBD_CACHE_OK
                                                                  : FIBD_CACHE_NOT_FOUND;
      });
    } else {
      write_error(err, err_len, "del is not offered");
      return FIBD_CACHE_ERROR;
    }
  }

  static fibd_cache_status clear([[maybe_unused]] void* instance, char* err,
                                 std::size_t err_len) noexcept {
    if constexpr (has_clear<T>::value) {
      return guarded(err, err_len, [&]() -> fibd_cache_status {
        static_cast<T*>(instance)->clear();
        return FIBD_CACHE_OK;
      });
    } else {
      write_error(err, err_len, "clear is not offered");
      return FIBD_CACHE_ERROR;
    }
  }

  static fibd_cache_status stats([[maybe_unused]] void* instance,
                                 [[maybe_unused]] const fibd_cache_stats_sink* sink,
                                 char* err, std::size_t err_len) noexcept {
    if constexpr (has_stats<T>::value) {
      return guarded(err, err_len, [&]() -> fibd_cache_status {
        Stats out(sink);
        static_cast<T*>(instance)->stats(out);
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
        &Adapter::create,
        &Adapter::destroy,
        &Adapter::get,
        &Adapter::set,
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
