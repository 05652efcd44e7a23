# cmake/ossfuzz.cmake - the fuzz targets as OSS-Fuzz and ClusterFuzzLite
# build them (-DSMTPP_OSSFUZZ=ON, included from fuzz/CMakeLists.txt), and
# the plain (uninstrumented) oracle for every build that instruments all
# sources.
#
#   CC=clang CXX=clang++ CFLAGS='-fsanitize=address,fuzzer-no-link' \
#   CXXFLAGS="$CFLAGS" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
#     cmake -S . -B build-ossfuzz -DSMTPP_OSSFUZZ=ON
#   cmake --build build-ossfuzz --target smtpp_ossfuzz
#
# .clusterfuzzlite/build.sh does exactly this and copies the binaries, seed
# zips, dictionaries and options into $OUT.  CC/CXX/CFLAGS/CXXFLAGS are used
# as the environment gives them (CMakeLists.txt adds no flag of its own in
# this mode).  Every fuzz_<t> is linked by $CXX with $LIB_FUZZING_ENGINE
# (or -DLIB_FUZZING_ENGINE=...; 'none' gives standalone replay drivers,
# fuzz/driver.c, that any compiler builds).  Each target carries the whole
# parser (every object of smtpp_objs, instrumented), so each has the
# parser's full edge count; the oracle is left uninstrumented
# (smtpp_fuzz_plain_oracle below).

# smtpp_fuzz_plain_oracle(TARGET): TARGET's sources get no coverage
# instrumentation (fuzz/uninstrumented.txt) when the compiler flags or the
# compiler would add it: sanitizer coverage in CMAKE_C_FLAGS (clang's
# ignore list) or afl-clang-fast/afl-clang-lto/afl-cc (AFL++'s deny list,
# passed through the compiler launcher's environment).
function(smtpp_fuzz_plain_oracle target)
  set(list ${PROJECT_SOURCE_DIR}/fuzz/uninstrumented.txt)
  if(CMAKE_C_FLAGS MATCHES "fuzzer-no-link|-fsanitize-coverage=")
    target_compile_options(${target} PRIVATE -fsanitize-coverage-ignorelist=${list})
  endif()
  get_filename_component(cc_name "${CMAKE_C_COMPILER}" NAME)
  if(cc_name MATCHES "^afl-")
    set_property(TARGET ${target} PROPERTY C_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env AFL_LLVM_DENYLIST=${list})
  endif()
endfunction()

# smtpp_fuzz_no_trace_cmp([DIRECTORY dir]): the parser sources named in
# FUZZ_NO_TRACE_CMP (fuzz/CMakeLists.txt, which says why) are compiled
# without comparison tracing, for the targets of the directory dir (default:
# the current one).  A name that is not a parser source stops the
# configuration, so a renamed file cannot silently lose the setting.
function(smtpp_fuzz_no_trace_cmp)
  cmake_parse_arguments(A "" "DIRECTORY" "" ${ARGN})
  set(scope "")
  if(A_DIRECTORY)
    set(scope DIRECTORY ${A_DIRECTORY})
  endif()
  foreach(f IN LISTS FUZZ_NO_TRACE_CMP)
    list(FIND FUZZ_PARSER_SOURCES ${PROJECT_SOURCE_DIR}/parser/src/${f} i)
    if(i LESS 0)
      message(FATAL_ERROR "FUZZ_NO_TRACE_CMP names ${f}, not a parser source")
    endif()
    set_source_files_properties(${PROJECT_SOURCE_DIR}/parser/src/${f} ${scope}
      PROPERTIES COMPILE_OPTIONS -fno-sanitize-coverage=trace-cmp)
  endforeach()
endfunction()

if(NOT SMTPP_OSSFUZZ)
  return()
endif()
if(NOT DEFINED LIB_FUZZING_ENGINE)
  if(DEFINED ENV{LIB_FUZZING_ENGINE} AND NOT "$ENV{LIB_FUZZING_ENGINE}" STREQUAL "")
    set(LIB_FUZZING_ENGINE "$ENV{LIB_FUZZING_ENGINE}")
  else()
    message(FATAL_ERROR "SMTPP_OSSFUZZ=ON needs a fuzzing engine, and "
      "LIB_FUZZING_ENGINE is not set.  Set it in the environment or with "
      "-DLIB_FUZZING_ENGINE=...: -fsanitize=fuzzer (libFuzzer), "
      "/usr/lib/afl/libAFLDriver.a (AFL++), or 'none' for standalone "
      "replay drivers.  See docs/FUZZING.md.")
  endif()
endif()
set(LIB_FUZZING_ENGINE "${LIB_FUZZING_ENGINE}" CACHE STRING
  "OSS-Fuzz engine link flags, or 'none' for standalone replay drivers")
separate_arguments(_smtpp_engine UNIX_COMMAND "${LIB_FUZZING_ENGINE}")
smtpp_fuzz_plain_oracle(smtpp_oracle)
smtpp_fuzz_plain_oracle(smtpp_common)
# the parser objects are smtpp_objs's (parser/): the setting goes to that
# directory (set_source_files_properties(DIRECTORY) needs CMake 3.18)
if(CMAKE_C_FLAGS MATCHES "fuzzer-no-link|trace-cmp" AND
   NOT CMAKE_VERSION VERSION_LESS 3.18)
  smtpp_fuzz_no_trace_cmp(DIRECTORY ${PROJECT_SOURCE_DIR}/parser)
endif()
add_custom_target(smtpp_ossfuzz)
foreach(t IN LISTS FUZZ_TARGETS)
  if(LIB_FUZZING_ENGINE STREQUAL "none")
    add_executable(${t} ${CMAKE_CURRENT_SOURCE_DIR}/driver.c
      ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c ${FUZZ_EXTRA_${t}})
  else()
    add_executable(${t} ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c ${FUZZ_EXTRA_${t}})
    target_link_libraries(${t} PRIVATE ${_smtpp_engine})
    set_target_properties(${t} PROPERTIES LINKER_LANGUAGE CXX)
  endif()
  target_sources(${t} PRIVATE $<TARGET_OBJECTS:smtpp_objs>)
  target_include_directories(${t} PRIVATE ${PARSER_SRC_DIR})
  target_link_libraries(${t} PRIVATE smtpp_oracle)
  add_dependencies(smtpp_ossfuzz ${t})
endforeach()
message(STATUS "smtpp: OSS-Fuzz targets linked with: ${LIB_FUZZING_ENGINE}")
