# Course labs (scripts/labs/labN.lua, handouts in docs/labs/): each lab runs end to end on a
# small network into a fresh directory of the build tree, then tests/lua/lab_check.lua checks
# every file it must write (columns, row counts, the invariants the handout relies on, SVG
# titles). The labs need the nvdla model (nv_small, nv_large presets); rk3588 designs are
# skipped with a note when the rknpu model is not built in or fails on the network.
foreach(n 1 2 3 4 5)
  set(dir ${CMAKE_BINARY_DIR}/labs/lab${n})
  add_test(NAME lab${n}
    COMMAND sh -c "rm -rf \"$2\" && mkdir -p \"$2\" && \"$1\" script scripts/labs/lab$0.lua resnet18 \"$2\" && \"$1\" script tests/lua/lab_check.lua $0 \"$2\""
            ${n} $<TARGET_FILE:npusim> ${dir}
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(lab${n} PROPERTIES LABELS fast
    ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPU_SHARED_DIR=${CMAKE_SOURCE_DIR}/../shared;NPUSIM=$<TARGET_FILE:npusim>")
endforeach()

# npusim.plot from Lua: every kind, no silent overwrite, errors.
add_test(NAME lua_plot
  COMMAND sh -c "mkdir -p \"$1\" && \"$0\" script tests/lua/lab_plot_test.lua \"$1\""
          $<TARGET_FILE:npusim> ${CMAKE_BINARY_DIR}/labs/plot
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(lua_plot PROPERTIES LABELS fast)
