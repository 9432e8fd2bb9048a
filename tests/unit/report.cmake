# sim/report and traces/: result/compare/graph reports and the trace writer (by "report").
npu_test(report_test ${CMAKE_SOURCE_DIR}/tests/unit/report_test.c LIBS npu_report ZLIB::ZLIB)
# The output primitives (escaping, numbers, appended in blocks) and the JSON reader of `diff`.
npu_test(rep_io_test ${CMAKE_SOURCE_DIR}/tests/unit/rep_io_test.c LIBS npu_report)
