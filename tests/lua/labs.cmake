# Course labs (scripts/labs/labN.lua, handouts in docs/labs/): each lab runs end to end on a
# small network into a fresh directory of the build tree, then tests/lua/lab_check.lua checks
# every file it must write (columns, row counts, the invariants the handout relies on, SVG
# titles). The labs need the nvdla model (nv_small, nv_large presets); rk3588 designs are
# skipped with a note when the rknpu model is not built in or fails on the network.
foreach(n 1 2 3 4 5 6)
  set(dir ${CMAKE_BINARY_DIR}/labs/lab${n})
  add_test(NAME lab${n}
    COMMAND sh -c "rm -rf \"$2\" && mkdir -p \"$2\" && \"$1\" script --sandbox --allow-path \"$2\" scripts/labs/lab$0.lua resnet18 \"$2\" && \"$1\" script tests/lua/lab_check.lua $0 \"$2\""
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

# A lab's check fails when its premise does (issue 15): each test changes one parameter
# (PRESET.KEY=VALUE after the output directory), runs the lab and expects lab_check.lua to fail
# with the message named. rk3588.cores=7 is out of range, so every rk3588 design is skipped;
# nv_small.mac_atomic_k=64 gives nv_small 512 MACs, memory-bound at 0.5 GB/s (lab 5 Q2).
foreach(flip "2|rk3588.cores=7|no rows for design 'rk3588 1 core'"
             "4|rk3588.cores=7|no rows for design 'rk3588'"
             "5|rk3588.cores=7|no rows for design 'rk3588 3 cores'"
             "5|nv_small.mac_atomic_k=64|Q2: nv_small is memory-bound below")
  string(REPLACE "|" ";" f "${flip}")
  list(GET f 0 n)
  list(GET f 1 set)
  list(GET f 2 msg)
  string(REGEX REPLACE "[^a-z0-9]+" "_" tag "${set}")
  set(dir ${CMAKE_BINARY_DIR}/labs/flip${n}_${tag})
  add_test(NAME lab${n}_premise_${tag}
    COMMAND sh -c "rm -rf \"$2\" && mkdir -p \"$2\" && \"$1\" script --sandbox --allow-path \"$2\" scripts/labs/lab$0.lua resnet18 \"$2\" \"$3\" 2>/dev/null >/dev/null && ! \"$1\" script tests/lua/lab_check.lua $0 \"$2\" >\"$2/check.txt\" 2>&1 && grep -F \"$4\" \"$2/check.txt\""
            ${n} $<TARGET_FILE:npusim> ${dir} ${set} ${msg}
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(lab${n}_premise_${tag} PROPERTIES LABELS fast)
endforeach()
