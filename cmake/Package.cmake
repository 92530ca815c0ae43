# The Debian package, made by CPack's DEB generator: scripts/package, or
# `cpack --config build/CPackConfig.cmake -G DEB` after a build
# (docs/install.md). It installs under /usr, in the layout of the install
# rules (CMakeLists.txt); lockstep finds its parts relative to itself, so
# the package's files work wherever they are unpacked too.
#
# Depends is computed by dpkg-shlibdeps (dpkg-dev, in scripts/setup's list)
# from the ELF files in the package (libgvc, libcgraph, libxml2, jansson,
# pcre2, libc); added by hand: a font for the diagrams' text. The Graphviz
# plugins lockstep loads by dlopen (viz/render.c) are in libgvc6, which the
# link to libgvc already brings.

# Install (and so cpack) takes what the build made and does not run the
# build first: every way in (scripts/package, docs/install.md) builds
# before, and the check of ~150 targets cost the install-package test
# half a minute of a loaded machine.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lockstep)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "the lockstep project")
set(CPACK_PACKAGE_CONTACT "lockstep maintainers <lockstep@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "run concurrency scenarios as real processes, deterministically")
set(CPACK_PACKAGE_DESCRIPTION
  "lockstep runs concurrency scenarios (a short XML file declaring processes
and the IPC of a systems course: semaphores, pipes, FIFOs, shared memory,
signals, record locks, fork, exec, waitpid) and unmodified programs as real
forked processes under a deterministic scheduler, through an LD_PRELOAD
interposer. It prints the interleaving, explains deadlocks as wait-for
cycles, explores every outcome and data race, and draws happens-before
diagrams.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # lockstep_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fonts-dejavu-core | fonts-liberation2")
set(CPACK_SOURCE_GENERATOR "")
include(CPack)
