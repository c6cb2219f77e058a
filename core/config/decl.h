/* core/config/decl.h — settings tables (include/spikelab/plugin.h's
 * sl_setting) as the configuration sees them: attached to the group they
 * describe, looked up by name, and used to check values.
 *
 * Components and the core's own sections attach a table to their group
 * (sl__config_declare, config.h). The typed getters then check each read
 * against the table, and the unknown-key check suggests declared names. */
#ifndef SL_CORE_DECL_H
#define SL_CORE_DECL_H

#include <stddef.h>

#include "spikelab/plugin.h"

typedef struct sl__decl {
    const char *owner;         /* for messages: "component 'lif'",
                                  "section 'train'"; static */
    const sl_setting *own;     /* the owner's table; NULL: it has none,
                                  the keys it reads are its settings */
    size_t n_own;
    const sl_setting *common;  /* keys the core reads in such a group
                                  (a layer's type, name, record); may be
                                  NULL */
    size_t n_common;
    int plugin;                /* `own` comes from a plugin: a read it does
                                  not declare is that plugin's bug */
} sl__decl;

/* Entry i of a table, strided by the table's own struct_size (a plugin
 * built against a later minor may have a larger sl_setting). */
const sl_setting *sl__decl_at(const sl_setting *table, size_t i);
/* The entry named `name` in d->own, then d->common; NULL if neither
 * declares it. An entry of SL_NO_SETTINGS (name NULL) never matches. */
const sl_setting *sl__decl_find(const sl__decl *d, const char *name);
/* 1 when `name` is a group declared with members ("init" when the table
 * has "init.mean"): the group's members are checked against the table. */
int sl__decl_has_members(const sl__decl *d, const char *group);

/* "integer", "number", "boolean", "string", "number(s)", "list",
 * "group"; "?" for anything else. Static. */
const char *sl__setting_type_name(uint32_t type);
/* The default as a number (ints, floats, bools as 0/1, FLOATS); 0 when
 * def is NULL or does not parse as the entry's type. */
int sl__setting_def_number(const sl_setting *s, double *out);
/* The allowed values in words: "> 0", "0 .. 1", ">= 1", "one of: a, b";
 * "" when anything goes. Writes at most len bytes; returns buf. */
char *sl__setting_range_text(const sl_setting *s, char *buf, size_t len);
/* Is v allowed (bounds of ints, numbers, each number of FLOATS)? */
int sl__setting_number_ok(const sl_setting *s, double v);
/* Is v one of the choices (always, when there are none)? */
int sl__setting_choice_ok(const sl_setting *s, const char *v);
/* Check one entry as a plugin gave it: known type, a name, a default
 * that parses as its type and is allowed by its own range and choices.
 * 0 when fine, else -1 with the reason in why. */
int sl__setting_validate(const sl_setting *s, char *why, size_t len);

#endif
