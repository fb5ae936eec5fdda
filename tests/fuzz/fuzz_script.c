/* fuzz_script: the scenario script parser (cli/script.c) and its $NAME
 * expansion.  Any text parses or is refused with a line and column inside
 * it and a message; every word of a parsed script has a position and
 * expands or names an offset inside itself; nothing leaks. */
#include <string.h>

#include "fuzz.h"
#include "../../cli/script.h"

static const char *script_fz_lookup(void *ctx, const char *name)
{
    (void)ctx;
    return strlen(name) % 3 ? "10.0.0.1" : NULL; /* some names known, some not */
}

static void script_fz_words(const struct sc_node *n, int depth)
{
    static char out[SC_MAX_EXPANDED];
    FZ_CHECK(depth < SC_MAX_DEPTH, "blocks nested %d deep", depth);
    for (; n; n = n->next) {
        FZ_CHECK(n->nw > 0 && n->line >= 1 && n->col >= 1, "a statement without words or position");
        for (int i = 0; i < n->nw; i++) {
            size_t bad = 0, len = strlen(n->w[i].text);
            int rc = sc_expand(n->w[i].text, script_fz_lookup, NULL, out, sizeof out, &bad);
            FZ_CHECK(rc >= -3, "sc_expand returned %d", rc);
            FZ_CHECK(!(rc == -1 || rc == -3) || bad < len, "error offset %zu outside the word (%zu)", bad, len);
            FZ_CHECK(n->w[i].line >= n->line && n->w[i].col >= 1, "a word before its statement");
        }
        script_fz_words(n->child, depth + 1);
    }
}

static int FUZZ_NAME(script)(const uint8_t *data, size_t size)
{
    struct script s;
    struct sc_error e;
    if (sc_parse((const char *)data, size, &s, &e) < 0) {
        size_t lines = 1;
        for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
        FZ_CHECK(e.line >= 1 && (size_t)e.line <= lines && e.col >= 1 && e.msg[0], "error at %d:%d '%s' (%zu lines)",
                 e.line, e.col, e.msg, lines);
        FZ_CHECK(!s.first, "a refused script keeps a tree");
        return 0;
    }
    script_fz_words(s.first, 0);
    sc_free(&s);
    return 0;
}
FUZZ_ENTRY(script)
