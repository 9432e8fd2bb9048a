-- SCALE-Sim v2's example configuration (configs/scale.cfg; copy in shared/data/scalesim/scale.cfg)
-- as a systolic preset. With fidelity=scalesim the cycles equal SCALE-Sim's stall-free
-- "Total Cycles" for every layer (research/peers.md §2.4).
return {
    model = "systolic",
    name = "scalesim_default",
    doc = "SCALE-Sim v2 scale.cfg: 32x32 output-stationary array, 3 x 64 KiB double-buffered SRAMs",
    rows = 32,
    cols = 32,
    dataflow = "os",
    ifmap_kb = 64,
    filter_kb = 64,
    ofmap_kb = 64,
    dma_bytes = 10,
    sources = {
        rows = "SCALE-Sim v2 configs/scale.cfg ArrayHeight",
        cols = "SCALE-Sim v2 configs/scale.cfg ArrayWidth",
        dataflow = "SCALE-Sim v2 configs/scale.cfg Dataflow",
        ifmap_kb = "SCALE-Sim v2 configs/scale.cfg IfmapSramSzkB",
        filter_kb = "SCALE-Sim v2 configs/scale.cfg FilterSramSzkB",
        ofmap_kb = "SCALE-Sim v2 configs/scale.cfg OfmapSramSzkB",
        dma_bytes = "SCALE-Sim v2 configs/scale.cfg Bandwidth (10 words/cycle; CALC-mode backing BW)",
    },
}
