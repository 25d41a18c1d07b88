# Runs RUNNER ARGS; fails unless it exits with EXPECT_CODE and its output contains the text
# EXPECT_OUTPUT (a plain substring, not a regular expression).
execute_process(COMMAND ${RUNNER} ${ARGS} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT code STREQUAL "${EXPECT_CODE}")
  message(FATAL_ERROR "expected exit code ${EXPECT_CODE}, got ${code}")
endif()
string(FIND "${out}${err}" "${EXPECT_OUTPUT}" position)
if(position EQUAL -1)
  message(FATAL_ERROR "expected the output to contain: ${EXPECT_OUTPUT}")
endif()
