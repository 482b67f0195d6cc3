// unique_ptr aliases that free libevent objects with the right function.
#pragma once

#include <event2/event.h>
#include <event2/listener.h>

#include <memory>

namespace fibd {

template <auto Free>
struct LibeventDeleter {
  template <typename T>
  void operator()(T* p) const {
    if (p != nullptr) Free(p);
  }
};

using EventBasePtr = std::unique_ptr<event_base, LibeventDeleter<event_base_free>>;
using EventPtr = std::unique_ptr<event, LibeventDeleter<event_free>>;
using ListenerPtr = std::unique_ptr<evconnlistener, LibeventDeleter<evconnlistener_free>>;

}  // namespace fibd
