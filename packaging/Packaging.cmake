# Debian package of the CLI, the benchmark worker and (when built) the GUI: `cpack -G DEB` in the build folder. The compile worker
# goes to <prefix>/share/aotiscope/workers, where the installed binaries look for it.
install(FILES ${PROJECT_SOURCE_DIR}/workers/compile_worker.py ${PROJECT_SOURCE_DIR}/workers/aoti_meta.py DESTINATION share/aotiscope/workers)
# The recording shim (`aotiscope-cli record`): a sitecustomize put first on the recorded program's PYTHONPATH.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/workers/record DESTINATION share/aotiscope/workers FILES_MATCHING PATTERN "*.py")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/workers/registry DESTINATION share/aotiscope/workers FILES_MATCHING PATTERN "*.py")
# The interpreter whose torch an installed AOTIScope judges caches for unless told otherwise ($AOTISCOPE_PYTHON,
# --python, Preferences): <prefix>/share/aotiscope/python, read before the build's own record (HostInfo.h).
set(AOTISCOPE_INSTALLED_PYTHON "python3" CACHE STRING "Interpreter with torch recorded in an installed AOTIScope")
install(CODE "file(WRITE \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/share/aotiscope/python\" \"${AOTISCOPE_INSTALLED_PYTHON}\\n\")")
# The benchmark worker goes to <prefix>/lib/aotiscope with the record of the torch it was built for; it has no
# RPATH: the core points LD_LIBRARY_PATH at the configured torch's lib/, and builds a worker for another torch on
# first use (core/jobs/BenchWorker.h) from the sources and script installed here.
if(TARGET aotiscope-bench-worker)
    install(TARGETS aotiscope-bench-worker RUNTIME DESTINATION lib/aotiscope)
    install(FILES $<TARGET_FILE:aotiscope-bench-worker>.torch DESTINATION lib/aotiscope)
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/workers/bench DESTINATION share/aotiscope/workers
        FILES_MATCHING PATTERN "*.cpp" PATTERN "*.h" PATTERN "CMakeLists.txt")
install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/build_bench_worker.sh DESTINATION share/aotiscope/scripts)

# Desktop integration: launcher, AppStream metainfo, icon (validated by tests/package_test.sh).
set(AOTISCOPE_APP_ID io.github.aotiscope.AOTIScope)
if(AOTISCOPE_BUILD_GUI)
    install(FILES ${PROJECT_SOURCE_DIR}/packaging/linux/${AOTISCOPE_APP_ID}.desktop DESTINATION share/applications)
    install(FILES ${PROJECT_SOURCE_DIR}/packaging/linux/${AOTISCOPE_APP_ID}.metainfo.xml DESTINATION share/metainfo)
    install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/${AOTISCOPE_APP_ID}.svg DESTINATION share/icons/hicolor/scalable/apps)
endif()

# Man pages and bash completion, made from the programs' own --help at build time.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
    set(AOTISCOPE_DOCS_OUT ${CMAKE_BINARY_DIR}/packaging)
    set(AOTISCOPE_DOC_FILES ${AOTISCOPE_DOCS_OUT}/aotiscope-cli.1 ${AOTISCOPE_DOCS_OUT}/aotiscope-cli.bash)
    add_custom_command(OUTPUT ${AOTISCOPE_DOC_FILES}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${AOTISCOPE_DOCS_OUT}
        COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/packaging/generate_docs.py man $<TARGET_FILE:aotiscope-cli> "AOTIScope commands" ${AOTISCOPE_DOCS_OUT}/aotiscope-cli.1
        COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/packaging/generate_docs.py completion $<TARGET_FILE:aotiscope-cli> ${AOTISCOPE_DOCS_OUT}/aotiscope-cli.bash
        DEPENDS aotiscope-cli ${PROJECT_SOURCE_DIR}/packaging/generate_docs.py VERBATIM)
    if(AOTISCOPE_BUILD_GUI)
        add_custom_command(OUTPUT ${AOTISCOPE_DOCS_OUT}/aotiscope.1
            COMMAND ${CMAKE_COMMAND} -E make_directory ${AOTISCOPE_DOCS_OUT}
            COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/packaging/generate_docs.py man $<TARGET_FILE:aotiscope> "AOTIScope desktop application" ${AOTISCOPE_DOCS_OUT}/aotiscope.1
            DEPENDS aotiscope ${PROJECT_SOURCE_DIR}/packaging/generate_docs.py VERBATIM)
        list(APPEND AOTISCOPE_DOC_FILES ${AOTISCOPE_DOCS_OUT}/aotiscope.1)
        install(FILES ${AOTISCOPE_DOCS_OUT}/aotiscope.1 DESTINATION share/man/man1)
    endif()
    add_custom_target(aotiscope_docs ALL DEPENDS ${AOTISCOPE_DOC_FILES})
    install(FILES ${AOTISCOPE_DOCS_OUT}/aotiscope-cli.1 DESTINATION share/man/man1)
    install(FILES ${AOTISCOPE_DOCS_OUT}/aotiscope-cli.bash DESTINATION share/bash-completion/completions RENAME aotiscope-cli)
endif()
set(CPACK_PACKAGE_NAME "aotiscope")
set(CPACK_PACKAGE_VENDOR "AOTIScope")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Inspect, lint and manage PyTorch's AOTI-eager kernel cache")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "AOTIScope developers")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
# libtorch comes from the user's torch (a wheel, not a Debian package): dpkg-shlibdeps cannot name its package.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${TORCH_INSTALL_PREFIX}/lib")
# Building a benchmark worker for another torch on first use needs a compiler and the JSON headers.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "g++, cmake, nlohmann-json3-dev, python3")
set(CPACK_GENERATOR "DEB")
include(CPack)
