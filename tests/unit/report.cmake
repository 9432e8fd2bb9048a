# sim/report and traces/: result/compare/graph reports and the trace writer (by "report").
npu_test(report_test ${CMAKE_SOURCE_DIR}/tests/unit/report_test.c LIBS npu_report ZLIB::ZLIB)
