# The shape of the tree (issue 12): no include cycle between folders, no file over 1,200 lines
# (tests/layout/layout_test.py; the layering is in docs/architecture.md).
add_test(NAME layout COMMAND python3 ${CMAKE_SOURCE_DIR}/tests/layout/layout_test.py
         ${CMAKE_SOURCE_DIR})
set_tests_properties(layout PROPERTIES LABELS fast)
