# Debian package of the CLI and (when built) the GUI: `cpack -G DEB` in the build folder. The compile worker
# goes to <prefix>/share/aotiscope/workers, where the installed binaries look for it.
install(FILES ${PROJECT_SOURCE_DIR}/workers/compile_worker.py DESTINATION share/aotiscope/workers)
set(CPACK_PACKAGE_NAME "aotiscope")
set(CPACK_PACKAGE_VENDOR "AOTIScope")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Inspect, lint and manage PyTorch's AOTI-eager kernel cache")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "AOTIScope developers")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_GENERATOR "DEB")
include(CPack)
