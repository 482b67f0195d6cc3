# Finds hiredis (PkgConfig::HIREDIS) and picks the adapter that opens a
# context with it (hiredis_connect.h): FIBD_HIREDIS_CONNECT is
# hiredis_connect_v0.cpp for hiredis 0.14 (bookworm), hiredis_connect_v1.cpp
# for 1.x (trixie). Included by the plugin and by the fuzz targets.
# PkgConfig::HIREDIS also brings libevent_core: the plugin's I/O thread runs
# hiredis' async API on a libevent event base (hiredis/adapters/libevent.h).
find_package(PkgConfig REQUIRED)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis libevent_core)
if(HIREDIS_hiredis_VERSION VERSION_LESS 1.0)
  set(FIBD_HIREDIS_CONNECT ${CMAKE_CURRENT_LIST_DIR}/hiredis_connect_v0.cpp)
else()
  set(FIBD_HIREDIS_CONNECT ${CMAKE_CURRENT_LIST_DIR}/hiredis_connect_v1.cpp)
endif()
set(HIREDIS_VERSION ${HIREDIS_hiredis_VERSION})
