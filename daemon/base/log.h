// spdlog for the daemon's files. With fmt 9, spdlog's logger calls
// fmt::detail::vformat_to, a template every including file instantiated again
// (the whole formatting engine, float printing included); libfmt.so already
// holds that instantiation, so the files take it from there. fmt 10 declares
// this itself.
#pragma once

#include <fmt/format.h>

// GCC only: libfmt.so is built by GCC, and clang mangles this template's
// signature (its argument types depend on Char) differently, so a clang build
// (the fuzzers) would find no such symbol; it instantiates its own.
#if FMT_VERSION >= 90000 && FMT_VERSION < 100000 && !defined(FMT_HEADER_ONLY) && \
    defined(__GNUC__) && !defined(__clang__)
FMT_BEGIN_NAMESPACE
namespace detail {
extern template FMT_API void vformat_to(buffer<char>&, string_view,
                                        basic_format_args<FMT_BUFFER_CONTEXT(char)>,
                                        locale_ref);
}  // namespace detail
FMT_END_NAMESPACE
#endif

#include <spdlog/spdlog.h>
