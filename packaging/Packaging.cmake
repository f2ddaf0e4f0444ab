# Debian package of the CLI, the benchmark worker and (when built) the GUI: `cpack -G DEB` in the build folder. The compile worker
# goes to <prefix>/share/aotiscope/workers, where the installed binaries look for it.
install(FILES ${PROJECT_SOURCE_DIR}/workers/compile_worker.py ${PROJECT_SOURCE_DIR}/workers/aoti_meta.py DESTINATION share/aotiscope/workers)
# The recording shim (`aotiscope-cli record`): a sitecustomize put first on the recorded program's PYTHONPATH.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/workers/record DESTINATION share/aotiscope/workers FILES_MATCHING PATTERN "*.py")
# The interpreter whose torch an installed AOTIScope judges caches for unless told otherwise ($AOTISCOPE_PYTHON,
# --python, Preferences): <prefix>/share/aotiscope/python, read before the build's own record (HostInfo.h).
set(AOTISCOPE_INSTALLED_PYTHON "python3" CACHE STRING "Interpreter with torch recorded in an installed AOTIScope")
install(CODE "file(WRITE \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/share/aotiscope/python\" \"${AOTISCOPE_INSTALLED_PYTHON}\\n\")")
# The benchmark worker sits beside aotiscope-cli, where the core looks for it first; it keeps its RPATH to
# the libtorch it was built against (the user's torch install).
if(TARGET aotiscope-bench-worker)
    install(TARGETS aotiscope-bench-worker RUNTIME DESTINATION bin)
endif()
set(CPACK_PACKAGE_NAME "aotiscope")
set(CPACK_PACKAGE_VENDOR "AOTIScope")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Inspect, lint and manage PyTorch's AOTI-eager kernel cache")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "AOTIScope developers")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_GENERATOR "DEB")
include(CPack)
