-- SCALE-Sim goldens (research/peers.md §2.4): stall-free compute cycles, reproduced exactly by
-- the systolic model with fidelity=scalesim.
local function ss(flow)
  return { fidelity = "scalesim", dataflow = flow, rows = 32, cols = 32 }
end
local gemm = "scripts/validation/gemm_m256_n128_k256.csv"
local v3 = "SCALE-Sim v3 golden_trace_user_%s: Total − Stall cycles"
return {
  { id = "scalesim.v2_alexnet_conv1_ws", family = "SCALE-Sim v2 golden",
    arch = "systolic", set = ss("ws"), graph = "../shared/data/scalesim/alexnet.csv",
    layer = "Conv1", published = 112283, tol = 0,
    source = "SCALE-Sim v2 golden COMPUTE_REPORT (test/golden_trace), 32x32 WS" },
  { id = "scalesim.v3_gemm_os", family = "SCALE-Sim v3 golden",
    arch = "systolic", set = ss("os"), graph = gemm, layer = "Gemm1", published = 10175, tol = 0,
    source = v3:format("os") },
  { id = "scalesim.v3_gemm_ws", family = "SCALE-Sim v3 golden",
    arch = "systolic", set = ss("ws"), graph = gemm, layer = "Gemm1", published = 11199, tol = 0,
    source = v3:format("ws") },
  { id = "scalesim.v3_gemm_is", family = "SCALE-Sim v3 golden",
    arch = "systolic", set = ss("is"), graph = gemm, layer = "Gemm1", published = 14207, tol = 0,
    source = v3:format("is") },
}
