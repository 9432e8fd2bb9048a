# SCALE-Sim drop-in (issue 21): scale.cfg as -a, DP rows, SCALE-Sim report files compared with
# the ones SCALE-Sim v2 wrote (tests/golden/scalesim/reports/*, copied from shared/data).
add_test(NAME scalesim_compat COMMAND sh ${CMAKE_SOURCE_DIR}/tests/scalesim/scalesim_test.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(scalesim_compat PROPERTIES LABELS fast
  ENVIRONMENT "NPUSIM=$<TARGET_FILE:npusim>")
