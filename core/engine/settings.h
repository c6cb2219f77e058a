/* core/engine/settings.h — the settings tables of the core's own sections
 * (top level, network, train, evaluate, teacher, export) and of the keys
 * the core reads in component groups (a layer's type, name, record), and
 * how groups get their tables (config/decl.h). `spikelab plugins
 * --markdown` prints them with every component's table. */
#ifndef SL_CORE_SETTINGS_H
#define SL_CORE_SETTINGS_H

#include "config/config.h"
#include "engine/registry.h"

typedef enum sl__section_id {
    SL__SEC_ROOT,
    SL__SEC_NETWORK,
    SL__SEC_TRAIN,
    SL__SEC_EVALUATE,
    SL__SEC_TEACHER,
    SL__SEC_LAYER,     /* keys of every network.layers entry */
    SL__SEC_DATASET,   /* keys of every data.NAME group */
    SL__SEC_LOSS,
    SL__SEC_OPTIMIZER,
    SL__SEC_BACKEND,
    SL__SEC_EXPORT,
    SL__SEC_SIMULATE,  /* simulate mode (simulate.h) */
    SL__SEC_MODEL,     /* keys of the model group */
    SL__SEC_COUNT
} sl__section_id;

typedef struct sl__section {
    const char *path;     /* "train", "network.layers.N", "" for the top */
    const char *title;    /* one line */
    const sl_setting *table;
    size_t n;
    sl_kind kind;         /* component groups: the kind of component whose
                             own settings join these keys; 0 otherwise */
} sl__section;

/* All sections, indexed by sl__section_id. Static. */
extern const sl__section sl__sections[SL__SEC_COUNT];

/* Attach section id's table to group (NULL = the root). SL_ENOMEM. */
int sl__declare_section(sl__config *cfg, sl__setting *group,
                        sl__section_id id);
/* Attach a component's table (from its registry entry) plus the core's
 * keys of section id to group, which the component reads through its
 * context. A component without a table keeps read-tracking for its own
 * keys. SL_ENOMEM. */
int sl__declare_component(sl__config *cfg, sl__setting *group,
                          sl__section_id id, const sl__entry *entry);

#endif
