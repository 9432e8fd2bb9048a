/* ctx.c — context, errors, string buffers, arenas, files. */
#include "ctx.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------------------------- */
int npu_err_setv(npu_err *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

int npu_err_set(npu_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    npu_err_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void npu_err_prefix(npu_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char pre[NPU_ERR_MSG], old[NPU_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t pl = strlen(pre);
    if (pl > sizeof err->msg - 3)
        pl = sizeof err->msg - 3;
    memcpy(err->msg, pre, pl);
    memcpy(err->msg + pl, ": ", 2);
    size_t room = sizeof err->msg - pl - 3, ol = strlen(old);
    if (ol > room)
        ol = room;
    memcpy(err->msg + pl + 2, old, ol);
    err->msg[pl + 2 + ol] = 0;
}

void npu_err_clear(npu_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = 0;
    }
}

const char *npu_status_name(int code)
{
    static const char *const names[] = {"ok",        "invalid argument", "out of memory",
                                        "i/o error", "bad format",       "unsupported",
                                        "simulation failed", "file exists", "interrupted"};
    if (code < 0 || code >= (int)(sizeof names / sizeof names[0]))
        return "unknown error";
    return names[code];
}

/* ---- memory ------------------------------------------------------------------------------- */
void *npu_malloc(size_t n) { return malloc(n ? n : 1); }

void *npu_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *npu_realloc(void *p, size_t n) { return realloc(p, n ? n : 1); }

int npu_grow(void **pv, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return NPU_OK;
    size_t nc = *cap ? *cap : 8;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elem)
            return NPU_ENOMEM;
        nc *= 2;
    }
    void *p = realloc(*pv, nc * elem);
    if (!p)
        return NPU_ENOMEM;
    memset((char *)p + *cap * elem, 0, (nc - *cap) * elem);
    *pv = p;
    *cap = nc;
    return NPU_OK;
}

void npu_keep_freed_memory(void)
{
#if defined(__GLIBC__)
    /* blocks up to 32 MiB come from the heap and are reused; up to 128 MiB of free heap top is
     * kept (fixed values also turn glibc's adaptive thresholds off) */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
}

char *npu_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *npu_strdup(const char *s) { return s ? npu_strndup(s, strlen(s)) : NULL; }

/* ---- strbuf ------------------------------------------------------------------------------- */
void npu_sb_init(npu_strbuf *sb)
{
    sb->s = NULL;
    sb->len = sb->cap = 0;
    sb->oom = 0;
}

void npu_sb_free(npu_strbuf *sb)
{
    free(sb->s);
    npu_sb_init(sb);
}

static int sb_reserve(npu_strbuf *sb, size_t extra)
{
    if (sb->oom)
        return -1;
    if (sb->len + extra + 1 <= sb->cap)
        return 0;
    size_t nc = sb->cap ? sb->cap : 256;
    while (nc < sb->len + extra + 1)
        nc *= 2;
    char *p = realloc(sb->s, nc);
    if (!p) {
        sb->oom = 1;
        return -1;
    }
    sb->s = p;
    sb->cap = nc;
    return 0;
}

void npu_sb_putn(npu_strbuf *sb, const char *s, size_t n)
{
    if (sb_reserve(sb, n))
        return;
    memcpy(sb->s + sb->len, s, n);
    sb->len += n;
    sb->s[sb->len] = 0;
}

void npu_sb_puts(npu_strbuf *sb, const char *s) { npu_sb_putn(sb, s, strlen(s)); }
void npu_sb_putc(npu_strbuf *sb, char c) { npu_sb_putn(sb, &c, 1); }

void npu_sb_printf(npu_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || sb_reserve(sb, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

char *npu_sb_take(npu_strbuf *sb)
{
    if (sb->oom) {
        npu_sb_free(sb);
        return NULL;
    }
    char *s = sb->s ? sb->s : npu_strdup("");
    npu_sb_init(sb);
    return s;
}

/* ---- arena -------------------------------------------------------------------------------- */
struct npu_arena_blk {
    npu_arena_blk *next;
    size_t used, cap;
    _Alignas(16) unsigned char mem[];
};

void npu_arena_init(npu_arena *a) { a->head = NULL; }

void *npu_arena_alloc(npu_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!n)
        n = 16;
    npu_arena_blk *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 8192 ? n : 8192;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->mem + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *npu_arena_strdup(npu_arena *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = npu_arena_alloc(a, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void npu_arena_free(npu_arena *a)
{
    npu_arena_blk *b = a->head;
    while (b) {
        npu_arena_blk *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
}

/* ---- strings ------------------------------------------------------------------------------ */
int npu_streq_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

int npu_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cur = row[j];
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int best = prev + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

const char *npu_did_you_mean(const char *word, const char *const *cands)
{
    const char *best = NULL;
    int bd = 3;
    size_t wl = strlen(word);
    for (; cands && *cands; cands++) {
        int prefix = wl >= 3 && strncmp(*cands, word, wl) == 0;
        size_t cl = strlen(*cands), diff = cl > wl ? cl - wl : wl - cl;
        if (!prefix && diff >= (size_t)bd)
            continue; /* the distance is at least the difference in length: cannot win */
        int d = npu_edit_distance(word, *cands);
        if (prefix && d > 1)
            d = 2; /* a prefix counts as close */
        if (d < bd) {
            bd = d;
            best = *cands;
        }
    }
    return best;
}

/* ---- files -------------------------------------------------------------------------------- */
/* Back to blocking reads/writes on fd, once O_NONBLOCK has kept open() from waiting on a FIFO. */
static void set_blocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl != -1)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

static int read_limit(npu_err *err, const char *path, size_t max)
{
    if (max < ((size_t)1 << 20)) /* a small format (an AIPP config): its limit in KiB */
        return npu_err_set(err, NPU_EINVAL, "%s: larger than %zu KiB, the most npusim reads "
                           "for this file", path, max >> 10);
    return npu_err_set(err, NPU_EINVAL, "%s: larger than %zu MiB, the most npusim reads", path,
                       max >> 20);
}

int npu_read_file_max(const char *path, size_t max, char **data, size_t *len, npu_err *err)
{
    if (!max)
        max = NPU_READ_MAX;
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = stdin;
    size_t cap = 65536;
    if (!is_stdin) {
        /* O_NONBLOCK: opening a FIFO would otherwise wait for a writer; fstat then refuses
         * anything but a regular file before the first read (/dev/zero never ends) */
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
            return npu_err_set(err, NPU_EIO, "%s: cannot open: %s", path, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            return npu_err_set(err, NPU_EIO, "%s: not a regular file", path);
        }
        set_blocking(fd);
        if (!(f = fdopen(fd, "rb"))) {
            close(fd);
            return npu_err_set(err, NPU_EIO, "%s: cannot open: %s", path, strerror(errno));
        }
        if ((uint64_t)st.st_size > max) {
            fclose(f);
            return read_limit(err, path, max);
        }
        if ((size_t)st.st_size + 1 > cap)
            cap = (size_t)st.st_size + 1;
    }
    size_t n = 0;
    char *buf = malloc(cap);
    int toobig = 0;
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (n > max) {
            toobig = 1;
            break;
        }
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f), saved = errno;
    if (!is_stdin)
        fclose(f);
    if (!buf)
        return npu_err_set(err, NPU_ENOMEM, "%s: out of memory reading file", path);
    if (bad || toobig) {
        free(buf);
        if (toobig)
            return read_limit(err, is_stdin ? "<stdin>" : path, max);
        return npu_err_set(err, NPU_EIO, "%s: read error: %s", is_stdin ? "<stdin>" : path,
                           strerror(saved));
    }
    buf[n] = 0;
    *data = buf;
    if (len)
        *len = n;
    return NPU_OK;
}

int npu_read_file(const char *path, char **data, size_t *len, npu_err *err)
{
    return npu_read_file_max(path, 0, data, len, err);
}

static int out_fail(npu_out *o, npu_err *err, int code, const char *fmt, const char *what)
{
    if (o->f && o->f != stdout)
        fclose(o->f);
    if (o->tmp)
        remove(o->tmp);
    int rc = npu_err_set(err, code, fmt, o->path ? o->path : "<stdout>", what);
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof *o);
    return rc;
}

int npu_out_open(npu_out *o, const char *path, int force, npu_err *err)
{
    memset(o, 0, sizeof *o);
    o->force = force;
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return NPU_OK;
    }
    if (!(o->path = npu_strdup(path)))
        return out_fail(o, err, NPU_ENOMEM, "%s: %s", "out of memory");
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return out_fail(o, err, NPU_EIO, "%s: %s", "is a directory");
        if (!force)
            return out_fail(o, err, NPU_EEXIST, "%s: %s", "file exists (use --force to overwrite)");
        if (!S_ISREG(st.st_mode)) {
            /* a FIFO, a terminal, /dev/null: written in place, never replaced by a regular
             * file. O_NONBLOCK so that a FIFO nobody reads is an error, not a hang. */
            int fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK);
            if (fd < 0)
                return out_fail(o, err, NPU_EIO,
                                "%s: cannot write (not a regular file): %s",
                                errno == ENXIO ? "nobody reads it" : strerror(errno));
            set_blocking(fd);
            if (!(o->f = fdopen(fd, "wb"))) {
                close(fd);
                return out_fail(o, err, NPU_EIO, "%s: cannot write: %s", strerror(errno));
            }
            return NPU_OK;
        }
    }
    /* a fresh temporary in the target's directory (rename stays on one file system): a random
     * name created with O_EXCL, which also refuses a symlink planted at that name */
    size_t pl = strlen(path);
    if (!(o->tmp = malloc(pl + 24)))
        return out_fail(o, err, NPU_ENOMEM, "%s: %s", "out of memory");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_sec ^
                 ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)o;
    int fd = -1;
    for (int i = 0; i < 100 && fd < 0; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        snprintf(o->tmp, pl + 24, "%s.tmp%06llx", path, (unsigned long long)(x & 0xFFFFFF));
        fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        free(o->tmp);
        o->tmp = NULL;
        return out_fail(o, err, NPU_EIO, "%s: cannot write: %s", strerror(errno));
    }
    if (!(o->f = fdopen(fd, "wb"))) {
        close(fd);
        return out_fail(o, err, NPU_EIO, "%s: cannot write: %s", strerror(errno));
    }
    return NPU_OK;
}

void npu_out_write(npu_out *o, const void *data, size_t len)
{
    if (!o->f || o->failed || !len)
        return;
    if (fwrite(data, 1, len, o->f) != len) {
        o->failed = 1;
        o->err_no = errno;
    }
}

int npu_out_close(npu_out *o, int commit, npu_err *err)
{
    if (!o->f)
        return npu_err_set(err, NPU_EINVAL, "output not open");
    int bad = o->failed || ferror(o->f), saved = o->failed ? o->err_no : EIO;
    if (fflush(o->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (o->f == stdout) {
        o->f = NULL;
        if (bad)
            return out_fail(o, err, NPU_EIO, "%s: write error: %s", strerror(saved));
        return NPU_OK;
    }
    FILE *f = o->f;
    o->f = NULL;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (bad)
        return out_fail(o, err, NPU_EIO, "%s: cannot write: %s", strerror(saved));
    if (!commit && o->tmp)
        remove(o->tmp);
    if (commit && o->tmp) {
        struct stat st;
        if (o->force) {
            if (rename(o->tmp, o->path) != 0)
                return out_fail(o, err, NPU_EIO, "%s: cannot write: %s", strerror(errno));
        } else if (link(o->tmp, o->path) == 0) {
            /* link() fails if the target appeared meanwhile: never replace without force */
            remove(o->tmp);
        } else if (errno == EEXIST || stat(o->path, &st) == 0) {
            return out_fail(o, err, NPU_EEXIST, "%s: %s", "file exists (use --force to overwrite)");
        } else if (rename(o->tmp, o->path) != 0) { /* file systems without hard links */
            return out_fail(o, err, NPU_EIO, "%s: cannot write: %s", strerror(errno));
        }
    }
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof *o);
    return NPU_OK;
}

int npu_write_file(const char *path, const void *data, size_t len, int force, npu_err *err)
{
    return npu_write_file_sized(path, data, len, (int64_t)len, force, err);
}

int npu_write_file_sized(const char *path, const void *data, size_t len, int64_t size, int force,
                         npu_err *err)
{
    npu_out o;
    int rc = npu_out_open(&o, path, force, err);
    if (rc)
        return rc;
    if (size > (int64_t)len && !o.tmp) { /* stdout, a FIFO, a device: no hole to leave */
        npu_out_close(&o, 0, err);
        return npu_err_set(err, NPU_EINVAL, "%s: cannot write a sparse file there",
                           strcmp(path, "-") == 0 ? "<stdout>" : path);
    }
    if (len)
        npu_out_write(&o, data, len);
    /* the rest up to `size` is a hole: reads as zeros, takes no disk blocks */
    if (size > (int64_t)len && !o.failed &&
        (fflush(o.f) != 0 || ftruncate(fileno(o.f), (off_t)size) != 0)) {
        o.failed = 1;
        o.err_no = errno;
    }
    return npu_out_close(&o, 1, err);
}

/* ---- context ------------------------------------------------------------------------------ */
struct npu_ctx {
    npu_err err;
    char **preset_paths; /* NULL-terminated */
    size_t npaths, cpaths;
    volatile int *cancel;
    size_t job_budget;       /* npu_ctx_set_job_budget, 0 = the engine's default */
    int64_t job_limit;       /* npu_ctx_set_job_limit, 0 = none */
    void *buf[NPU_CTX_NBUF]; /* npu_ctx_stash */
    size_t bufcap[NPU_CTX_NBUF];
};

npu_ctx *npu_ctx_new(void) { return npu_calloc(1, sizeof(npu_ctx)); }

void npu_ctx_free(npu_ctx *ctx)
{
    if (!ctx)
        return;
    for (size_t i = 0; i < ctx->npaths; i++)
        free(ctx->preset_paths[i]);
    free(ctx->preset_paths);
    for (int i = 0; i < NPU_CTX_NBUF; i++)
        free(ctx->buf[i]);
    free(ctx);
}

void npu_ctx_stash(npu_ctx *ctx, int slot, void *buf, size_t cap)
{
    if (!ctx || slot < 0 || slot >= NPU_CTX_NBUF) {
        free(buf);
        return;
    }
    free(ctx->buf[slot]);
    ctx->buf[slot] = buf;
    ctx->bufcap[slot] = buf ? cap : 0;
}

void *npu_ctx_unstash(npu_ctx *ctx, int slot, size_t *cap)
{
    *cap = 0;
    if (!ctx || slot < 0 || slot >= NPU_CTX_NBUF || !ctx->buf[slot])
        return NULL;
    void *b = ctx->buf[slot];
    *cap = ctx->bufcap[slot];
    ctx->buf[slot] = NULL;
    ctx->bufcap[slot] = 0;
    return b;
}

npu_err *npu_ctx_err(npu_ctx *ctx) { return &ctx->err; }

int npu_ctx_add_preset_path(npu_ctx *ctx, const char *dir)
{
    if (npu_grow((void **)&ctx->preset_paths, &ctx->cpaths, ctx->npaths + 2, sizeof(char *)))
        return NPU_ENOMEM;
    if (!(ctx->preset_paths[ctx->npaths] = npu_strdup(dir)))
        return NPU_ENOMEM;
    ctx->npaths++;
    ctx->preset_paths[ctx->npaths] = NULL;
    return NPU_OK;
}

const char *const *npu_ctx_preset_paths(const npu_ctx *ctx)
{
    static const char *const none[] = {NULL};
    return ctx->preset_paths ? (const char *const *)ctx->preset_paths : none;
}

void npu_ctx_set_cancel(npu_ctx *ctx, volatile int *flag) { ctx->cancel = flag; }
int npu_ctx_cancelled(const npu_ctx *ctx) { return ctx->cancel && *ctx->cancel; }
void npu_ctx_set_job_budget(npu_ctx *ctx, size_t bytes) { ctx->job_budget = bytes; }
size_t npu_ctx_job_budget(const npu_ctx *ctx) { return ctx ? ctx->job_budget : 0; }
void npu_ctx_set_job_limit(npu_ctx *ctx, int64_t jobs) { ctx->job_limit = jobs > 0 ? jobs : 0; }
int64_t npu_ctx_job_limit(const npu_ctx *ctx) { return ctx ? ctx->job_limit : 0; }
