# Sweeps as files, shards, resume and merge (issue 19; docs/sweeps.md). shard_test runs GNU
# parallel (skipped, exit 77, where it is not installed); slurm_test starts a one-node Slurm
# with munge in a temporary directory (skipped where the daemons cannot start).
add_test(NAME sweep_shard COMMAND sh ${CMAKE_SOURCE_DIR}/tests/sweep/shard_test.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(sweep_shard PROPERTIES LABELS fast SKIP_RETURN_CODE 77
  ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPUSIM=$<TARGET_FILE:npusim>")

add_test(NAME sweep_slurm COMMAND sh ${CMAKE_SOURCE_DIR}/tests/sweep/slurm_test.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(sweep_slurm PROPERTIES LABELS fast SKIP_RETURN_CODE 77 TIMEOUT 300
  ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPUSIM=$<TARGET_FILE:npusim>")
