/* core/config/config.h — experiment files (libconfig), overrides, typed access
 * with file:line errors, and the unknown-key check. */
#ifndef SL_CORE_CONFIG_H
#define SL_CORE_CONFIG_H

#include <stdint.h>
#include "util/err.h"
#include "config/decl.h"

typedef struct sl__config sl__config;
typedef struct config_setting_t sl__setting; /* libconfig's, core-internal */

/* Parse `path` (with @include relative to its directory). On error returns
 * SL_ECONFIG with "file:line: message" in err. */
int sl__config_load(const char *path, sl__config **out, sl__err *err);
/* Parse from memory (the stored text of a run); `name` is used in messages. */
int sl__config_load_string(const char *text, const char *name,
                           sl__config **out, sl__err *err);
void sl__config_free(sl__config *cfg);

/* Apply one "a.b.c=value" override. An existing setting keeps its type (the
 * value must parse as that type; an int may become a float); a new one takes
 * the type of the literal. Path segments that are numbers index lists;
 * inside a list of groups a name selects the group whose `name` is it. */
int sl__config_override(sl__config *cfg, const char *assignment, sl__err *err);

sl__setting *sl__config_root(sl__config *cfg);
/* Look a path up below `base` (root if NULL); NULL when absent. Does not
 * mark anything as used. */
sl__setting *sl__config_find(sl__config *cfg, sl__setting *base,
                             const char *path);

/* Typed getters on a group (base; NULL = the root); return SL_OK, or
 * SL_ECONFIG naming file:line:key when the value has the wrong type.
 * Absent → def, recorded as an applied default (sl__config_defaults).
 * Each read marks the setting as used. When a group at or above base has
 * a settings table (sl__config_declare), the read is checked against it:
 * an undeclared key, a declared type other than the getter's, or a def
 * other than the documented default is the reader's bug (SL_ECONFIG
 * saying so); a value outside the declared range or choices is the
 * user's error (SL_ECONFIG naming file:line, key and what is allowed). */
int sl__cfg_int(sl__config *cfg, sl__setting *base, const char *key,
                int64_t def, int64_t *out, sl__err *err);
int sl__cfg_float(sl__config *cfg, sl__setting *base, const char *key,
                  double def, double *out, sl__err *err);
int sl__cfg_bool(sl__config *cfg, sl__setting *base, const char *key, int def,
                 int *out, sl__err *err);
int sl__cfg_string(sl__config *cfg, sl__setting *base, const char *key,
                   const char *def, const char **out, sl__err *err);
int sl__cfg_floatvec(sl__config *cfg, sl__setting *base, const char *key,
                     double def, float *out, size_t n, sl__err *err);
/* Mark a setting (and everything below it) used, e.g. a group the core
 * reads itself. */
void sl__cfg_mark_used(sl__setting *s);
/* Error naming the setting's file:line; returns code. */
int sl__cfg_error(sl__config *cfg, sl__setting *s, sl__err *err, int code,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Where a setting comes from: "file:line" or "command line 'k=v'". */
const char *sl__cfg_where(sl__config *cfg, sl__setting *s, char *buf,
                          size_t len);
/* Attach a settings table to a group (NULL = the root): reads below it
 * are checked against it, and the unknown-key check uses it. decl is
 * copied; its tables are borrowed and must outlive cfg. SL_ENOMEM. */
int sl__config_declare(sl__config *cfg, sl__setting *group,
                       const sl__decl *decl);
/* The top-level group `name`, or when the file has none an empty
 * stand-in outside the configuration (not dumped, not flattened), so
 * that its keys read as defaults, checked and recorded under `name.`.
 * Borrowed, lives with cfg; NULL only when out of memory. */
sl__setting *sl__config_section(sl__config *cfg, const char *name);
/* Defaults applied so far by the getters, one flat row per key
 * (flatten.h; key and alias as for sl__config_flatten), in read order.
 * Borrowed, valid until the next getter call or sl__config_free. */
struct sl__kv;
const struct sl__kv *sl__config_defaults(sl__config *cfg, size_t *n);
/* Refuse any setting nobody read, or a table does not declare:
 * SL_ECONFIG "file:line: key: unknown setting; did you mean NAME?". */
int sl__config_check_unused(sl__config *cfg, sl__err *err);

/* Mark a member of a group as added by the loader from another source
 * (`network = { nir = "FILE"; }` adds its layers): the dump leaves it
 * out, so the effective configuration loads again from that source.
 * SL_ENOMEM. */
int sl__config_mark_generated(sl__config *cfg, sl__setting *s);
/* 1 if s was so marked, 0 otherwise (also for NULL). */
int sl__config_is_generated(sl__config *cfg, sl__setting *s);

/* Effective configuration (after overrides) as libconfig text; malloc'd. */
char *sl__config_dump(sl__config *cfg);
/* Full path of a setting, e.g. "network.layers.[1].tau_mem"; malloc'd. */
char *sl__setting_path(sl__setting *s);
/* The text of the main file as read (malloc'd copy owned by cfg). */
const char *sl__config_text(sl__config *cfg);
const char *sl__config_path(sl__config *cfg);

#endif
