/* format.c — npu_format_parse (sim/npusim.h), alone in its file on purpose.
 *
 * The public API file sim/npusim.c (by "api") may define this function too. Keeping it in its
 * own object file means the static-library linker only pulls it in when nobody else defined
 * it, so the two can never clash; whichever is linked accepts the same spellings.
 */
#include <stddef.h>

#include "report.h"

int npu_format_parse(const char *s, npu_format *out)
{
    static const struct {
        const char *name;
        npu_format f;
    } tab[] = {{"table", NPU_FMT_TABLE}, {"text", NPU_FMT_TABLE}, {"csv", NPU_FMT_CSV},
               {"json", NPU_FMT_JSON}};
    if (!s)
        return NPU_EINVAL;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (npu_streq_nocase(s, tab[i].name)) {
            if (out)
                *out = tab[i].f;
            return NPU_OK;
        }
    return NPU_EINVAL;
}
