/* Scenario scripts for `pktcraft run`: the text format's parser.
 *
 * A script is a list of statements, one per line (a trailing backslash
 * joins the next line; `#` at the start of a word begins a comment).
 * Words split on blanks as a shell splits them: '...' keeps everything
 * literally, "..." lets $NAME expand, a backslash before a blank, a quote,
 * `$`, `#` or another backslash escapes it and any other backslash is kept
 * (so --data 'GET /\r\n' reaches the command's own C escapes).
 *
 * The parser is pure: it allocates the tree, never exits and reports the
 * first error with its line and column, so it can be fuzzed; `cmd_run.c`
 * gives the statements their meaning.  What each keyword means is in the
 * README ("Scenario scripts"). */
#ifndef PKTCRAFT_CLI_SCRIPT_H
#define PKTCRAFT_CLI_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#define SC_MAX_BYTES (1u << 20)  /* a script of at most 1 MiB */
#define SC_MAX_WORDS 512         /* words in one statement */
#define SC_MAX_DEPTH 16          /* nested blocks */
#define SC_MAX_NAME 64           /* a parameter, host or loop variable name */
#define SC_MAX_EXPANDED 8192     /* one word after $NAME expansion */

/* A `$` that must stay literal (single quotes, \$) is kept as this byte so
 * that expansion can tell it from a reference; raw control bytes are
 * refused in scripts, so it cannot come from the text itself. */
#define SC_LITERAL_DOLLAR '\x01'

enum sc_kind {
    SC_CMD,       /* COMMAND [FROM -> TO] [OPTION ...] */
    SC_PARAM,     /* param NAME = VALUE */
    SC_HOST,      /* host NAME ip=ADDR [mac=MAC] [vlan=ID[:PCP][,ID]] */
    SC_START,     /* start TIME */
    SC_SEED,      /* seed N */
    SC_GAP,       /* gap DURATION: between one statement's last packet and the next's first */
    SC_RTT,       /* rtt DURATION: the conversations' default --rtt */
    SC_RATE,      /* rate PPS: the single-packet commands' default --rate */
    SC_WAIT,      /* wait DURATION */
    SC_AT,        /* at OFFSET: the clock jumps to start + OFFSET */
    SC_REPEAT,    /* repeat N [as VAR] { ... } */
    SC_FOR,       /* for VAR in ITEM[,ITEM...] { ... }: ITEMs are words, number ranges A-B
                   * or IPv4 address ranges */
    SC_PARALLEL,  /* parallel { ... }: each member starts at the same time */
    SC_BLOCK,     /* { ... }: a sequence, as one member of a parallel block */
};

struct sc_word {
    char *text;   /* quotes removed; a literal $ is SC_LITERAL_DOLLAR */
    int line, col;
    bool quoted;  /* some part was quoted: never a keyword, `->`, `{` or `}` */
};

struct sc_node {
    enum sc_kind kind;
    int line, col;
    struct sc_word *w;     /* every word of the statement, keyword included */
    int nw;
    struct sc_node *child; /* blocks: the first statement inside */
    struct sc_node *next;  /* the next statement at the same level */
};

struct sc_error {
    int line, col;
    char msg[256];
};

struct script {
    struct sc_node *first;
    int nodes;
};

/* Parse text (len bytes, need not be NUL-terminated): 0, or -1 with err
 * filled.  On failure the partial tree is freed. */
int sc_parse(const char *text, size_t len, struct script *s, struct sc_error *err);
void sc_free(struct script *s);

/* $NAME and ${NAME} references in a word: lookup gives a name's value or
 * NULL when it has none.  Returns the length written to out (NUL
 * terminated), -1 for an unknown name (*bad: its offset in `in`), -2 when
 * the result exceeds cap bytes, -3 for a `$` followed by no name. */
typedef const char *(*sc_lookup_fn)(void *ctx, const char *name);
int sc_expand(const char *in, sc_lookup_fn lookup, void *ctx, char *out, size_t cap, size_t *bad);

/* NAME: a letter or _, then letters, digits, _ or - (at most SC_MAX_NAME-1). */
bool sc_is_name(const char *s);

#endif
