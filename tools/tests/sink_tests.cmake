# Tests of `smtpp serve --listen` (included from tools/CMakeLists.txt under
# if(SMTPP_TESTS)).  One C driver, tools/tests/sink_test.c, starts the
# server on port 0, reads the port from its "listening on" line and plays
# one scenario; no Python.
add_executable(sink_test ${CMAKE_CURRENT_LIST_DIR}/sink_test.c)
foreach(scenario slowloris flood pipeline pipeline_maildir idle sigterm rss
                 mbox maildir_fail ipv6 badflags)
  add_test(NAME sink_${scenario}
           COMMAND sink_test $<TARGET_FILE:smtpp> ${scenario})
  set_tests_properties(sink_${scenario} PROPERTIES TIMEOUT 30
                       SKIP_RETURN_CODE 77)
endforeach()
# RSS under ASan is the sanitizer's, not ours: the bound is only checked in
# a normal build.
if(SMTPP_SANITIZE)
  set_tests_properties(sink_rss PROPERTIES ENVIRONMENT "SINK_RSS_SKIP=1")
endif()
