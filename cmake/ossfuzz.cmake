# cmake/ossfuzz.cmake - -DSMTPP_OSSFUZZ=ON: the fuzz targets the way
# OSS-Fuzz / ClusterFuzzLite link them (included from fuzz/CMakeLists.txt).
#
#   CC=clang CFLAGS='-fsanitize=address,fuzzer-no-link' \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer cmake -DSMTPP_OSSFUZZ=ON ...
#
# The engine comes from $LIB_FUZZING_ENGINE (or -DLIB_FUZZING_ENGINE=...):
# every source is compiled with the normal CFLAGS and each fuzz_<t> is
# linked with the engine.  Without an engine it is an error, unless
# -DLIB_FUZZING_ENGINE=none: then fuzz_<t> are standalone replay drivers
# (fuzz/driver.c: file and folder arguments, or stdin) that any compiler
# can build.  .clusterfuzzlite/build.sh does the same without CMake.
if(NOT SMTPP_OSSFUZZ)
  return()
endif()
if(SMTPP_FUZZ OR SMTPP_AFL)
  message(FATAL_ERROR "SMTPP_OSSFUZZ=ON builds its own fuzz_<target> binaries: "
    "turn SMTPP_FUZZ and SMTPP_AFL off")
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
foreach(t IN LISTS FUZZ_TARGETS)
  if(LIB_FUZZING_ENGINE STREQUAL "none")
    add_executable(${t} ${CMAKE_CURRENT_SOURCE_DIR}/driver.c
      ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c ${FUZZ_EXTRA_${t}})
  else()
    add_executable(${t} ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c ${FUZZ_EXTRA_${t}})
    target_link_options(${t} PRIVATE ${_smtpp_engine})
  endif()
  target_include_directories(${t} PRIVATE ${PARSER_SRC_DIR})
  target_link_libraries(${t} PRIVATE smtpp_oracle)
endforeach()
message(STATUS "smtpp: OSS-Fuzz targets linked with: ${LIB_FUZZING_ENGINE}")
