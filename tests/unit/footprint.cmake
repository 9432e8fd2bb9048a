# The deployment footprint (sim/core/footprint.c, issue 22): arena reuse and its invariant over
# the zoo on every model family, the stored layouts, fits-or-not.
npu_test(footprint_test ${CMAKE_SOURCE_DIR}/tests/unit/footprint_test.c LIBS npu_api)
# Fits-or-not from Lua: a run and a sweep filtered on `fits` (tests/lua/deploy_test.lua).
add_test(NAME deploy_lua COMMAND npusim script tests/lua/deploy_test.lua
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(deploy_lua PROPERTIES LABELS fast
  ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPU_SHARED_DIR=${CMAKE_SOURCE_DIR}/../shared")
