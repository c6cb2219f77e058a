/* core/cmd/curate.c — `spikelab tag`, `note`, `rm`: curating the run
 * history.
 *
 * tag ID --json: ["tag", ...];  note ID --json: {"id", "note"}.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spikelab/abi.h"
#include "spikelab/rundb.h"
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/out.h"

/* ---- tag, note, rm --------------------------------------------------------- */

static const char tag_usage[] =
    "Usage: spikelab tag ID TAG... [--db PATH]\n"
    "       spikelab tag ID --remove TAG... [--db PATH]\n"
    "       spikelab tag ID [--json] [--db PATH]\n"
    "Add tags to run ID (a number, or 'last'), remove them, or list them.\n"
    "A tag is any text of 1 to 200 bytes without control characters; runs\n"
    "are filtered by tag with `spikelab runs --tag TAG`.\n"
    "\n"
    "  --remove    remove the given tags instead\n"
    "  --json      list the tags as a JSON array\n"
    "  --db PATH   run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help      this text\n";

static const char note_usage[] =
    "Usage: spikelab note ID TEXT [--append] [--db PATH]\n"
    "       spikelab note ID --clear [--db PATH]\n"
    "       spikelab note ID [--json] [--db PATH]\n"
    "Set the free-text note of run ID (a number, or 'last'), replacing the\n"
    "old one; add a line to it with --append; remove it with --clear (or an\n"
    "empty TEXT); with no TEXT, print it. `spikelab show ID` shows it too.\n"
    "\n"
    "  --append    add TEXT as a new line after the current note\n"
    "  --clear     remove the note\n"
    "  --json      print the note as {\"id\": ID, \"note\": TEXT or null}\n"
    "  --db PATH   run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help      this text\n";

static const char rm_usage[] =
    "Usage: spikelab rm ID... [--force] [--db PATH]\n"
    "Remove runs and everything recorded with them (metrics, results,\n"
    "params, tags, artifacts), all or none. A run that is still running is\n"
    "refused unless --force (a run recorded on another host counts as\n"
    "running while its status says so). Runs that re-ran a removed run keep\n"
    "their records, without the link. The file does not shrink until\n"
    "`sqlite3 FILE VACUUM`.\n"
    "\n"
    "  --force     remove running runs too\n"
    "  --db PATH   run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help      this text\n";


int sl__cmd_tag(int argc, char **argv)
{
    sl__hopts o;
    int p = sl__cli_hparse("tag", tag_usage, SL__F_JSON | SL__F_REMOVE, argc, argv, &o);
    int64_t id = 0;
    if (p == 0 && o.n_pos < 1)
        p = sl__cli_usage_error("tag", "which run? give its ID");
    if (p == 0)
        p = sl__cli_parse_id("tag", o.pos[0], &id);
    if (p == 0 && o.remove && o.n_pos < 2)
        p = sl__cli_usage_error("tag", "--remove needs the tags to remove");
    if (p == 0 && o.json && o.n_pos > 1)
        p = sl__cli_usage_error("tag", "--json lists tags; it takes no TAG");
    for (int i = 1; p == 0 && i < o.n_pos; i++) {
        size_t len = strlen(o.pos[i]);
        int ctl = 0;
        for (const char *c = o.pos[i]; *c; c++)
            ctl |= (unsigned char)*c < 0x20 || *c == 0x7f;
        if (len == 0 || len > 200 || ctl)
            p = sl__cli_usage_error("tag", "a tag is 1 to 200 bytes without "
                                           "control characters");
    }
    if (p) {
        free(o.pos);
        return p == 1 ? sl__cli_finish("tag", 0) : 2;
    }
    sl_rundb *db;
    int status = 1;
    if (sl__cli_open("tag", o.db, &db) == 0) {
        if (sl__cli_find_run("tag", db, &id) == 0) {
            status = 0;
            for (int i = 1; i < o.n_pos && status == 0; i++) {
                int rc = o.remove ? sl_rundb_untag(db, id, o.pos[i])
                                  : sl_rundb_tag(db, id, o.pos[i]);
                if (rc != SL_OK) {
                    fprintf(stderr, "spikelab tag: %s\n",
                            sl_rundb_errmsg(db));
                    status = 1;
                }
            }
            if (o.n_pos == 1) { /* list */
                sl__strv tags = {0};
                if (sl__cli_tags(db, id, &tags) != SL_OK) {
                    fprintf(stderr, "spikelab tag: %s\n",
                            sl_rundb_errmsg(db));
                    status = 1;
                } else if (o.json) {
                    sl__json w;
                    sl__json_init(&w, stdout, 1);
                    sl__json_array_begin(&w);
                    for (size_t i = 0; i < tags.n; i++)
                        sl__json_string(&w, tags.v[i]);
                    sl__json_array_end(&w);
                    sl__json_finish(&w);
                } else {
                    for (size_t i = 0; i < tags.n; i++) {
                        sl__cli_put_clean(stdout, tags.v[i]);
                        putchar('\n');
                    }
                }
                sl__strv_free(&tags);
            } else if (status == 0) {
                printf("run %lld: %d tag%s %s\n", (long long)id, o.n_pos - 1,
                       o.n_pos == 2 ? "" : "s",
                       o.remove ? "removed" : "added");
            }
        }
        sl_rundb_close(db);
    }
    free(o.pos);
    return sl__cli_finish("tag", status);
}

int sl__cmd_note(int argc, char **argv)
{
    sl__hopts o;
    int p = sl__cli_hparse("note", note_usage, SL__F_JSON | SL__F_APPEND | SL__F_CLEAR, argc,
                   argv, &o);
    int64_t id = 0;
    if (p == 0 && o.n_pos < 1)
        p = sl__cli_usage_error("note", "which run? give its ID");
    if (p == 0)
        p = sl__cli_parse_id("note", o.pos[0], &id);
    if (p == 0 && o.n_pos > 2)
        p = sl__cli_usage_error("note", "give the note as one argument (in "
                                        "quotes)");
    if (p == 0 && o.clear && (o.n_pos > 1 || o.append))
        p = sl__cli_usage_error("note", "--clear takes no TEXT and no "
                                        "--append");
    if (p == 0 && o.append && o.n_pos < 2)
        p = sl__cli_usage_error("note", "--append needs the TEXT to add");
    if (p == 0 && o.json && o.n_pos > 1)
        p = sl__cli_usage_error("note", "--json prints the note; it takes "
                                        "no TEXT");
    if (p) {
        free(o.pos);
        return p == 1 ? sl__cli_finish("note", 0) : 2;
    }
    sl_rundb *db;
    int status = 1;
    if (sl__cli_open("note", o.db, &db) == 0) {
        if (sl__cli_find_run("note", db, &id) == 0) {
            if (o.n_pos == 2 || o.clear) {
                const char *text = o.clear ? NULL : o.pos[1];
                int rc = o.append ? sl_rundb_append_note(db, id, text)
                                  : sl_rundb_set_note(db, id, text);
                if (rc != SL_OK) {
                    fprintf(stderr, "spikelab note: %s\n",
                            sl_rundb_errmsg(db));
                } else {
                    printf("run %lld: note %s\n", (long long)id,
                           !text || !*text ? "cleared"
                           : o.append      ? "extended"
                                           : "set");
                    status = 0;
                }
            } else {
                const sl_run_info *r;
                if (sl_rundb_run(db, id, &r) != SL_OK) {
                    fprintf(stderr, "spikelab note: %s\n",
                            sl_rundb_errmsg(db));
                } else {
                    const char *note = r->note;
                    if (o.json) {
                        sl__json w;
                        sl__json_init(&w, stdout, 0);
                        sl__json_object_begin(&w);
                        sl__json_key(&w, "id");
                        sl__json_int(&w, id);
                        sl__json_key(&w, "note");
                        sl__json_string(&w, note);
                        sl__json_object_end(&w);
                        sl__json_finish(&w);
                    } else if (note) {
                        /* newlines kept: a note may have several lines */
                        for (const char *c = note; *c; c++)
                            putchar((unsigned char)*c < 0x20 && *c != '\n'
                                        ? '?'
                                        : *c);
                        putchar('\n');
                    }
                    status = 0;
                }
            }
        }
        sl_rundb_close(db);
    }
    free(o.pos);
    return sl__cli_finish("note", status);
}

int sl__cmd_rm(int argc, char **argv)
{
    sl__hopts o;
    int p = sl__cli_hparse("rm", rm_usage, SL__F_FORCE, argc, argv, &o);
    int64_t *ids = NULL;
    if (p == 0 && o.n_pos < 1)
        p = sl__cli_usage_error("rm", "which runs? give their IDs");
    if (p == 0 && !(ids = calloc(o.n_pos > 0 ? (size_t)o.n_pos : 1, sizeof *ids)))
        p = 2;
    if (p == 0)
        p = sl__cli_parse_ids("rm", o.pos, 0, o.n_pos, ids);
    if (p) {
        free(o.pos);
        free(ids);
        return p == 1 ? sl__cli_finish("rm", 0) : 2;
    }
    sl_rundb *db;
    int status = 1;
    if (sl__cli_open("rm", o.db, &db) == 0) {
        int ok = 1;
        for (int i = 0; i < o.n_pos && ok; i++)
            ok = sl__cli_resolve_last("rm", db, &ids[i]) == 0;
        if (ok && sl_rundb_remove(db, ids, (size_t)o.n_pos,
                                  o.force ? SL_RUNDB_REMOVE_RUNNING : 0) !=
                      SL_OK) {
            fprintf(stderr, "spikelab rm: %s; nothing removed\n",
                    sl_rundb_errmsg(db));
            ok = 0;
        }
        if (ok) {
            for (int i = 0; i < o.n_pos; i++)
                printf("removed run %lld\n", (long long)ids[i]);
            status = 0;
        }
        sl_rundb_close(db);
    }
    free(o.pos);
    free(ids);
    return sl__cli_finish("rm", status);
}
