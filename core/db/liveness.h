/* core/db/liveness.h — is the process that recorded a run still there?
 *
 * A run records the host name, the pid and a process identity string of
 * the process that runs it. A later spikelab on the same host asks whether
 * that process still exists; when it does not, the run can never end by
 * itself and is marked 'interrupted' (see db.h).
 *
 * A pid alone is not enough: pids are reused, so a run killed long ago
 * could look alive because some unrelated process got its pid. The
 * identity adds what makes a process unique on Linux: the boot id
 * (/proc/sys/kernel/random/boot_id) and the process start time in clock
 * ticks since boot (field 22 of /proc/PID/stat). Where /proc is missing
 * the identity is empty and the check falls back to kill(pid, 0).
 *
 * Limits (documented, not solved): processes in another pid namespace
 * (containers sharing the database file under the same host name) look
 * dead or alive at random; the check therefore only ever concludes "dead"
 * when the host name matches, and containers usually have their own.
 */
#ifndef SL_CORE_LIVENESS_H
#define SL_CORE_LIVENESS_H

#include <stddef.h>
#include <stdint.h>

#define SL__PROC_ID_LEN 96 /* buffer size for an identity string */

/* This host's name into buf (NUL-terminated, cut to len). Returns 0, or -1
 * when the name cannot be read (buf is then ""). */
int sl__hostname(char *buf, size_t len);

/* Identity of process pid as "BOOTID/STARTTICKS" into buf (len >=
 * SL__PROC_ID_LEN). Returns 0 with the identity; 1 when pid does not exist
 * or is a zombie (it has exited and only waits to be collected); -1 when
 * it cannot be told (no /proc: buf is ""). */
int sl__proc_identity(int64_t pid, char *buf, size_t len);

/* Is the process that recorded (host, pid, proc_id) alive? 1 yes, 0 no
 * (same host, and the pid is gone, a zombie, or now belongs to another
 * process), -1 cannot tell (another host, no pid, or an unexpected error).
 * host and proc_id may be NULL; an empty or NULL proc_id skips the
 * identity comparison. */
int sl__proc_alive(const char *host, int64_t pid, const char *proc_id);

#endif
