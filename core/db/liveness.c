/* core/db/liveness.c — process identity and liveness (see liveness.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/liveness.h"

int sl__hostname(char *buf, size_t len)
{
    if (len == 0)
        return -1;
    if (gethostname(buf, len) != 0) {
        buf[0] = '\0';
        return -1;
    }
    buf[len - 1] = '\0';
    return 0;
}

/* Read a small text file into buf; 0 ok, -1 otherwise (buf ""). */
static int read_small(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    buf[0] = '\0';
    if (!f)
        return -1;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n > 0 ? 0 : -1;
}

int sl__proc_identity(int64_t pid, char *buf, size_t len)
{
    char path[64], stat[1024], boot[64];
    if (!buf || len < SL__PROC_ID_LEN)
        return -1;
    buf[0] = '\0';
    if (pid <= 0)
        return 1;
    /* Without /proc/self nothing below can be told apart from a missing
     * process: say "unknown", not "dead". */
    if (access("/proc/self/stat", R_OK) != 0 ||
        read_small("/proc/sys/kernel/random/boot_id", boot, sizeof boot) != 0)
        return -1;
    boot[strcspn(boot, "\n")] = '\0';
    snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
    if (read_small(path, stat, sizeof stat) != 0)
        return errno == ENOENT || errno == ESRCH ? 1 : -1;
    /* "pid (comm) state ppid ..." — comm may hold spaces and ')', so the
     * fields start after the last ')'. */
    char *p = strrchr(stat, ')');
    if (!p || p[1] != ' ')
        return -1;
    p += 2;
    char state = *p;
    if (state == 'Z' || state == 'X')
        return 1;
    /* p is at field 3 (state); starttime is field 22 */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    char *end;
    errno = 0;
    unsigned long long start = strtoull(p, &end, 10);
    if (errno || end == p)
        return -1;
    snprintf(buf, len, "%s/%llu", boot, start);
    return 0;
}

int sl__proc_alive(const char *host, int64_t pid, const char *proc_id)
{
    char me[256];
    if (!host || pid <= 0 || sl__hostname(me, sizeof me) != 0 ||
        strcmp(me, host) != 0)
        return -1;
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return errno == ESRCH ? 0 : -1;
    char id[SL__PROC_ID_LEN];
    int r = sl__proc_identity(pid, id, sizeof id);
    if (r == 1)
        return 0; /* a zombie, or gone since kill() */
    if (r == 0 && proc_id && *proc_id && strcmp(id, proc_id) != 0)
        return 0; /* the pid now belongs to another process */
    return 1;
}
