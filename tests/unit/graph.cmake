# Graph IR, passes and the .npg format (owner: graph).
npu_test(graph_test ${CMAKE_SOURCE_DIR}/tests/unit/graph_test.c LIBS npu_front)
npu_test(npg_test ${CMAKE_SOURCE_DIR}/tests/unit/npg_test.c LIBS npu_api)
npu_test(passes_test ${CMAKE_SOURCE_DIR}/tests/unit/passes_test.c LIBS npu_front)
