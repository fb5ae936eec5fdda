/* The decoder over every real capture in ../shared/corpus (see its
 * MANIFEST.tsv): the sanitized CLI never crashes or trips a sanitizer, and
 * wherever tshark and pktcraft both decode a field (addresses, ports, TTL,
 * VLAN ids, ARP, ICMP/ICMPv6 types and codes, DNS ids, names and answers)
 * the values are equal.  scripts/corpus-check does the comparing. */
#include <criterion/criterion.h>

#include "helpers.h"

Test(corpus, decoder_agrees_with_tshark_on_real_captures)
{
    char corpus[4096], log[128];
    snprintf(corpus, sizeof corpus, "%s/../shared/corpus", th_root());
    cr_assert_eq(th_sh("test -f '%s/MANIFEST.tsv'", corpus), 0,
                 "the capture corpus is missing at %s (it is shared/corpus beside the project)", corpus);
    cr_assert_eq(th_sh("command -v tshark >/dev/null"), 0, "tshark not found: install it with scripts/deps.sh");
    snprintf(log, sizeof log, "/tmp/pktcraft-corpus-%d.txt", (int)getpid());
    int st = th_sh("cd '%s' && /usr/bin/python3 scripts/corpus-check --pktcraft '%s' '%s' > '%s' 2>&1", th_root(),
                   th_cli(), corpus, log);
    size_t n;
    char *out = (char *)th_slurp(log, &n);
    cr_assert(out);
    out = realloc(out, n + 1);
    out[n] = 0;
    unlink(log);
    cr_assert_eq(st, 0, "corpus check failed:\n%s", out);
    char *sum = strstr(out, "corpus: ");
    cr_assert(sum, "%s", out);
    cr_log_info("%.*s", (int)strcspn(sum, "\n"), sum);
    free(out);
}
