/* core/util/util.h — small helpers shared by the commands. */
#ifndef SL_CORE_UTIL_H
#define SL_CORE_UTIL_H

/* Wall-clock seconds (CLOCK_REALTIME) and monotonic seconds. */
double sl__wall_time(void);
double sl__mono_time(void);
/* Format a duration as "1h02m", "3m05s", "4.2s". */
const char *sl__fmt_duration(double seconds, char *buf, unsigned len);
/* Format a training speed: "12 epochs/s", or below one a second its
 * duration, "1m20s/epoch" (not "0 epochs/s"). */
const char *sl__fmt_speed(double epochs_per_s, char *buf, unsigned len);

#endif
