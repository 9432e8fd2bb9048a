/* wlcard.c — a plain run on a card preset: the graph's frames spread over the card's chips
 * (npu_run_card; docs/workloads.md "Multi-chip cards"). The run itself is npu_run_workloads:
 * one workload per chip ("chip0", "chip1", ...), bound with chip=K.
 *
 *   card.spread=stream  every chip runs its own stream of card.frames frames of the graph as
 *                       loaded (an application with one thread and one model per device, the
 *                       usual way an Atlas card is driven: aclrtSetDevice per thread);
 *   card.spread=batch   the graph's batch B is split over the chips (chip c loads B/chips, the
 *                       first B mod chips one more), each running card.frames frames of its part;
 *   card.spread=one     no spread: the plain run of one chip (npu_run), as before cards spread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npusim_int.h"

#include "core/wlres.h"

int npu_arch_chips(const npu_arch *a)
{
    const npu_params *p = a ? npu_arch_params(a) : NULL;
    return p && npu_params_find(p, "chips") >= 0 ? (int)npu_params_int(p, "chips") : 1;
}

bool npu_arch_card_spread(const npu_arch *a)
{
    return npu_arch_chips(a) > 1 && strcmp(npu_params_str(npu_arch_params(a), "card.spread"),
                                           "one") != 0;
}

int npu_card_one_result(const npu_arch *a, npu_err *err)
{
    if (!npu_arch_card_spread(a))
        return 0;
    return npu_err_set(err, NPU_EINVAL,
                       "one result per run means one chip of a card: %s spreads its frames over "
                       "its %d chips (card.spread=%s); run one chip with card.spread=one or the "
                       "chip's own preset, or the card with `npusim run`, Lua npusim.run_card, C "
                       "npu_run_card",
                       npu_arch_name(a), npu_arch_chips(a),
                       npu_params_str(npu_arch_params(a), "card.spread"));
}

npu_wl_run *npu_run_card(npu_ctx *ctx, const npu_arch *a, const npu_graph *g,
                         const npu_run_opts *opts, npu_err *err)
{
    npu_err local = {0};
    if (!err)
        err = &local;
    npu_err_clear(err);
    if (!a || !g || !npu_arch_card_spread(a)) {
        npu_err_set(err, NPU_EINVAL, "npu_run_card: %s is not a card that spreads its frames "
                                     "(chips > 1, card.spread stream or batch)",
                    a ? npu_arch_name(a) : "(no architecture)");
        return NULL;
    }
    int chips = npu_arch_chips(a), frames = (int)npu_params_int(npu_arch_params(a), "card.frames");
    bool batch = strcmp(npu_params_str(npu_arch_params(a), "card.spread"), "batch") == 0;
    npu_graph_work gw;
    npu_graph_work_of(g, &gw);
    int n = batch && gw.batch < chips ? (int)gw.batch : chips; /* a chip with no image idles */
    npu_workload w[64];
    npu_graph *part[64] = {0};
    char names[64][16], sets[64][16];
    const char *setp[64];
    int rc = 0;
    for (int c = 0; c < n && !rc; c++) {
        snprintf(names[c], sizeof names[c], "chip%d", c);
        snprintf(sets[c], sizeof sets[c], "chip=%d", c);
        setp[c] = sets[c];
        w[c] = (npu_workload){.name = names[c], .graph = g, .sets = &setp[c], .nsets = 1,
                              .count = frames};
        if (!batch)
            continue;
        int64_t b = gw.batch / chips + (c < gw.batch % chips);
        if (!(part[c] = npu_graph_clone(g)))
            rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
        else if (npu_graph_set_batch(part[c], b, err))
            rc = err->code;
        w[c].graph = part[c];
    }
    npu_wl_run *r = rc ? NULL : npu_run_workloads(ctx, a, w, n, opts, err);
    for (int c = 0; c < n; c++)
        npu_graph_free(part[c]);
    if (r) {
        r->spread = batch ? "batch" : "stream";
        r->unit = npu_arena_strdup(&r->arena, gw.unit ? gw.unit : "item");
        /* streams: the chips' rates add up; a batch is done when its slowest part is */
        for (int c = 0; !batch && c < n; c++)
            r->card_items_s += r->w[c].throughput_fps * (double)gw.items;
        if (batch && r->time_us > 0)
            r->card_items_s = (double)gw.items * frames / (r->time_us * 1e-6);
        if (!r->unit) {
            npu_wl_run_free(r);
            r = NULL;
            npu_err_set(err, NPU_ENOMEM, "out of memory");
        }
    }
    if (!r && ctx) {
        npu_err *ce = npu_ctx_err(ctx);
        if (ce != err)
            *ce = *err;
    }
    return r;
}
