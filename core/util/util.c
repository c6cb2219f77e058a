/* core/util/util.c — clocks and formatting. */
#include <stdio.h>
#include <time.h>

#include "util/util.h"

double sl__wall_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double sl__mono_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *sl__fmt_duration(double s, char *buf, unsigned len)
{
    if (!(s >= 0) || s > 1e9)
        snprintf(buf, len, "?");
    else if (s < 60)
        snprintf(buf, len, "%.1fs", s);
    else if (s < 3600)
        snprintf(buf, len, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, len, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
    return buf;
}

const char *sl__fmt_speed(double rate, char *buf, unsigned len)
{
    char d[32];
    if (rate > 0 && rate < 1)
        snprintf(buf, len, "%s/epoch",
                 sl__fmt_duration(1 / rate, d, sizeof d));
    else
        snprintf(buf, len, "%.0f epochs/s", rate > 0 ? rate : 0.0);
    return buf;
}
