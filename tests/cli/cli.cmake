# The npusim command end to end (by "report"): a POSIX shell script driven by $NPUSIM.
add_test(NAME cli_test COMMAND sh ${CMAKE_SOURCE_DIR}/tests/cli/cli_test.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(cli_test PROPERTIES LABELS fast
  ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPU_SHARED_DIR=${CMAKE_SOURCE_DIR}/../shared;NPUSIM=$<TARGET_FILE:npusim>")

# Careless and hostile input (issue 16): crashes, outputs that are not ours, input limits.
add_test(NAME cli_hostile COMMAND sh ${CMAKE_SOURCE_DIR}/tests/cli/hostile_test.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(cli_hostile PROPERTIES LABELS fast
  ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPUSIM=$<TARGET_FILE:npusim>;NPU_SANITIZED=$<BOOL:${NPU_SANITIZE}>")

# The report views beyond the per-layer report: --summary, diff, -q/-v (by "report").
add_test(NAME cli_report COMMAND sh ${CMAKE_SOURCE_DIR}/tests/cli/report_test.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(cli_report PROPERTIES LABELS fast
  ENVIRONMENT "NPUSIM=$<TARGET_FILE:npusim>")
