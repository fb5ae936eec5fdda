/* The decoder over every real capture in ../shared/corpus (see its
 * MANIFEST.tsv): the sanitized CLI never crashes or trips a sanitizer, and
 * wherever tshark and pktcraft both decode a field (addresses, ports, TTL,
 * VLAN ids, ARP, ICMP/ICMPv6 types and codes, DNS ids, names and answers)
 * the values are equal.  scripts/corpus-check does the comparing. */
#include <criterion/criterion.h>

#include "oracle.h"

Test(corpus, decoder_agrees_with_tshark_on_real_captures)
{
    char corpus[4096];
    snprintf(corpus, sizeof corpus, "%s/../shared/corpus", th_root());
    cr_assert_eq(th_sh("test -f '%s/MANIFEST.tsv'", corpus), 0,
                 "the capture corpus is missing at %s (it is shared/corpus beside the project)", corpus);
    th_tshark_require();
    th_corpus_check(corpus, "corpus check failed");
}
