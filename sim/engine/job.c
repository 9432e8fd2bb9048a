/* job.c — building a job and checking it before it is queued (prefix npu_job_; the check is
 * the kernel's npu_eng_check_job). A model fills an npu_job with npu_job_wait/_signal/_xfer
 * rather than by hand: a zero count or zero bytes adds nothing, and a job that runs out of
 * room is marked and refused at submit with a message naming its unit and layer, so a bug in
 * a model's program never silently loses a dependency. */
#include <stdint.h>
#include <stdio.h>

#include "state.h"

static const char *job_label(const npu_job *j) { return j->label ? j->label : "(job)"; }

/* ---- building a job ------------------------------------------------------------------------ */
static int job_full(npu_job *j, const char *what, npu_err *err)
{
    j->overflow = true;
    return npu_err_set(err, NPU_ESIM, "engine: job '%s' (layer %d): no room for another %s",
                       j->label ? j->label : "?", j->layer, what);
}

int npu_job_wait(npu_job *j, int sy, int64_t n, npu_err *err)
{
    if (n <= 0)
        return 0;
    if (j->nwait >= NPU_JOB_MAX_SYNC)
        return job_full(j, "wait", err);
    j->wait[j->nwait++] = (npu_syncop){sy, n};
    return 0;
}

int npu_job_signal(npu_job *j, int sy, int64_t n, npu_err *err)
{
    if (n <= 0)
        return 0;
    if (j->nsig >= NPU_JOB_MAX_SYNC)
        return job_full(j, "signal", err);
    j->sig[j->nsig++] = (npu_syncop){sy, n};
    return 0;
}

int npu_job_xfer(npu_job *j, int p, bool write, int64_t bytes, uint32_t run, npu_err *err)
{
    if (bytes <= 0)
        return 0;
    if (j->nxfer >= NPU_JOB_MAX_XFER)
        return job_full(j, "transfer", err);
    j->xfer[j->nxfer++] = (npu_xfer){.port = p, .write = write, .bytes = (uint64_t)bytes,
                                      .run = run};
    return 0;
}

static inline bool syncop_bad(const npu_engine *e, const npu_syncop *op)
{
    return (op->sync < 0) | (op->sync >= e->ns) | (op->n < 0) | (op->n > ((int64_t)1 << 53));
}

int npu_eng_check_job(const npu_engine *e, const npu_job *j, npu_err *err)
{
    if (!j)
        return npu_err_set(err, NPU_EINVAL, "engine: NULL job");
    const char *lb = job_label(j);
    if (j->unit < 0 || j->unit >= e->nu)
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s': no unit with id %d (%d units)", lb,
                           j->unit, e->nu);
    const char *un = e->u[j->unit].name;
    if (j->overflow)
        return npu_err_set(err, NPU_ESIM,
                           "engine: job '%s' on '%s' (layer %d): more than %d waits/signals or %d "
                           "transfers were added (a bug in the model)",
                           lb, un, j->layer, NPU_JOB_MAX_SYNC, NPU_JOB_MAX_XFER);
    if (j->layer < -1 || j->layer >= e->nl)
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': layer %d out of range [-1, %d)",
                           lb, un, j->layer, e->nl);
    if (j->mode != NPU_JOB_SEQ && j->mode != NPU_JOB_STREAM)
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': bad mode %d", lb, un, (int)j->mode);
    if (!(j->cycles >= 0 && j->cycles < 1e15))
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': cycles %g out of range [0, 1e15)",
                           lb, un, j->cycles);
    if (j->extra_ps > (npu_time)1e18)
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': extra_ps too large", lb, un);
    if (j->nwait < 0 || j->nwait > NPU_JOB_MAX_SYNC || j->nsig < 0 || j->nsig > NPU_JOB_MAX_SYNC)
        return npu_err_set(err, NPU_EINVAL,
                           "engine: job '%s' on '%s': %d waits / %d signals (at most %d each)", lb,
                           un, j->nwait, j->nsig, NPU_JOB_MAX_SYNC);
    if (j->nxfer < 0 || j->nxfer > NPU_JOB_MAX_XFER)
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': %d transfers (at most %d)", lb,
                           un, j->nxfer, NPU_JOB_MAX_XFER);
    /* waits and signals in two plain loops with one flag, the messages only when it is set
     * (a select between the two arrays inside one loop mispredicted on many jobs) */
    bool bad = false;
    for (int i = 0; i < j->nwait; i++)
        bad |= syncop_bad(e, &j->wait[i]);
    for (int i = 0; i < j->nsig; i++)
        bad |= syncop_bad(e, &j->sig[i]);
    for (int i = 0; bad && i < j->nwait + j->nsig; i++) {
        const npu_syncop *op = i < j->nwait ? &j->wait[i] : &j->sig[i - j->nwait];
        if (op->sync < 0 || op->sync >= e->ns)
            return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': no sync with id %d", lb,
                               un, op->sync);
        if (op->n < 0 || op->n > ((int64_t)1 << 53))
            return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': sync count %lld out of range",
                               lb, un, (long long)op->n);
    }
    for (int i = 0; i < j->nxfer; i++) {
        const npu_xfer *x = &j->xfer[i];
        if (x->port < 0 || x->port >= e->np || e->p[x->port].invalid)
            return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': no memory port with id %d%s",
                               lb, un, x->port,
                               x->port == NPU_PORT_SRAM ? " (sram.kb is 0: no SRAM port)" : "");
        if (x->bytes > ((uint64_t)1 << 50))
            return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': transfer of %llu bytes is absurd",
                               lb, un, (unsigned long long)x->bytes);
    }
    if (j->onchip_bytes < 0 || j->irq < 0)
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': negative onchip bytes or irq",
                           lb, un);
    return 0;
}

/* ---- the deadlock message (engine.c's run ends with jobs blocked) ------------------------- */

static const char *sync_name(const npu_engine *e, int s, char *buf, size_t n)
{
    if (e->s[s].name)
        return e->s[s].name;
    snprintf(buf, n, "#%d", s);
    return buf;
}

int npu_eng_deadlock(npu_engine *e, npu_err *err)
{
    npu_strbuf sb;
    npu_sb_init(&sb);
    npu_sb_printf(&sb, "engine: deadlock at %.3f us:", (double)e->now * 1e-6);
    int shown = 0;
    for (int u = 0; u < e->nu; u++) {
        const unit *U = &e->u[u];
        if (U->head < 0)
            continue;
        const jrec *J = &e->jobs[U->head];
        int s = -1;
        int64_t need = 0;
        for (int i = 0; i < J->nwait; i++)
            if (e->s[npu_eng_wait(e->cell, J, i)->sync].v < npu_eng_wait(e->cell, J, i)->n) {
                s = npu_eng_wait(e->cell, J, i)->sync;
                need = npu_eng_wait(e->cell, J, i)->n;
                break;
            }
        if (shown < 6) {
            char b[32];
            if (s >= 0)
                npu_sb_printf(&sb, "%s unit '%s' job '%s' (layer %d) waits on sync '%s' (has %lld, needs %lld)",
                              shown ? ";" : "", U->name, (J->label ? J->label : "(job)"), J->layer,
                              sync_name(e, s, b, sizeof b), (long long)e->s[s].v, (long long)need);
            else
                npu_sb_printf(&sb, "%s unit '%s' job '%s' (layer %d) cannot start",
                              shown ? ";" : "", U->name, (J->label ? J->label : "(job)"), J->layer);
        }
        shown++;
    }
    if (shown > 6)
        npu_sb_printf(&sb, "; and %d more blocked units", shown - 6);
    int rc = npu_err_set(err, NPU_ESIM, "%s", sb.oom ? "engine: deadlock" : sb.s);
    npu_sb_free(&sb);
    return rc;
}
