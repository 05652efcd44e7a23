# Tests of `smtpp serve --listen` (included from tools/CMakeLists.txt under
# if(SMTPP_TESTS)).  One C driver, tools/tests/sink_test.c, starts the
# server on port 0, reads the port from its "listening on" line and plays
# one scenario; no Python.
add_executable(sink_test ${CMAKE_CURRENT_LIST_DIR}/sink_test.c)
# fsync() that fails on demand, preloaded into the server (fsync_fail).
add_library(sink_fsync_fail MODULE ${CMAKE_CURRENT_LIST_DIR}/fsync_fail.c)
# A preloaded library must not need the sanitizer runtime of the build.
set_target_properties(sink_fsync_fail PROPERTIES PREFIX "")
target_compile_options(sink_fsync_fail PRIVATE -fno-sanitize=all)
target_link_options(sink_fsync_fail PRIVATE -fno-sanitize=all)
foreach(scenario slowloris flood pipeline pipeline_maildir pipeline_fsync
                 idle sigterm rss mbox maildir_fail ipv6 badflags oversize
                 tmp_cleanup maildir_recreate fsync_fail envelope
                 command_timeout min_rate reclaim log_json)
  add_test(NAME sink_${scenario}
           COMMAND sink_test $<TARGET_FILE:smtpp> ${scenario}
                   $<TARGET_FILE:sink_fsync_fail>)
  set_tests_properties(sink_${scenario} PROPERTIES TIMEOUT 30
                       SKIP_RETURN_CODE 77)
endforeach()
# RSS under ASan is the sanitizer's, not ours: the bound is only checked in
# a normal build.
if(SMTPP_SANITIZE)
  set_tests_properties(sink_rss PROPERTIES ENVIRONMENT "SINK_RSS_SKIP=1")
endif()
