# SVG charts (sim/report/svg.c): every kind on hand-made results; SVG_TEST_OUT=dir saves them.
npu_test(svg_test ${CMAKE_SOURCE_DIR}/tests/unit/svg_test.c LIBS npu_report)

# `npusim run --plot [layers:|roofline:]FILE.svg`: writes the chart, refuses to replace a file
# without --force (before simulating), rejects kinds that need sweep data.
set(_d ${CMAKE_BINARY_DIR}/svg_cli)
add_test(NAME svg_cli
  COMMAND sh -c "set -e; rm -rf \"$1\"; mkdir -p \"$1\"; cd \"$1\"
    \"$0\" run -a systolic lenet5 --plot a.svg --plot roofline:b.svg > /dev/null
    grep -q 'Per-layer time: lenet5 on systolic' a.svg; grep -q 'µs (share_cycles at 1000 MHz)' a.svg; tail -c 7 a.svg | grep -q '</svg>'
    grep -q 'ridge 100 MAC/B' b.svg
    if \"$0\" run -a systolic lenet5 --plot a.svg > out.txt 2> err.txt; then exit 1; fi
    grep -q 'a.svg: file exists' err.txt; test ! -s out.txt
    \"$0\" run -a systolic lenet5 --plot layers:a.svg --force > /dev/null
    if \"$0\" run -a systolic lenet5 --plot heatmap:h.svg 2> err.txt > /dev/null; then exit 1; fi
    grep -q 'needs sweep data' err.txt; test ! -e h.svg
    if \"$0\" run -a systolic lenet5 --plot roofline: 2> err.txt > /dev/null; then exit 1; fi
    grep -q 'missing file name' err.txt"
  $<TARGET_FILE:npusim> ${_d}
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(svg_cli PROPERTIES LABELS fast)

# `npusim run --plot energy:FILE.svg`: a well-formed SVG (parsed by python3's xml.etree) with
# one labelled bar group per layer of the run's CSV whose segments sum to the layer's energy_uj;
# `pareto:` needs sweep rows.
set(_d ${CMAKE_BINARY_DIR}/svg_energy_cli)
add_test(NAME svg_energy_cli
  COMMAND sh -c "set -e; rm -rf \"$1\"; mkdir -p \"$1\"; cd \"$1\"
    \"$0\" run -a systolic lenet5 --plot energy:e.svg -f csv -o run.csv
    python3 \"$2\" e.svg run.csv
    if \"$0\" run -a systolic lenet5 --plot pareto:p.svg 2> err.txt > /dev/null; then exit 1; fi
    grep -q 'needs sweep data' err.txt; test ! -e p.svg"
  $<TARGET_FILE:npusim> ${_d} ${CMAKE_SOURCE_DIR}/tests/unit/svg_energy_check.py
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(svg_energy_cli PROPERTIES LABELS fast)
