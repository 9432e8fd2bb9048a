# The zoo: every network builds and matches its published MACs/parameters (scripts/zoo/*.lua).
# The test is a Lua script run by the CLI; it needs the `script` command and the embedded zoo.
add_test(NAME zoo_test COMMAND npusim script tests/lua/zoo_test.lua
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(zoo_test PROPERTIES LABELS fast
  ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPU_SHARED_DIR=${CMAKE_SOURCE_DIR}/../shared;NPUSIM=$<TARGET_FILE:npusim>")
