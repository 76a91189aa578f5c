# Run after a test executable is built (tests/suite_tests.cmake): lists its GoogleTest
# suites and writes one add_test per suite to OUT. Inputs: EXE, OUT, XML_DIR, WORKDIR,
# HEAVY (the suites that run longest, longest first: CTest starts the highest COST first,
# so they do not end up last on a parallel run).
# OMP_WAIT_POLICY=passive: CTest runs as many suites as there are cores, and libgomp's
# threads otherwise spin after every parallel region (a fifth of a small `qdse search`'s
# CPU), taking the core from the suite running beside them.
cmake_minimum_required(VERSION 3.20)
execute_process(COMMAND "${EXE}" --gtest_list_tests
  OUTPUT_VARIABLE listing ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 120)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} --gtest_list_tests failed (${rc}): ${err}")
endif()
string(REPLACE ";" "," listing "${listing}")  # a parameter's printed value may hold ';'
string(REPLACE "\n" ";" lines "${listing}")
set(suites "")
set(counts "")
set(current "")
foreach(line IN LISTS lines)
  if(line MATCHES "^([A-Za-z0-9_/]+)\\.( |$)")
    set(current "${CMAKE_MATCH_1}")
    list(APPEND suites "${current}")
    set(count_${current} 0)
  elseif(line MATCHES "^  [^ ]" AND NOT current STREQUAL "")
    math(EXPR count_${current} "${count_${current}} + 1")
  endif()
endforeach()
set(content "# Written by write_suite_tests.cmake from `${EXE} --gtest_list_tests`.\n")
foreach(suite IN LISTS suites)
  string(REPLACE "/" "_" xml "${suite}")
  set(cost ${count_${suite}})
  list(FIND HEAVY "${suite}" heavy_rank)
  if(heavy_rank GREATER_EQUAL 0)
    math(EXPR cost "2000 - ${heavy_rank}")
  endif()
  string(APPEND content
    "add_test([=[${suite}]=] \"${EXE}\" [=[--gtest_filter=${suite}.*]=])\n"
    "set_tests_properties([=[${suite}]=] PROPERTIES TIMEOUT 900 COST ${cost}"
    " WORKING_DIRECTORY \"${WORKDIR}\""
    " ENVIRONMENT [=[GTEST_OUTPUT=xml:${XML_DIR}/${xml}.xml;OMP_WAIT_POLICY=passive]=])\n")
endforeach()
file(WRITE "${OUT}" "${content}")
