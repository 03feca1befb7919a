# packaging/static/static.cmake: makes the top CMakeLists.txt produce fully
# static binaries without editing it.  Passed by debian/rules (and the
# Dockerfile) as -DCMAKE_PROJECT_INCLUDE=<this file>, so it runs right after
# project() and before any pkg_check_modules(): every pkg-config library
# then resolves to its .a, and the link is -static.
#
# Why static: the package must run on Ubuntu 14.04 (glibc 2.19) as well as
# on Debian 12 (glibc 2.36); a dynamic build needs GLIBC_2.34, and 14.04 has
# no libuv1 or libinih at all.  A static glibc binary has no symbol-version
# requirement; glibc 2.36 needs kernel >= 3.2 (14.04 ships 3.13).
# libuv.a comes from packaging/static/build-deps (Debian ships none), found
# through CMAKE_PREFIX_PATH; zlib, lz4, zstd, snappy and inih from their
# -dev packages.  snappy is C++, hence libstdc++.
#
# Why glibc and not musl: musl-tools has no C++ compiler, and snappy is
# C++.  A static-pie glibc binary has the same property that matters here
# (no GLIBC_x.y requirement, nothing loaded at run time for files/dns name
# resolution); the NSS caveat is in docs/packaging.md.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set(CMAKE_C_STANDARD_LIBRARIES "-lstdc++ -lm")
add_link_options(-static-pie)
