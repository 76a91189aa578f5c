# qdse_suite_tests(<target>): registers one CTest test per GoogleTest suite of <target>
# (`Suite` runs `<target> --gtest_filter=Suite.*`), where gtest_discover_tests registers
# one per test. Every test process loads libtorch, which costs about 0.8 s of CPU before
# the first line of a test runs; one process per suite instead of per test saves about
# 450 of those starts on a full run. After each build the executable lists its tests
# (write_suite_tests.cmake) and writes the CTest file that CTest includes.
# Each suite writes its GoogleTest XML report to tests/gtest-xml/<target>/<suite>.xml,
# from which scripts/test.sh names every skipped test and why.
function(qdse_suite_tests target)
  set(listing "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites.cmake")
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_include.cmake")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -D EXE=$<TARGET_FILE:${target}> -D OUT=${listing}
            -D XML_DIR=${CMAKE_CURRENT_BINARY_DIR}/gtest-xml/${target}
            -D WORKDIR=${CMAKE_CURRENT_BINARY_DIR}
            -D "HEAVY=${QDSE_HEAVY_SUITES}"
            -P ${CMAKE_CURRENT_SOURCE_DIR}/write_suite_tests.cmake
    BYPRODUCTS ${listing}
    VERBATIM)
  file(WRITE ${include_file}
    "if(EXISTS \"${listing}\")\n  include(\"${listing}\")\nelse()\n"
    "  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${include_file})
endfunction()
