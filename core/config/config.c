/* core/config/config.c — experiment files on top of libconfig 1.5.
 *
 * libconfig parses and keeps file:line for every setting; we add what 1.5
 * lacks: command-line overrides with type checks, typed getters that name
 * the file and line of a bad value, and the "unknown key" check. The last
 * works by marking every setting somebody reads (its libconfig hook points
 * to a mark); after all components are created, any unmarked leaf is a key
 * nobody understood — most often a typo — and is refused. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spikelab/abi.h"
#include "config/config.h"
#include "config/flatten.h"
#include "util/file.h"
#include "util/suggest.h"

typedef struct mark {
    int used;
    char *override; /* "k=v" when set from the command line, else NULL */
    int has_decl;   /* decl describes this group (sl__config_declare) */
    int generated;  /* added by the loader (sl__config_mark_generated):
                       not part of the effective configuration's text */
    sl__decl decl;
    struct mark *next;
} mark;

struct sl__config {
    config_t cf;
    char *path;
    char *text;
    char *dir;
    mark *marks;
    /* empty stand-ins for absent top-level sections (sl__config_section):
     * their keys read as defaults, are checked against the section's
     * table and recorded, without adding anything to cf */
    config_t shadow;
    int has_shadow;
    /* defaults applied by the getters, as flat rows (flatten.h) */
    sl__kv *dflt;
    size_t n_dflt, cap_dflt;
};

/* sl__cfg_mark_used marks settings without access to their config with
 * this shared sentinel; get_mark replaces it by a real mark on demand */
static mark used_sentinel = {1, NULL, 0, 0, {0}, NULL};

static mark *get_mark(sl__config *cfg, config_setting_t *s, int create)
{
    mark *m = config_setting_get_hook(s);
    if ((m && (m != &used_sentinel || !create)) || !create)
        return m;
    int used = m == &used_sentinel;
    m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->used = used;
    m->next = cfg->marks;
    cfg->marks = m;
    config_setting_set_hook(s, m);
    return m;
}

/* libconfig 1.5 reads an integer literal without the L suffix as 32 bits
 * and silently wraps larger ones (4294967296 becomes 0, 3000000000 a
 * negative number), and one with L through strtoll/strtoull, which
 * saturate (99999999999999999999L becomes INT64_MAX, 0x1FFFFFFFFFFFFFFFFL
 * -1). Scan the source for such literals, skipping strings and comments
 * and following @include, and refuse them with file:line. Hex literals
 * are bit patterns: up to 0xffffffff without L, 0xffffffffffffffffL with.
 */
static int int_fits(const char *p, size_t len, int neg, int hex, int bits)
{
    uint64_t lim = bits == 32 ? (neg ? 2147483648u
                                     : hex ? 0xffffffffu : 2147483647u)
                              : (neg ? (uint64_t)1 << 63
                                     : hex ? UINT64_MAX : (uint64_t)INT64_MAX);
    uint64_t v = 0, base = hex ? 16u : 10u;
    for (size_t i = hex ? 2 : 0; i < len; i++) {
        uint64_t d = isdigit((unsigned char)p[i])
                         ? (uint64_t)(p[i] - '0')
                         : (uint64_t)(tolower((unsigned char)p[i]) - 'a' + 10);
        if (v > (lim - d) / base)
            return 0;
        v = v * base + d;
    }
    return 1;
}

static int int_fits_32(const char *p, size_t len, int neg, int hex)
{
    return int_fits(p, len, neg, hex, 32);
}

/* Where a scanned literal is: "FILE:LINE", or the command-line override
 * it came from. */
static const char *scan_where(char *buf, size_t len, const char *file,
                              int line, const char *override)
{
    if (override)
        snprintf(buf, len, "command line '%s'", override);
    else
        snprintf(buf, len, "%s:%d", file, line);
    return buf;
}

/* @include "NAME" at file:line: read the file the way libconfig will open
 * it and scan it too. libconfig 1.5 opens NAME relative to the current
 * directory, which is the top file's directory while parsing (see
 * sl__config_load), for nested includes too; an absolute NAME stays.
 * Checked before libconfig sees it: on a directory its scanner exits the
 * process ("input in flex scanner failed"), on a FIFO it blocks. */
static int scan_ints(const char *text, const char *file, const char *dir,
                     int depth, const char *override, sl__err *err);

static int scan_include(const char *name, size_t nlen, const char *file,
                        int line, const char *dir, int depth, sl__err *err)
{
    char path[4096];
    int n = name[0] == '/' || !dir
                ? snprintf(path, sizeof path, "%.*s", (int)nlen, name)
                : snprintf(path, sizeof path, "%s%.*s", dir, (int)nlen, name);
    if (n <= 0 || (size_t)n >= sizeof path)
        return sl__fail(err, SL_ECONFIG, "%s:%d: @include: path longer than "
                        "%zu bytes", file, line, sizeof path - 1);
    char *inc;
    size_t len;
    sl__err e;
    if (sl__file_read(path, SL__CONFIG_MAX_BYTES, SL__FILE_REGULAR, &inc,
                      &len, &e))
        return sl__fail(err, SL_ECONFIG, "%s:%d: @include \"%.*s\": %s",
                        file, line, (int)nlen, name, e.msg);
    if (strlen(inc) != len) {
        free(inc);
        return sl__fail(err, SL_ECONFIG, "%s:%d: @include \"%.*s\": %s: "
                        "contains a NUL byte: not a configuration", file,
                        line, (int)nlen, name, path);
    }
    int rc = scan_ints(inc, path, dir, depth + 1, NULL, err);
    free(inc);
    return rc;
}

/* dir: where relative @includes are resolved ("" for the current
 * directory); NULL: includes are not followed (an override's text).
 * override: the command-line assignment the text comes from, or NULL. */
static int scan_ints(const char *text, const char *file, const char *dir,
                     int depth, const char *override, sl__err *err)
{
    int line = 1;
    char where[600];
    for (const char *p = text; *p;) {
        if (*p == '\n') {
            line++;
            p++;
        } else if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                else if (*p == '\n')
                    line++;
            }
            if (*p)
                p++;
        } else if (*p == '#' || (*p == '/' && p[1] == '/')) {
            while (*p && *p != '\n')
                p++;
        } else if (*p == '/' && p[1] == '*') {
            for (p += 2; *p && !(*p == '*' && p[1] == '/'); p++)
                line += *p == '\n';
            if (*p)
                p += 2;
        } else if (*p == '@' && strncmp(p, "@include", 8) == 0 && dir &&
                   depth < 16) {
            const char *q = strchr(p, '"'), *e = q ? strchr(q + 1, '"') : NULL;
            if (q && e && !memchr(p, '\n', (size_t)(e - p))) {
                int rc = scan_include(q + 1, (size_t)(e - q - 1), file, line,
                                      dir, depth, err);
                if (rc)
                    return rc;
                p = e + 1;
            } else {
                p++;
            }
        } else if (isdigit((unsigned char)*p) &&
                   (p == text || !(isalnum((unsigned char)p[-1]) ||
                                   p[-1] == '_' || p[-1] == '.'))) {
            const char *q = p;
            int hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
            q += hex ? 2 : 0;
            while (hex ? isxdigit((unsigned char)*q) : isdigit((unsigned char)*q))
                q++;
            int is_float = !hex && (*q == '.' || *q == 'e' || *q == 'E');
            int neg = p > text && p[-1] == '-';
            int wide = *q == 'L' || *q == 'l';
            if (!is_float && !wide &&
                !int_fits_32(p, (size_t)(q - p), neg, hex))
                return sl__fail(err, SL_ECONFIG,
                                "%s: integer %s%.*s does not fit in 32 "
                                "bits and would be read wrapped; write "
                                "%s%.*sL for a 64-bit integer",
                                scan_where(where, sizeof where, file, line,
                                           override),
                                neg ? "-" : "", (int)(q - p), p,
                                neg ? "-" : "", (int)(q - p), p);
            if (!is_float && wide &&
                !int_fits(p, (size_t)(q - p), neg, hex, 64))
                return sl__fail(err, SL_ECONFIG,
                                "%s: integer %s%.*sL does not fit in 64 "
                                "bits (%s) and would be read as another "
                                "number",
                                scan_where(where, sizeof where, file, line,
                                           override),
                                neg ? "-" : "", (int)(q - p), p,
                                hex ? "at most 0xFFFFFFFFFFFFFFFFL"
                                    : "-9223372036854775808L .. "
                                      "9223372036854775807L");
            while (isalnum((unsigned char)*q) || *q == '.' || *q == '_' ||
                   ((*q == '-' || *q == '+') && (q[-1] == 'e' || q[-1] == 'E')))
                q++;
            p = q;
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            while (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
                p++;
        } else {
            p++;
        }
    }
    return SL_OK;
}

static int parse_error(sl__config *cfg, const char *name, sl__err *err)
{
    const char *file = config_error_file(&cfg->cf);
    return sl__fail(err, SL_ECONFIG, "%s:%d: %s", file ? file : name,
                    config_error_line(&cfg->cf), config_error_text(&cfg->cf));
}

static sl__config *config_new(void)
{
    sl__config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return NULL;
    config_init(&cfg->cf);
    return cfg;
}

int sl__config_load(const char *path, sl__config **out, sl__err *err)
{
    *out = NULL;
    sl__config *cfg = config_new();
    if (!cfg)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    cfg->path = strdup(path);
    /* Read once: the text parsed is the text recorded, and a pipe
     * (`spikelab run <(cat exp.cfg)`) is not read a second time. Only a
     * regular file or a pipe, at most SL__CONFIG_MAX_BYTES (file.h). */
    size_t len;
    int rc = sl__file_read(path, SL__CONFIG_MAX_BYTES, SL__FILE_STREAM,
                           &cfg->text, &len, err);
    if (rc) {
        sl__config_free(cfg);
        return rc;
    }
    if (strlen(cfg->text) != len) {
        sl__config_free(cfg);
        return sl__fail(err, SL_ECONFIG, "%s: contains a NUL byte: not a "
                        "configuration file", path);
    }
    /* @include is relative to the including file's directory */
    cfg->dir = strdup(path);
    char *slash = strrchr(cfg->dir, '/');
    if (slash)
        slash[1] = '\0';
    else
        strcpy(cfg->dir, "./");
    /* wide literals and every @include (a regular file, bounded) before
     * libconfig opens anything */
    if ((rc = scan_ints(cfg->text, path, cfg->dir, 0, NULL, err))) {
        sl__config_free(cfg);
        return rc;
    }
    /* libconfig 1.5 prepends its include_dir even to absolute @include
     * paths, so instead parse from inside the file's directory: relative
     * includes resolve against it, absolute ones stay. */
    int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int moved = here >= 0 && chdir(cfg->dir) == 0;
    int ok = config_read_string(&cfg->cf, cfg->text) == CONFIG_TRUE;
    if (moved && fchdir(here) != 0)
        ok = 0;
    if (here >= 0)
        close(here);
    if (!ok) {
        const char *file = config_error_file(&cfg->cf);
        if (file && file[0] != '/' && moved)
            rc = sl__fail(err, SL_ECONFIG, "%s%s:%d: %s", cfg->dir, file,
                          config_error_line(&cfg->cf),
                          config_error_text(&cfg->cf));
        else
            rc = parse_error(cfg, path, err);
        sl__config_free(cfg);
        return rc;
    }
    *out = cfg;
    return SL_OK;
}

int sl__config_load_string(const char *text, const char *name,
                           sl__config **out, sl__err *err)
{
    *out = NULL;
    sl__config *cfg = config_new();
    if (!cfg)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    cfg->path = strdup(name);
    cfg->text = strdup(text);
    /* libconfig opens @includes of a string from the current directory */
    int rc = scan_ints(text, name, "", 0, NULL, err);
    if (rc) {
        sl__config_free(cfg);
        return rc;
    }
    if (config_read_string(&cfg->cf, text) != CONFIG_TRUE) {
        rc = parse_error(cfg, name, err);
        sl__config_free(cfg);
        return rc;
    }
    *out = cfg;
    return SL_OK;
}

void sl__config_free(sl__config *cfg)
{
    if (!cfg)
        return;
    config_destroy(&cfg->cf);
    if (cfg->has_shadow)
        config_destroy(&cfg->shadow);
    sl__kv_free(cfg->dflt, cfg->n_dflt);
    for (mark *m = cfg->marks, *n; m; m = n) {
        n = m->next;
        free(m->override);
        free(m);
    }
    free(cfg->path);
    free(cfg->text);
    free(cfg->dir);
    free(cfg);
}

sl__setting *sl__config_root(sl__config *cfg)
{
    return config_root_setting(&cfg->cf);
}

const char *sl__config_text(sl__config *cfg) { return cfg->text; }
const char *sl__config_path(sl__config *cfg) { return cfg->path; }

static int is_index(const char *seg, size_t len, long *idx)
{
    size_t i = 0, end = len;
    if (len >= 2 && seg[0] == '[' && seg[len - 1] == ']')
        i = 1, end = len - 1;
    if (i == end)
        return 0;
    long v = 0;
    for (size_t k = i; k < end; k++) {
        if (!isdigit((unsigned char)seg[k]))
            return 0;
        v = v * 10 + (seg[k] - '0');
        if (v > 1000000)
            return 0;
    }
    *idx = v;
    return 1;
}

/* One path step below s: a member name, a list index, or, in a list of
 * groups, the group whose `name` (else unique `type`) is the segment. */
static config_setting_t *step(config_setting_t *s, const char *seg,
                              size_t len)
{
    long idx;
    int t = config_setting_type(s);
    if ((t == CONFIG_TYPE_LIST || t == CONFIG_TYPE_ARRAY) &&
        is_index(seg, len, &idx))
        return config_setting_get_elem(s, (unsigned)idx);
    char name[256];
    if (len >= sizeof name)
        return NULL;
    memcpy(name, seg, len);
    name[len] = '\0';
    if (t == CONFIG_TYPE_GROUP)
        return config_setting_get_member(s, name);
    if (t != CONFIG_TYPE_LIST)
        return NULL;
    const char *keys[2] = {"name", "type"};
    for (int k = 0; k < 2; k++) {
        config_setting_t *found = NULL;
        int count = 0;
        for (int i = 0; i < config_setting_length(s); i++) {
            config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            const char *v;
            if (config_setting_type(e) == CONFIG_TYPE_GROUP &&
                config_setting_lookup_string(e, keys[k], &v) &&
                strcmp(v, name) == 0) {
                found = e;
                count++;
            }
        }
        if (count == 1)
            return found;
        if (count > 1)
            return NULL;
    }
    return NULL;
}

sl__setting *sl__config_find(sl__config *cfg, sl__setting *base,
                             const char *path)
{
    config_setting_t *s = base ? base : config_root_setting(&cfg->cf);
    const char *p = path;
    while (s && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        s = step(s, p, len);
        p += len;
        if (*p == '.')
            p++;
    }
    return s;
}

char *sl__setting_path(sl__setting *s)
{
    /* walk up collecting segments, then join them root first */
    char segs[32][128];
    int n = 0;
    for (; s && config_setting_parent(s) && n < 32; s = config_setting_parent(s)) {
        const char *nm = config_setting_name(s);
        if (nm)
            snprintf(segs[n], sizeof segs[n], "%.127s", nm);
        else
            snprintf(segs[n], sizeof segs[n], "[%d]", config_setting_index(s));
        n++;
    }
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(segs[i]) + 1;
    char *out = malloc(len), *p = out;
    if (!out)
        return NULL;
    for (int i = n - 1; i >= 0; i--) {
        size_t l = strlen(segs[i]);
        memcpy(p, segs[i], l);
        p += l;
        if (i > 0)
            *p++ = '.';
    }
    *p = '\0';
    return out;
}

const char *sl__cfg_where(sl__config *cfg, sl__setting *s, char *buf,
                          size_t len)
{
    mark *m = s ? config_setting_get_hook(s) : NULL;
    if (m && m->override) {
        snprintf(buf, len, "command line '%s'", m->override);
        return buf;
    }
    const char *file = s ? config_setting_source_file(s) : NULL;
    unsigned line = s ? config_setting_source_line(s) : 0;
    const char *dir = "";
    if (!file)
        file = cfg->path;
    else if (file[0] != '/' && cfg->dir && strcmp(cfg->dir, "./") != 0)
        dir = cfg->dir; /* parsed from inside the file's directory */
    if (line)
        snprintf(buf, len, "%s%s:%u", dir, file, line);
    else
        snprintf(buf, len, "%s%s", dir, file);
    return buf;
}

int sl__cfg_error(sl__config *cfg, sl__setting *s, sl__err *err, int code,
                  const char *fmt, ...)
{
    char where[512], msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *path = s ? sl__setting_path(s) : NULL;
    sl__cfg_where(cfg, s, where, sizeof where);
    sl__fail(err, code, "%s: %s%s%s", where, path && *path ? path : "",
             path && *path ? ": " : "", msg);
    free(path);
    return code;
}

void sl__cfg_mark_used(sl__setting *s)
{
    /* marks need the owning config to allocate: a setting without one
     * gets the shared sentinel */
    if (!s)
        return;
    mark *m = config_setting_get_hook(s);
    if (m)
        m->used = 1;
    else
        config_setting_set_hook(s, &used_sentinel);
    int t = config_setting_type(s);
    if (t == CONFIG_TYPE_GROUP || t == CONFIG_TYPE_LIST ||
        t == CONFIG_TYPE_ARRAY)
        for (int i = 0; i < config_setting_length(s); i++)
            sl__cfg_mark_used(config_setting_get_elem(s, (unsigned)i));
}

static const char *type_name(int t)
{
    switch (t) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "an unknown type";
    }
}

/* ---- reads checked against settings tables ------------------------- */

static int is_index(const char *seg, size_t len, long *idx);

/* The nearest group at or above base (root when NULL) with a table, and
 * the name of base.key relative to it ("mismatch.every" read in train's
 * group). An index segment ends the name: "target_spikes.[3]" is an
 * element of "target_spikes" (*element = 1). NULL when no group above has
 * a table. */
static const sl__decl *scope_of(sl__config *cfg, sl__setting *base,
                                const char *key, char *rel, size_t len,
                                int *element, sl__setting **owner)
{
    config_setting_t *s = base ? base : config_root_setting(&cfg->cf);
    char prefix[512] = "";
    *element = 0;
    for (; s; s = config_setting_parent(s)) {
        mark *m = config_setting_get_hook(s);
        if (m && m != &used_sentinel && m->has_decl)
            break;
        const char *nm = config_setting_name(s);
        if (!nm || !config_setting_parent(s))
            return NULL; /* a list element or the root without a table */
        char tmp[512];
        /* a name this long is refused by the caller, never cut: a cut
         * name could match another declaration */
        if ((size_t)snprintf(tmp, sizeof tmp, "%s%s%s", nm,
                             prefix[0] ? "." : "", prefix) >= sizeof tmp) {
            *element = -1;
            return NULL;
        }
        memcpy(prefix, tmp, strlen(tmp) + 1);
    }
    if (!s)
        return NULL;
    *owner = s;
    if ((size_t)snprintf(rel, len, "%s%s%s", prefix, prefix[0] ? "." : "",
                         key) >= len) {
        *element = -1;
        return NULL;
    }
    /* cut at the first index segment */
    for (char *p = rel; *p;) {
        char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        long idx;
        if (p != rel && is_index(p, n, &idx)) {
            p[-1] = '\0';
            *element = 1;
            break;
        }
        p += n + (dot ? 1 : 0);
    }
    return &((mark *)config_setting_get_hook(s))->decl;
}

/* getter kinds, as setting types */
enum { WANT_INT = SL_SET_INT, WANT_FLOAT = SL_SET_FLOAT,
       WANT_BOOL = SL_SET_BOOL, WANT_STRING = SL_SET_STRING,
       WANT_FLOATS = SL_SET_FLOATS };

static int type_fits(uint32_t declared, int want, int element)
{
    if (declared == (uint32_t)want || declared == SL_SET_LIST)
        return 1; /* a list's component reads it as it likes */
    if (element)
        return declared == SL_SET_FLOATS;
    return (declared == SL_SET_FLOATS && want == WANT_FLOAT) ||
           (declared == SL_SET_FLOAT && want == WANT_FLOATS);
}

/* Look key up below base, mark it read and find its declaration.
 * *s: the value or NULL; *d: its table entry or NULL (no table). A read
 * the table does not declare, or declares with another type, is the
 * reader's bug and an error. */
static int lookup(sl__config *cfg, sl__setting *base, const char *key,
                  int want, config_setting_t **s, const sl_setting **d,
                  sl__err *err)
{
    *s = sl__config_find(cfg, base, key);
    *d = NULL;
    if (*s) {
        mark *m = get_mark(cfg, *s, 1);
        if (m)
            m->used = 1;
    }
    char rel[512];
    int element;
    sl__setting *owner = NULL;
    const sl__decl *scope = scope_of(cfg, base, key, rel, sizeof rel,
                                     &element, &owner);
    if (!scope && element < 0)
        return sl__cfg_error(cfg, *s ? *s : base, err, SL_ECONFIG,
                             "%s: setting name longer than %zu characters "
                             "with its groups: use a shorter name",
                             key, sizeof rel - 1);
    if (!scope)
        return SL_OK;
    *d = sl__decl_find(scope, rel);
    char who[200];
    snprintf(who, sizeof who, scope->plugin ? "component '%s'" : "%s",
             scope->owner ? scope->owner : "the core");
    const char *bug = scope->plugin ? "a bug in its plugin"
                                    : "a bug in spikelab";
    if (!*d) {
        if (!scope->own) /* no table: the keys it reads are its settings */
            return SL_OK;
        return sl__cfg_error(cfg, *s ? *s : owner, err, SL_ECONFIG,
                             "%s reads the setting '%s', which its settings "
                             "table does not declare: this is %s (declare "
                             "the setting in its table)", who, rel, bug);
    }
    if (*d && !type_fits((*d)->type, want, element))
        return sl__cfg_error(cfg, *s ? *s : owner, err, SL_ECONFIG,
                             "%s reads '%s' as %s %s but its settings table "
                             "declares %s %s: this is %s",
                             who, rel, want == WANT_INT ? "an" : "a",
                             sl__setting_type_name((uint32_t)want),
                             (*d)->type == SL_SET_INT ? "an" : "a",
                             sl__setting_type_name((*d)->type), bug);
    if (element)
        *d = NULL; /* elements: the component checks them */
    return SL_OK;
}

/* The reader's own default must be the one its table documents. */
static int def_mismatch(sl__config *cfg, sl__setting *base, const char *key,
                        const sl_setting *d, const char *given, sl__err *err)
{
    sl__setting *at = base ? base : config_root_setting(&cfg->cf);
    return sl__cfg_error(cfg, at, err, SL_ECONFIG,
                         "the reader of '%s' applies the default %s but its "
                         "settings table documents %s: this is a bug in the "
                         "component or core section reading it",
                         key, given, d->def ? d->def : "none");
}

static int check_number(sl__config *cfg, config_setting_t *s,
                        const sl_setting *d, double v, const char *what,
                        sl__err *err)
{
    if (!d || sl__setting_number_ok(d, v))
        return SL_OK;
    char range[128], val[64];
    sl__fmt_double_exact(v, val, sizeof val);
    if (d->type == SL_SET_INT)
        snprintf(val, sizeof val, "%.0f", v);
    return sl__cfg_error(cfg, s, err, SL_ECONFIG,
                         "%s%s is out of range: it must be %s%s%s (%s); "
                         "change it to a value in that range",
                         what, val, sl__setting_range_text(d, range,
                                                          sizeof range),
                         d->unit && strcmp(d->unit, "1") ? " " : "",
                         d->unit && strcmp(d->unit, "1") ? d->unit : "",
                         d->doc ? d->doc : d->name);
}

/* Record an applied default as a flat row (key and alias of base.key). */
static void record_default(sl__config *cfg, sl__setting *base,
                           const char *key, const char *type,
                           const char *text, double num, int has_num)
{
    char *k = NULL, *alias = NULL;
    if (!text || sl__flat_key(base ? base : config_root_setting(&cfg->cf),
                              key, &k, &alias) != SL_OK)
        return;
    for (size_t i = 0; i < cfg->n_dflt; i++)
        if (strcmp(cfg->dflt[i].key, k) == 0) {
            free(k);
            free(alias);
            return;
        }
    if (cfg->n_dflt == cfg->cap_dflt) {
        size_t cap = cfg->cap_dflt ? 2 * cfg->cap_dflt : 32;
        sl__kv *v = realloc(cfg->dflt, cap * sizeof *v);
        if (!v) {
            free(k);
            free(alias);
            return;
        }
        cfg->dflt = v;
        cfg->cap_dflt = cap;
    }
    sl__kv kv = {k, alias, type, strdup(text), num, has_num};
    if (!kv.text) {
        free(k);
        free(alias);
        return;
    }
    cfg->dflt[cfg->n_dflt++] = kv;
}

static void record_number(sl__config *cfg, sl__setting *base,
                          const char *key, const char *type, double v)
{
    char buf[64];
    if (strcmp(type, "int") == 0)
        snprintf(buf, sizeof buf, "%.0f", v);
    else if (strcmp(type, "bool") == 0)
        snprintf(buf, sizeof buf, "%s", v != 0 ? "true" : "false");
    else if (isfinite(v))
        sl__fmt_double_exact(v, buf, sizeof buf);
    else
        return; /* "no value" sentinels are not settings */
    record_default(cfg, base, key, type, buf, v, 1);
}

const sl__kv *sl__config_defaults(sl__config *cfg, size_t *n)
{
    *n = cfg->n_dflt;
    return cfg->dflt;
}

int sl__cfg_int(sl__config *cfg, sl__setting *base, const char *key,
                int64_t def, int64_t *out, sl__err *err)
{
    config_setting_t *s;
    const sl_setting *d;
    *out = def;
    int rc = lookup(cfg, base, key, WANT_INT, &s, &d, err);
    if (rc)
        return rc;
    double dd;
    if (d && sl__setting_def_number(d, &dd) && dd != (double)def) {
        char g[32];
        snprintf(g, sizeof g, "%lld", (long long)def);
        return def_mismatch(cfg, base, key, d, g, err);
    }
    if (!s) {
        record_number(cfg, base, key, "int", (double)def);
        return SL_OK;
    }
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
        return sl__cfg_error(cfg, s, err, SL_ECONFIG,
                             "expected an integer, found %s", type_name(t));
    *out = config_setting_get_int64(s);
    return check_number(cfg, s, d, (double)*out, "", err);
}

static int number_of(config_setting_t *s, double *out)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        *out = (double)config_setting_get_int64(s);
        return 1;
    case CONFIG_TYPE_FLOAT:
        *out = config_setting_get_float(s);
        return 1;
    default:
        return 0;
    }
}

/* The reader's default against the table's: a float getter's default
 * that differs from the declared one is the reader's bug (SL_ECONFIG with
 * both values), SL_OK otherwise. */
static int check_float_def(sl__config *cfg, sl__setting *base,
                           const char *key, const sl_setting *d, double def,
                           sl__err *err)
{
    double dd;
    if (!d || !sl__setting_def_number(d, &dd) || dd == def ||
        (isnan(dd) && isnan(def)))
        return SL_OK;
    char g[64];
    sl__fmt_double_exact(def, g, sizeof g);
    return def_mismatch(cfg, base, key, d, g, err);
}

int sl__cfg_float(sl__config *cfg, sl__setting *base, const char *key,
                  double def, double *out, sl__err *err)
{
    config_setting_t *s;
    const sl_setting *d;
    *out = def;
    int rc = lookup(cfg, base, key, WANT_FLOAT, &s, &d, err);
    if (rc)
        return rc;
    if ((rc = check_float_def(cfg, base, key, d, def, err)))
        return rc;
    if (!s) {
        record_number(cfg, base, key, "float", def);
        return SL_OK;
    }
    if (!number_of(s, out))
        return sl__cfg_error(cfg, s, err, SL_ECONFIG,
                             "expected a number, found %s",
                             type_name(config_setting_type(s)));
    if (!isfinite(*out))
        return sl__cfg_error(cfg, s, err, SL_ECONFIG, "must be finite");
    return check_number(cfg, s, d, *out, "", err);
}

int sl__cfg_bool(sl__config *cfg, sl__setting *base, const char *key, int def,
                 int *out, sl__err *err)
{
    config_setting_t *s;
    const sl_setting *d;
    *out = def;
    int rc = lookup(cfg, base, key, WANT_BOOL, &s, &d, err);
    if (rc)
        return rc;
    double dd;
    if (d && sl__setting_def_number(d, &dd) && (dd != 0) != (def != 0))
        return def_mismatch(cfg, base, key, d, def ? "true" : "false", err);
    if (!s) {
        record_number(cfg, base, key, "bool", def ? 1.0 : 0.0);
        return SL_OK;
    }
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return sl__cfg_error(cfg, s, err, SL_ECONFIG,
                             "expected true or false, found %s",
                             type_name(config_setting_type(s)));
    *out = config_setting_get_bool(s);
    return SL_OK;
}

int sl__cfg_string(sl__config *cfg, sl__setting *base, const char *key,
                   const char *def, const char **out, sl__err *err)
{
    config_setting_t *s;
    const sl_setting *d;
    *out = def;
    int rc = lookup(cfg, base, key, WANT_STRING, &s, &d, err);
    if (rc)
        return rc;
    if (d && d->def && d->type == SL_SET_STRING &&
        (!def || strcmp(def, d->def) != 0))
        return def_mismatch(cfg, base, key, d, def ? def : "none", err);
    if (!s) {
        if (def)
            record_default(cfg, base, key, "string", def, 0, 0);
        return SL_OK;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return sl__cfg_error(cfg, s, err, SL_ECONFIG,
                             "expected a string, found %s",
                             type_name(config_setting_type(s)));
    *out = config_setting_get_string(s);
    if (d && d->type == SL_SET_STRING && !sl__setting_choice_ok(d, *out)) {
        char range[256];
        return sl__cfg_error(cfg, s, err, SL_ECONFIG,
                             "\"%s\" is not allowed: it must be %s (%s)",
                             *out, sl__setting_range_text(d, range,
                                                          sizeof range),
                             d->doc ? d->doc : d->name);
    }
    return SL_OK;
}

int sl__cfg_floatvec(sl__config *cfg, sl__setting *base, const char *key,
                     double def, float *out, size_t n, sl__err *err)
{
    config_setting_t *s;
    const sl_setting *d;
    int rc = lookup(cfg, base, key, WANT_FLOATS, &s, &d, err);
    if (rc)
        return rc;
    if ((rc = check_float_def(cfg, base, key, d, def, err)))
        return rc;
    double v = def;
    if (s && config_setting_is_aggregate(s) &&
        config_setting_type(s) != CONFIG_TYPE_GROUP) {
        size_t len = (size_t)config_setting_length(s);
        if (len != n)
            return sl__cfg_error(cfg, s, err, SL_ECONFIG,
                                 "expected one number or a list of %zu "
                                 "(one per neuron), found %zu values",
                                 n, len);
        for (size_t i = 0; i < n; i++) {
            config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            if (!number_of(e, &v) || !isfinite(v))
                return sl__cfg_error(cfg, s, err, SL_ECONFIG,
                                     "element %zu is not a finite number", i);
            char what[48];
            snprintf(what, sizeof what, "element %zu = ", i);
            if ((rc = check_number(cfg, s, d, v, what, err)))
                return rc;
            out[i] = (float)v;
        }
        return SL_OK;
    }
    if (s && (!number_of(s, &v) || !isfinite(v)))
        return sl__cfg_error(cfg, s, err, SL_ECONFIG,
                             "expected a number or a list of %zu numbers, "
                             "found %s", n, type_name(config_setting_type(s)));
    if (s && (rc = check_number(cfg, s, d, v, "", err)))
        return rc;
    if (!s)
        record_number(cfg, base, key, "float", def);
    for (size_t i = 0; i < n; i++)
        out[i] = (float)v;
    return SL_OK;
}

int sl__config_declare(sl__config *cfg, sl__setting *group,
                       const sl__decl *decl)
{
    if (!group)
        group = config_root_setting(&cfg->cf);
    mark *m = get_mark(cfg, group, 1);
    if (!m)
        return SL_ENOMEM;
    m->decl = *decl;
    m->has_decl = 1;
    return SL_OK;
}

int sl__config_mark_generated(sl__config *cfg, sl__setting *s)
{
    mark *m = get_mark(cfg, s, 1);
    if (!m)
        return SL_ENOMEM;
    m->generated = 1;
    return SL_OK;
}

int sl__config_is_generated(sl__config *cfg, sl__setting *s)
{
    mark *m = s ? get_mark(cfg, s, 0) : NULL;
    return m && m->generated;
}

sl__setting *sl__config_section(sl__config *cfg, const char *name)
{
    config_setting_t *g = config_lookup(&cfg->cf, name);
    if (g)
        return g;
    if (!cfg->has_shadow) {
        config_init(&cfg->shadow);
        cfg->has_shadow = 1;
    }
    g = config_lookup(&cfg->shadow, name);
    if (!g)
        g = config_setting_add(config_root_setting(&cfg->shadow), name,
                               CONFIG_TYPE_GROUP);
    return g;
}

/* ---- unknown keys ---------------------------------------------------- */

/* "did you mean NAME?" for an unknown key `rel` (relative to the table's
 * group): the nearest declared name with the same dotted prefix, else the
 * nearest key read in the same group. */
static void suggestion(const sl__decl *d, config_setting_t *parent,
                       const char *rel, char *out, size_t len)
{
    const char *leaf = strrchr(rel, '.');
    leaf = leaf ? leaf + 1 : rel;
    size_t plen = (size_t)(leaf - rel);
    sl__suggest sg;
    sl__suggest_init(&sg, leaf, 0);
    const sl_setting *tables[2] = {d ? d->own : NULL, d ? d->common : NULL};
    size_t ns[2] = {d ? d->n_own : 0, d ? d->n_common : 0};
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; tables[t] && i < ns[t]; i++) {
            const char *nm = sl__decl_at(tables[t], i)->name;
            if (nm && strncmp(nm, rel, plen) == 0 && !strchr(nm + plen, '.'))
                sl__suggest_add(&sg, nm + plen);
        }
    for (int i = 0; parent && i < config_setting_length(parent); i++) {
        config_setting_t *e = config_setting_get_elem(parent, (unsigned)i);
        mark *m = config_setting_get_hook(e);
        if (m && m->used && config_setting_name(e))
            sl__suggest_add(&sg, config_setting_name(e));
    }
    if (sg.best)
        snprintf(out, len, "; did you mean %s?", sg.best);
    else
        out[0] = '\0';
}

static int unknown(sl__config *cfg, config_setting_t *s, const sl__decl *d,
                   const char *rel, int declared, sl__err *err)
{
    char hint[160];
    suggestion(d, config_setting_parent(s), rel, hint, sizeof hint);
    char whob[200];
    const char *who = NULL;
    if (d && d->owner) {
        snprintf(whob, sizeof whob, d->plugin ? "component '%s'" : "%s",
                 d->owner);
        who = whob;
    }
    if (declared)
        return sl__cfg_error(cfg, s, err, SL_ECONFIG,
                             "set but not used: %s declares it, but does not "
                             "read it with these settings (remove it)",
                             who ? who : "its section");
    if (who && d->own)
        return sl__cfg_error(cfg, s, err, SL_ECONFIG,
                             "unknown setting%s (%s does not declare it; "
                             "`spikelab plugins %s` lists its settings)",
                             hint, who, d->plugin ? d->owner : "--markdown");
    return sl__cfg_error(cfg, s, err, SL_ECONFIG,
                         "unknown setting%s (nothing reads it; check the "
                         "spelling and the component's settings)", hint);
}

static int is_group_list(config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_LIST &&
           config_setting_length(s) > 0 &&
           config_setting_type(config_setting_get_elem(s, 0)) ==
               CONFIG_TYPE_GROUP;
}

/* s with d the table of the nearest group above it that has one (NULL:
 * none) and rel its name relative to that group ("" for s itself). */
static int check_unused(sl__config *cfg, config_setting_t *s,
                        const sl__decl *d, const char *rel, sl__err *err)
{
    mark *m = config_setting_get_hook(s);
    if (m && m != &used_sentinel && m->has_decl) {
        d = &m->decl;
        rel = "";
    }
    int used = m && m->used;
    int t = config_setting_type(s);
    int n = config_setting_length(s);
    int tabled = d && d->own;
    if (t == CONFIG_TYPE_GROUP) {
        for (int i = 0; i < n; i++) {
            config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            char name[512];
            snprintf(name, sizeof name, "%s%s%s", rel, rel[0] ? "." : "",
                     config_setting_name(e));
            mark *em = config_setting_get_hook(e);
            int rc;
            if (em && em != &used_sentinel && em->has_decl) {
                rc = check_unused(cfg, e, NULL, "", err);
            } else if (tabled) {
                const sl_setting *ds = sl__decl_find(d, name);
                if (!ds)
                    return unknown(cfg, e, d, name, 0, err);
                if (ds->type == SL_SET_GROUP && sl__decl_has_members(d, name))
                    rc = check_unused(cfg, e, d, name, err);
                else if (ds->type == SL_SET_GROUP || is_group_list(e))
                    rc = check_unused(cfg, e, NULL, "", err);
                else if (!(em && em->used))
                    return unknown(cfg, e, d, name, 1, err);
                else
                    rc = SL_OK;
            } else {
                rc = check_unused(cfg, e, d, name, err);
            }
            if (rc)
                return rc;
        }
        return SL_OK;
    }
    if (is_group_list(s)) {
        for (int i = 0; i < n; i++) {
            int rc = check_unused(cfg, config_setting_get_elem(s, (unsigned)i),
                                  NULL, "", err);
            if (rc)
                return rc;
        }
        return SL_OK;
    }
    if (used || !config_setting_parent(s))
        return SL_OK;
    return unknown(cfg, s, d, rel[0] ? rel : config_setting_name(s)
                                               ? config_setting_name(s)
                                               : "", 0, err);
}

int sl__config_check_unused(sl__config *cfg, sl__err *err)
{
    return check_unused(cfg, config_root_setting(&cfg->cf), NULL, "", err);
}

/* ---- overrides ------------------------------------------------------- */

/* Copy src (parsed literal) into a new member/element of parent. */
static config_setting_t *copy_into(config_setting_t *parent, const char *name,
                                   config_setting_t *src)
{
    int t = config_setting_type(src);
    config_setting_t *d = config_setting_add(parent, name, t);
    if (!d)
        return NULL;
    switch (t) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        config_setting_set_int64(d, config_setting_get_int64(src));
        break;
    case CONFIG_TYPE_FLOAT:
        config_setting_set_float(d, config_setting_get_float(src));
        break;
    case CONFIG_TYPE_BOOL:
        config_setting_set_bool(d, config_setting_get_bool(src));
        break;
    case CONFIG_TYPE_STRING:
        config_setting_set_string(d, config_setting_get_string(src));
        break;
    default:
        for (int i = 0; i < config_setting_length(src); i++) {
            config_setting_t *e = config_setting_get_elem(src, (unsigned)i);
            if (!copy_into(d, config_setting_name(e), e))
                return NULL;
        }
    }
    return d;
}

int sl__config_override(sl__config *cfg, const char *assignment, sl__err *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return sl__fail(err, SL_ECONFIG,
                        "command line '%s': expected key=value "
                        "(e.g. train.epochs=100)", assignment);
    size_t klen = (size_t)(eq - assignment);
    /* libconfig reads true and false (any case) as booleans wherever a
     * name is expected, so a setting of that name would be written into
     * the effective configuration and never load again (rerun, export):
     * refused here, as a file holding it is refused by the parser. Found
     * by fuzz_config (tests/fuzz/corpus/fuzz_config/keyword-name). */
    for (const char *c = assignment; c < eq;) {
        const char *e = c;
        while (e < eq && *e != '.')
            e++;
        size_t n = (size_t)(e - c);
        if ((n == 4 && !strncasecmp(c, "true", 4)) ||
            (n == 5 && !strncasecmp(c, "false", 5)))
            return sl__fail(err, SL_ECONFIG,
                            "command line '%s': '%.*s' cannot name a "
                            "setting (it reads as a boolean)", assignment,
                            (int)n, c);
        c = e < eq ? e + 1 : e;
    }
    char *key = strndup(assignment, klen);
    const char *raw = eq + 1;
    config_t lit;
    config_init(&lit);
    char *src = malloc(strlen(raw) + 16);
    /* a plain decimal integer beyond 32 bits on the command line is read
     * as 64-bit, so seed=4294967296 means what it says (libconfig would
     * wrap it) */
    size_t dl = raw[0] == '-' ? 1 : 0;
    while (isdigit((unsigned char)raw[dl]))
        dl++;
    int neg = raw[0] == '-';
    int wide = raw[dl] == '\0' && dl > (size_t)neg &&
               !int_fits_32(raw + neg, dl - (size_t)neg, neg, 0);
    sprintf(src, "v = %s%s;", raw, wide ? "L" : "");
    config_setting_t *val = NULL;
    /* One value, nothing else: 'train.epochs=5; foo = 1' parsed as two
     * settings and kept the first silently; a comment cut the value; a
     * line break could start an @include. A literal beyond 32 or 64 bits
     * is refused as in a file. */
    int rc = SL_OK;
    if (strpbrk(raw, "\n\r")) {
        rc = sl__fail(err, SL_ECONFIG, "command line '%s': a value spans "
                      "lines; give one value per override", assignment);
        goto out_lit;
    }
    if (config_read_string(&lit, src) == CONFIG_TRUE) {
        val = config_lookup(&lit, "v");
        /* a ';' inside a group value ('export={type="x";}') is its own */
        int stray = config_setting_length(config_root_setting(&lit)) != 1;
        int depth = 0;
        for (const char *c = raw; !stray && *c; c++) {
            if (*c == '"') {
                for (c++; *c && *c != '"'; c++)
                    if (*c == '\\' && c[1])
                        c++;
                if (!*c)
                    break;
            } else if (*c == '{' || *c == '[' || *c == '(') {
                depth++;
            } else if (*c == '}' || *c == ']' || *c == ')') {
                depth--;
            } else if ((*c == ';' && depth <= 0) || *c == '#' ||
                       (*c == '/' && (c[1] == '/' || c[1] == '*'))) {
                stray = 1;
            }
        }
        if (stray) {
            rc = sl__fail(err, SL_ECONFIG, "command line '%s': more than "
                          "one value after '=' (a ';', a second setting or "
                          "a comment); give each setting as its own "
                          "KEY=VALUE argument", assignment);
            goto out_lit;
        }
        if ((rc = scan_ints(src + 4, key, NULL, 0, assignment, err)))
            goto out_lit;
    }
    if (!val) {
        /* not a literal: a bare word is a string ("type=lif") */
        config_destroy(&lit);
        config_init(&lit);
        val = config_setting_add(config_root_setting(&lit), "v",
                                 CONFIG_TYPE_STRING);
        config_setting_set_string(val, raw);
    }
    /* walk to the parent, creating missing groups */
    config_setting_t *s = config_root_setting(&cfg->cf);
    char *p = key;
    config_setting_t *target = NULL;
    const char *leaf = NULL;
    for (;;) {
        char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        config_setting_t *next = step(s, p, len);
        if (!dot) {
            target = next;
            p[len] = '\0';
            leaf = p;
            break;
        }
        if (!next) {
            *dot = '\0';
            if (config_setting_type(s) != CONFIG_TYPE_GROUP ||
                !(next = config_setting_add(s, p, CONFIG_TYPE_GROUP))) {
                rc = sl__fail(err, SL_ECONFIG,
                              "command line '%s': cannot create '%s' here",
                              assignment, p);
                goto out;
            }
        }
        s = next;
        p = dot + 1;
    }
    int vt = config_setting_type(val);
    if (target) {
        int tt = config_setting_type(target);
        if (tt == CONFIG_TYPE_GROUP) {
            rc = sl__fail(err, SL_ECONFIG,
                          "command line '%s': '%s' is a group; set one of its "
                          "members, e.g. %s.KEY=VALUE", assignment, key, key);
            goto out;
        }
        int num_t = tt == CONFIG_TYPE_INT || tt == CONFIG_TYPE_INT64;
        int num_v = vt == CONFIG_TYPE_INT || vt == CONFIG_TYPE_INT64;
        if (tt == CONFIG_TYPE_STRING) {
            config_setting_set_string(target,
                vt == CONFIG_TYPE_STRING ? config_setting_get_string(val) : raw);
        } else if (num_t && num_v) {
            long long v = config_setting_get_int64(val);
            if (tt == CONFIG_TYPE_INT && (v > INT32_MAX || v < INT32_MIN) &&
                config_setting_name(target)) {
                /* an INT setting cannot hold it: replace it by an INT64 */
                config_setting_t *parent = config_setting_parent(target);
                config_setting_remove(parent, leaf);
                target = copy_into(parent, leaf, val);
            } else {
                config_setting_set_int64(target, v);
            }
        } else if (tt == CONFIG_TYPE_FLOAT &&
                   (num_v || vt == CONFIG_TYPE_FLOAT)) {
            double d = 0;
            number_of(val, &d);
            config_setting_set_float(target, d);
        } else if (tt == CONFIG_TYPE_BOOL && vt == CONFIG_TYPE_BOOL) {
            config_setting_set_bool(target, config_setting_get_bool(val));
        } else if ((tt == CONFIG_TYPE_ARRAY || tt == CONFIG_TYPE_LIST) &&
                   config_setting_name(target) &&
                   (vt == CONFIG_TYPE_ARRAY || vt == CONFIG_TYPE_LIST)) {
            config_setting_t *parent = config_setting_parent(target);
            config_setting_remove(parent, leaf);
            target = copy_into(parent, leaf, val);
        } else {
            char where[512];
            rc = sl__fail(err, SL_ECONFIG,
                          "command line '%s': %s (set at %s) expects %s, "
                          "got %s", assignment, key,
                          sl__cfg_where(cfg, target, where, sizeof where),
                          type_name(tt), type_name(vt));
            goto out;
        }
    } else {
        if (config_setting_type(s) != CONFIG_TYPE_GROUP ||
            !(target = copy_into(s, leaf, val))) {
            rc = sl__fail(err, SL_ECONFIG,
                          "command line '%s': cannot add '%s' (not a valid "
                          "key name, or its parent is not a group)",
                          assignment, key);
            goto out;
        }
    }
    if (target) {
        mark *m = get_mark(cfg, target, 1);
        if (m) {
            free(m->override);
            m->override = strdup(assignment);
        }
    }
out:
out_lit:
    config_destroy(&lit);
    free(src);
    free(key);
    return rc;
}

/* ---- dump ------------------------------------------------------------ */

static void dump(FILE *f, config_setting_t *s, int depth)
{
    int t = config_setting_type(s);
    const char *nm = config_setting_name(s);
    config_setting_t *parent = config_setting_parent(s);
    int in_group = parent && config_setting_type(parent) == CONFIG_TYPE_GROUP;
    if (parent)
        fprintf(f, "%*s", depth * 2, "");
    if (in_group && nm)
        fprintf(f, "%s = ", nm);
    switch (t) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
    {
        /* libconfig reads a literal beyond 32 bits back only with 'L' */
        long long v = (long long)config_setting_get_int64(s);
        fprintf(f, "%lld%s", v, (v > INT32_MAX || v < INT32_MIN) ? "L" : "");
    }
        break;
    case CONFIG_TYPE_FLOAT: {
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", config_setting_get_float(s));
        if (!strpbrk(buf, ".eEn"))
            strcat(buf, ".0");
        fputs(buf, f);
        break;
    }
    case CONFIG_TYPE_BOOL:
        fputs(config_setting_get_bool(s) ? "true" : "false", f);
        break;
    case CONFIG_TYPE_STRING:
        fputc('"', f);
        for (const char *c = config_setting_get_string(s); *c; c++) {
            if (*c == '"' || *c == '\\')
                fputc('\\', f);
            if (*c == '\n')
                fputs("\\n", f);
            else
                fputc(*c, f);
        }
        fputc('"', f);
        break;
    default: {
        const char *open = t == CONFIG_TYPE_GROUP ? "{" : t == CONFIG_TYPE_ARRAY ? "[" : "(";
        const char *close = t == CONFIG_TYPE_GROUP ? "}" : t == CONFIG_TYPE_ARRAY ? "]" : ")";
        int n = config_setting_length(s);
        if (parent)
            fprintf(f, "%s\n", open);
        for (int i = 0; i < n; i++) {
            config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            mark *em = config_setting_get_hook(e);
            if (t == CONFIG_TYPE_GROUP && em && em != &used_sentinel &&
                em->generated)
                continue; /* re-made from its source when loaded again */
            dump(f, e, parent ? depth + 1 : 0);
            if (t != CONFIG_TYPE_GROUP && i + 1 < n)
                fputc(',', f);
            fputc('\n', f);
        }
        if (parent)
            fprintf(f, "%*s%s", depth * 2, "", close);
    }
    }
    if (in_group)
        fputc(';', f);
}

char *sl__config_dump(sl__config *cfg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    dump(f, config_root_setting(&cfg->cf), 0);
    fclose(f);
    return buf;
}
