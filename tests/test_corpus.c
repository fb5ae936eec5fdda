/* The decoder over every real capture in ../shared/corpus (see its
 * MANIFEST.tsv): the sanitized CLI never crashes or trips a sanitizer, and
 * wherever tshark and pktcraft both decode a field (addresses, ports, TTL,
 * VLAN ids, ARP, ICMP/ICMPv6 types and codes, DNS ids, names and answers)
 * the values are equal.  scripts/corpus-check does the comparing.
 *
 * Minimums, a little below what tshark 4.0.17 and pktcraft gave on the
 * corpus of 330 captures: 322 files checked, 39127 packets and 223374
 * fields compared.  Exactly 8 captures pktcraft reads are files tshark
 * 4.0 cannot open (pcap link types 164, 182, 281 twice, 282, 284, 285 and
 * 805306500: "contains record data that TShark doesn't support"); nothing
 * of them can be compared, so they are allowed by number and a ninth
 * fails the test until someone looks at it. */
#include <criterion/criterion.h>

#include "oracle.h"

TestSuite(corpus, .timeout = 1800);

Test(corpus, decoder_agrees_with_tshark_on_real_captures)
{
    char corpus[4096];
    snprintf(corpus, sizeof corpus, "%s/../shared/corpus", th_root());
    cr_assert_eq(th_sh("test -f '%s/MANIFEST.tsv'", corpus), 0,
                 "the capture corpus is missing at %s (it is shared/corpus beside the project)", corpus);
    th_tshark_require();
    th_corpus_check(corpus, "corpus check failed",
                    "--min-files 315 --min-packets 38000 --min-fields 215000 --allow-tshark-unreadable 8");
}
