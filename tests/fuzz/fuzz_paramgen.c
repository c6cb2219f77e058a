/*
 * tests/fuzz/fuzz_paramgen.c — the Dynap-SE2 bias-generator table
 * (`export.paramgen_table`, plugins/dynapse2_export/paramgen.c): 3072
 * lines "TYPE COARSE FINE CURRENT_A", read by d2_gen_load from a path.
 *
 * The input is the file. A table it accepts must hold only positive,
 * finite currents up to 1 mA (what the reader promises the quantiser),
 * and the conversions over it must stay in range: d2_a2d of any current
 * gives a coarse 0..5 and fine 0..255 whose d2_d2a is that table entry.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "engine/host.h"
#include "../../plugins/dynapse2_export/d2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    const char *path = fuzz_write_file("paramgen.txt", data, size);
    if (path == NULL)
        return 0;
    sl_ctx ctx;
    sl__ctx_init(&ctx, NULL, NULL, 0, "export");
    d2_gen g;
    memset(&g, 0, sizeof g);
    if (d2_gen_load(&g, &sl__host, &ctx, path) != SL_OK) {
        FUZZ_CHECK(ctx.err.msg[0], "table refused without a message");
        return 0;
    }
    FUZZ_CHECK(g.exact, "a loaded table is not marked exact");
    for (int t = 0; t < 2; t++)
        for (int c = 0; c < 6; c++)
            for (int f = 0; f < 256; f++)
                FUZZ_CHECK(g.T[t][c][f] > 0 && isfinite(g.T[t][c][f]) &&
                               g.T[t][c][f] <= 1e-3,
                           "entry %d %d %d is %g", t, c, f, g.T[t][c][f]);
    static const double probe[] = {0, 1e-13, 3.3e-9, 1e-6, 1e-3, 1.0};
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < sizeof probe / sizeof *probe; i++) {
            int C = -1, F = -1;
            d2_a2d(&g, t, 1.0, probe[i], &C, &F);
            FUZZ_CHECK(C >= 0 && C < 6 && F >= 0 && F < 256,
                       "d2_a2d gives coarse %d fine %d", C, F);
            FUZZ_CHECK(d2_d2a(&g, t, 1.0, C, F) == g.T[t][C][F],
                       "d2_d2a differs from the table");
        }
    return 0;
}
