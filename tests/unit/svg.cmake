# SVG charts (sim/report/svg.c): every kind on hand-made results; SVG_TEST_OUT=dir saves them.
npu_test(svg_test ${CMAKE_SOURCE_DIR}/tests/unit/svg_test.c LIBS npu_report)
