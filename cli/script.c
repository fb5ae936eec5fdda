/* The scenario script parser: words as a shell splits them, statements one
 * per line, blocks between `{` and `}`.  See script.h. */
#include "script.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sc_lexer {
    const char *p, *end;
    int line, col;
    struct sc_error *err;
    char word[SC_MAX_EXPANDED];
    size_t wlen;
};

static int sc_fail(struct sc_error *e, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int sc_fail(struct sc_error *e, int line, int col, const char *fmt, ...)
{
    e->line = line;
    e->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static bool sc_at_end(const struct sc_lexer *L) { return L->p >= L->end; }
static char sc_peek(const struct sc_lexer *L, size_t k) { return L->p + k < L->end ? L->p[k] : 0; }

static void sc_adv(struct sc_lexer *L)
{
    if (*L->p == '\n') { L->line++; L->col = 1; }
    else L->col++;
    L->p++;
}

/* A newline, or CR LF (scripts written on Windows). */
static size_t sc_eol_len(const struct sc_lexer *L)
{
    if (sc_peek(L, 0) == '\n') return 1;
    if (sc_peek(L, 0) == '\r' && sc_peek(L, 1) == '\n') return 2;
    return 0;
}

static void sc_skip_eol(struct sc_lexer *L)
{
    for (size_t n = sc_eol_len(L); n; n--) sc_adv(L);
}

/* Raw control bytes have no business in a script, and refusing them keeps
 * SC_LITERAL_DOLLAR unambiguous. */
static int sc_check_byte(struct sc_lexer *L)
{
    unsigned char c = (unsigned char)*L->p;
    if (c >= 0x20 || c == '\t' || c == '\n' || (c == '\r' && sc_peek(L, 1) == '\n')) return 0;
    return sc_fail(L->err, L->line, L->col, "control byte 0x%02x (write it as an escape the command reads, like \\x%02x)", c, c);
}

/* A literal byte of the word (a literal $ is marked as such). */
static int sc_put(struct sc_lexer *L, char c)
{
    if (L->wlen + 1 >= sizeof L->word)
        return sc_fail(L->err, L->line, L->col, "a word longer than %d bytes", SC_MAX_EXPANDED - 1);
    L->word[L->wlen++] = c == '$' ? SC_LITERAL_DOLLAR : c;
    return 0;
}

/* The $ of a $NAME reference, expanded when the statement runs. */
static int sc_put_ref(struct sc_lexer *L)
{
    if (sc_put(L, 'x') < 0) return -1;
    L->word[L->wlen - 1] = '$';
    return 0;
}

/* '...': everything literal up to the closing quote on the same line. */
static int sc_single_quoted(struct sc_lexer *L, int line, int col)
{
    sc_adv(L);
    for (;;) {
        if (sc_at_end(L) || sc_eol_len(L)) return sc_fail(L->err, line, col, "unterminated ' quote");
        if (sc_check_byte(L) < 0) return -1;
        if (*L->p == '\'') { sc_adv(L); return 0; }
        if (sc_put(L, *L->p) < 0) return -1;
        sc_adv(L);
    }
}

static int sc_put_ref_or_byte(struct sc_lexer *L, char c) { return c == '$' ? sc_put_ref(L) : sc_put(L, c); }

/* "...": \" \\ \$ escape, $NAME expands, any other backslash is kept. */
static int sc_double_quoted(struct sc_lexer *L, int line, int col)
{
    sc_adv(L);
    for (;;) {
        if (sc_at_end(L) || sc_eol_len(L)) return sc_fail(L->err, line, col, "unterminated \" quote");
        if (sc_check_byte(L) < 0) return -1;
        char c = *L->p;
        if (c == '"') { sc_adv(L); return 0; }
        if (c == '\\' && (sc_peek(L, 1) == '"' || sc_peek(L, 1) == '\\' || sc_peek(L, 1) == '$')) {
            sc_adv(L);
            if (sc_put(L, *L->p) < 0) return -1;
        } else if (sc_put_ref_or_byte(L, c) < 0) {
            return -1;
        }
        sc_adv(L);
    }
}

static bool sc_is_blank(char c) { return c == ' ' || c == '\t'; }

/* One word, up to a blank, the end of the line or of the text. */
static int sc_read_word(struct sc_lexer *L, struct sc_word *w)
{
    L->wlen = 0;
    w->line = L->line;
    w->col = L->col;
    w->quoted = false;
    while (!sc_at_end(L) && !sc_is_blank(*L->p) && !sc_eol_len(L)) {
        if (sc_check_byte(L) < 0) return -1;
        char c = *L->p;
        int rc = 0;
        if (c == '\'') { w->quoted = true; rc = sc_single_quoted(L, L->line, L->col); }
        else if (c == '"') { w->quoted = true; rc = sc_double_quoted(L, L->line, L->col); }
        else if (c == '\\' && sc_eol_len(&(struct sc_lexer){ .p = L->p + 1, .end = L->end })) {
            sc_adv(L);
            sc_skip_eol(L); /* a continuation inside a word joins it */
        } else if (c == '\\' && strchr(" \t'\"$#\\", sc_peek(L, 1)) && sc_peek(L, 1)) {
            sc_adv(L);
            rc = sc_put(L, *L->p);
            sc_adv(L);
        } else {
            rc = sc_put_ref_or_byte(L, c);
            sc_adv(L);
        }
        if (rc < 0) return -1;
    }
    L->word[L->wlen] = 0;
    if (!(w->text = malloc(L->wlen + 1))) return sc_fail(L->err, w->line, w->col, "out of memory");
    memcpy(w->text, L->word, L->wlen + 1);
    return 0;
}

static void sc_free_words(struct sc_word *w, int n)
{
    for (int i = 0; i < n; i++) free(w[i].text);
}

/* The words of the next statement (a logical line); *nw = 0 for a line with
 * none.  Returns 1 when a statement (or empty line) was read, 0 at the end. */
static int sc_read_statement(struct sc_lexer *L, struct sc_word *w, int *nw)
{
    *nw = 0;
    if (sc_at_end(L)) return 0;
    for (;;) {
        while (!sc_at_end(L) && sc_is_blank(*L->p)) sc_adv(L);
        if (sc_at_end(L)) return 1;
        if (sc_eol_len(L)) { sc_skip_eol(L); return 1; }
        if (*L->p == '#') {
            while (!sc_at_end(L) && *L->p != '\n') sc_adv(L);
            continue;
        }
        if (*L->p == '\\' && sc_eol_len(&(struct sc_lexer){ .p = L->p + 1, .end = L->end })) {
            sc_adv(L);
            sc_skip_eol(L);
            continue;
        }
        if (*nw == SC_MAX_WORDS) {
            sc_free_words(w, *nw);
            *nw = 0;
            return sc_fail(L->err, L->line, L->col, "more than %d words in one statement", SC_MAX_WORDS);
        }
        if (sc_read_word(L, &w[*nw]) < 0) { sc_free_words(w, *nw); *nw = 0; return -1; }
        (*nw)++;
    }
}

/* ------------------------------------------------------------ structure */

static const struct { const char *kw; enum sc_kind kind; } sc_keywords[] = {
    { "param", SC_PARAM }, { "host", SC_HOST }, { "start", SC_START }, { "seed", SC_SEED },
    { "gap", SC_GAP }, { "rtt", SC_RTT }, { "rate", SC_RATE }, { "wait", SC_WAIT }, { "at", SC_AT },
    { "repeat", SC_REPEAT }, { "for", SC_FOR }, { "parallel", SC_PARALLEL },
};

static bool sc_plain(const struct sc_word *w, const char *s) { return !w->quoted && !strcmp(w->text, s); }

bool sc_is_name(const char *s)
{
    size_t n = strlen(s);
    if (!n || n >= SC_MAX_NAME) return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_')) return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int sc_need_words(struct sc_error *e, const struct sc_word *w, int nw, int want, const char *usage)
{
    if (nw == want) return 0;
    const struct sc_word *at = nw > want ? &w[want] : &w[nw - 1];
    return sc_fail(e, at->line, nw > want ? at->col : at->col + (int)strlen(at->text), "%s: expected '%s'", w[0].text, usage);
}

static int sc_check_name(struct sc_error *e, const struct sc_word *w, const char *what)
{
    if (!w->quoted && sc_is_name(w->text)) return 0;
    return sc_fail(e, w->line, w->col, "'%s' is not a %s name (a letter or _, then letters, digits, _ or -)", w->text, what);
}

/* param NAME = VALUE, or param NAME=VALUE: kept as the words param NAME VALUE. */
static int sc_shape_param(struct sc_error *e, struct sc_word *w, int *nw)
{
    if (*nw == 2 && !w[1].quoted && strchr(w[1].text, '=')) {
        char *eq = strchr(w[1].text, '=');
        size_t vl = strlen(eq + 1);
        char *v = malloc(vl + 1);
        if (!v) return sc_fail(e, w[1].line, w[1].col, "out of memory");
        memcpy(v, eq + 1, vl + 1);
        *eq = 0;
        w[2] = (struct sc_word){ .text = v, .line = w[1].line, .col = w[1].col + (int)(eq - w[1].text) + 1 };
        *nw = 3;
    } else if (*nw == 4 && sc_plain(&w[2], "=")) {
        free(w[2].text);
        w[2] = w[3];
        *nw = 3;
    } else {
        const struct sc_word *at = *nw > 1 ? &w[1] : &w[0];
        return sc_fail(e, at->line, at->col, "param: expected 'param NAME = VALUE'");
    }
    return sc_check_name(e, &w[1], "parameter");
}

static int sc_shape_host(struct sc_error *e, const struct sc_word *w, int nw)
{
    if (nw < 3) return sc_fail(e, w[0].line, w[0].col, "host: expected 'host NAME ip=ADDR [mac=MAC] [vlan=ID]'");
    if (sc_check_name(e, &w[1], "host") < 0) return -1;
    bool ip = false;
    for (int i = 2; i < nw; i++) {
        const char *t = w[i].text;
        if (!strncmp(t, "ip=", 3)) ip = true;
        else if (strncmp(t, "mac=", 4) && strncmp(t, "vlan=", 5))
            return sc_fail(e, w[i].line, w[i].col, "host: '%s' is not ip=ADDR, mac=MAC or vlan=ID", t);
        for (int j = 2; j < i; j++) {
            size_t kl = (size_t)(strchr(t, '=') - t) + 1;
            if (!strncmp(w[j].text, t, kl)) return sc_fail(e, w[i].line, w[i].col, "host: %.*s given twice", (int)kl - 1, t);
        }
    }
    if (!ip) return sc_fail(e, w[0].line, w[0].col, "host %s: ip=ADDR is required", w[1].text);
    return 0;
}

static int sc_shape_repeat(struct sc_error *e, const struct sc_word *w, int nw)
{
    bool ok = (nw == 3 && sc_plain(&w[2], "{")) || (nw == 5 && sc_plain(&w[2], "as") && sc_plain(&w[4], "{"));
    if (!ok) return sc_fail(e, w[0].line, w[0].col, "repeat: expected 'repeat N {' or 'repeat N as VAR {'");
    return nw == 5 ? sc_check_name(e, &w[3], "variable") : 0;
}

static int sc_shape_for(struct sc_error *e, const struct sc_word *w, int nw)
{
    if (!(nw == 5 && sc_plain(&w[2], "in") && sc_plain(&w[4], "{")))
        return sc_fail(e, w[0].line, w[0].col, "for: expected 'for VAR in ITEM,ITEM,... {'");
    return sc_check_name(e, &w[1], "variable");
}

/* A command statement: COMMAND [FROM -> TO] [OPTION ...]. */
static int sc_shape_cmd(struct sc_error *e, const struct sc_word *w, int nw)
{
    const char *c = w[0].text;
    bool word = !w[0].quoted && *c;
    for (const char *p = c; *p && word; p++) word = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
    if (!word) return sc_fail(e, w[0].line, w[0].col, "'%s' is not a keyword or a command", c);
    for (int i = 1; i < nw; i++) {
        if (sc_plain(&w[i], "{"))
            return sc_fail(e, w[i].line, w[i].col, "only repeat, for and parallel open a block ('{' alone opens a sequence)");
        if (sc_plain(&w[i], "}")) return sc_fail(e, w[i].line, w[i].col, "'}' goes on a line of its own");
        if (sc_plain(&w[i], "->") && i != 2)
            return sc_fail(e, w[i].line, w[i].col, "'->' goes between FROM and TO, right after the command: %s FROM -> TO ...", c);
    }
    if (nw >= 3 && sc_plain(&w[2], "->") && nw < 4) return sc_fail(e, w[2].line, w[2].col, "'->' needs a TO after it");
    return 0;
}

/* What a statement is, and whether its words fit the keyword. */
static int sc_classify(struct sc_error *e, struct sc_word *w, int *nw, enum sc_kind *kind)
{
    *kind = SC_CMD;
    if (sc_plain(&w[0], "{")) {
        *kind = SC_BLOCK;
        return *nw == 1 ? 0 : sc_fail(e, w[1].line, w[1].col, "'{' opens a sequence on a line of its own");
    }
    for (size_t k = 0; k < sizeof sc_keywords / sizeof sc_keywords[0] && !w[0].quoted; k++) {
        if (strcmp(w[0].text, sc_keywords[k].kw)) continue;
        *kind = sc_keywords[k].kind;
        switch (*kind) {
        case SC_PARAM: return sc_shape_param(e, w, nw);
        case SC_HOST: return sc_shape_host(e, w, *nw);
        case SC_REPEAT: return sc_shape_repeat(e, w, *nw);
        case SC_FOR: return sc_shape_for(e, w, *nw);
        case SC_PARALLEL:
            return *nw == 2 && sc_plain(&w[1], "{") ? 0 : sc_fail(e, w[0].line, w[0].col, "parallel: expected 'parallel {'");
        case SC_START: return sc_need_words(e, w, *nw, 2, "start TIME");
        case SC_SEED: return sc_need_words(e, w, *nw, 2, "seed N");
        case SC_GAP: return sc_need_words(e, w, *nw, 2, "gap DURATION");
        case SC_RTT: return sc_need_words(e, w, *nw, 2, "rtt DURATION");
        case SC_RATE: return sc_need_words(e, w, *nw, 2, "rate PPS");
        case SC_WAIT: return sc_need_words(e, w, *nw, 2, "wait DURATION");
        case SC_AT: return sc_need_words(e, w, *nw, 2, "at OFFSET");
        default: return 0;
        }
    }
    return sc_shape_cmd(e, w, *nw);
}

static void sc_free_nodes(struct sc_node *n)
{
    while (n) {
        struct sc_node *next = n->next;
        sc_free_nodes(n->child);
        sc_free_words(n->w, n->nw);
        free(n->w);
        free(n);
        n = next;
    }
}

void sc_free(struct script *s)
{
    sc_free_nodes(s->first);
    s->first = NULL;
    s->nodes = 0;
}

struct sc_level {
    struct sc_node *block;  /* NULL at the top */
    struct sc_node **tail;
};

/* The new node owns the words from here on; NULL when out of memory. */
static struct sc_node *sc_add_node(struct script *s, struct sc_level *lv, const struct sc_word *w, int nw, enum sc_kind kind,
                                struct sc_error *e)
{
    struct sc_node *n = calloc(1, sizeof *n);
    struct sc_word *copy = malloc(sizeof *copy * (size_t)nw);
    if (!n || !copy) {
        free(n);
        free(copy);
        sc_fail(e, w[0].line, w[0].col, "out of memory");
        return NULL;
    }
    memcpy(copy, w, sizeof *copy * (size_t)nw);
    *n = (struct sc_node){ .kind = kind, .line = w[0].line, .col = w[0].col, .w = copy, .nw = nw };
    *lv->tail = n;
    lv->tail = &n->next;
    s->nodes++;
    return n;
}

static bool sc_opens_block(enum sc_kind k) { return k == SC_REPEAT || k == SC_FOR || k == SC_PARALLEL || k == SC_BLOCK; }
static bool sc_top_only(enum sc_kind k) { return k == SC_PARAM || k == SC_HOST || k == SC_START || k == SC_SEED; }

/* One statement into the tree: `}` closes, a block opener descends.  On
 * failure the caller still owns (and frees) the words. */
static int sc_place(struct script *s, struct sc_level *lv, int *depth, struct sc_word *w, int *nw, struct sc_error *e)
{
    if (sc_plain(&w[0], "}")) {
        if (*nw != 1) return sc_fail(e, w[1].line, w[1].col, "'}' goes on a line of its own");
        if (!*depth) return sc_fail(e, w[0].line, w[0].col, "'}' without a block to close");
        sc_free_words(w, *nw);
        (*depth)--;
        return 0;
    }
    enum sc_kind kind;
    if (sc_classify(e, w, nw, &kind) < 0) return -1;
    if (*depth && sc_top_only(kind))
        return sc_fail(e, w[0].line, w[0].col, "%s belongs at the top level of the script, not inside a block", w[0].text);
    if (sc_opens_block(kind) && *depth + 1 >= SC_MAX_DEPTH)
        return sc_fail(e, w[0].line, w[0].col, "blocks nested more than %d deep", SC_MAX_DEPTH - 1);
    struct sc_node *n = sc_add_node(s, &lv[*depth], w, *nw, kind, e);
    if (!n) return -1;
    if (!sc_opens_block(kind)) return 0;
    (*depth)++;
    lv[*depth] = (struct sc_level){ .block = n, .tail = &n->child };
    return 0;
}

int sc_parse(const char *text, size_t len, struct script *s, struct sc_error *err)
{
    memset(s, 0, sizeof *s);
    memset(err, 0, sizeof *err);
    if (len > SC_MAX_BYTES) return sc_fail(err, 1, 1, "the script is larger than %u bytes", SC_MAX_BYTES);
    static struct sc_lexer L; /* the word buffer is large: not on the stack */
    L = (struct sc_lexer){ .p = text, .end = text + len, .line = 1, .col = 1, .err = err };
    static struct sc_word w[SC_MAX_WORDS + 1];
    struct sc_level lv[SC_MAX_DEPTH];
    lv[0] = (struct sc_level){ .block = NULL, .tail = &s->first };
    int depth = 0, nw, rc;
    while ((rc = sc_read_statement(&L, w, &nw)) > 0) {
        if (!nw) continue;
        if (sc_place(s, lv, &depth, w, &nw, err) < 0) {
            sc_free_words(w, nw);
            rc = -1;
            break;
        }
    }
    if (rc < 0) {
        sc_free(s);
        return -1;
    }
    if (depth) {
        int line = lv[depth].block->line, col = lv[depth].block->col;
        sc_free(s);
        return sc_fail(err, line, col, "this block is not closed: a '}' is missing");
    }
    return 0;
}

/* ------------------------------------------------------------ expansion */

int sc_expand(const char *in, sc_lookup_fn lookup, void *ctx, char *out, size_t cap, size_t *bad)
{
    size_t n = 0;
    for (const char *p = in; *p;) {
        if (*p != '$') {
            if (n + 1 >= cap) return -2;
            out[n++] = *p == SC_LITERAL_DOLLAR ? '$' : *p;
            p++;
            continue;
        }
        bool brace = p[1] == '{';
        const char *s = p + 1 + brace, *q = s;
        while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_' ||
               (brace && *q == '-'))
            q++;
        if (q == s || (brace && *q != '}')) { *bad = (size_t)(p - in); return -3; }
        char name[SC_MAX_NAME];
        if ((size_t)(q - s) >= sizeof name) { *bad = (size_t)(p - in); return -1; }
        memcpy(name, s, (size_t)(q - s));
        name[q - s] = 0;
        const char *v = lookup(ctx, name);
        if (!v) { *bad = (size_t)(p - in); return -1; }
        size_t vl = strlen(v);
        if (n + vl + 1 > cap) return -2;
        memcpy(out + n, v, vl);
        n += vl;
        p = q + brace;
    }
    out[n] = 0;
    return (int)n;
}
