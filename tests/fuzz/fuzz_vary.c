/* fuzz_vary: the value sets of cli/vary.c (--src/--dst/--sport/--dport/
 * --smac/--dmac ranges, prefixes, lists, random).  vary_parse must never
 * exit, print or crash; a failure names the option; an accepted set holds
 * at least one value, its first value is its first item's start, and
 * every value drawn or walked lies inside one of its items.
 *
 * Input: byte 0 picks the kind (IP, port, MAC), the rest is the value
 * (cut at a NUL byte, as argv would be). */
#include <string.h>

#include "fuzz.h"
#include "../../cli/vary.h"

static bool vary_fz_inside(const struct vary_set *s, const uint8_t *v)
{
    struct vary_u128 x = { 0, 0 };
    for (int k = 0; k < s->width; k++) {
        x.hi = x.hi << 8 | x.lo >> 56;
        x.lo = x.lo << 8 | v[k];
    }
    for (int k = 0; k < s->n; k++) {
        const struct vary_u128 lo = s->item[k].lo, hi = s->item[k].hi;
        bool ge = x.hi > lo.hi || (x.hi == lo.hi && x.lo >= lo.lo);
        bool le = x.hi < hi.hi || (x.hi == hi.hi && x.lo <= hi.lo);
        if (ge && le) return true;
    }
    return false;
}

static int FUZZ_NAME(vary)(const uint8_t *data, size_t size)
{
    static char s[4200];
    if (size < 1 || size - 1 >= sizeof s) return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = 0;
    int kind = data[0] % 3;
    struct vary_set set;
    char err[512];
    memset(err, 0, sizeof err);
    int rc = vary_parse(&set, kind, "--opt", s, err, sizeof err);
    if (rc < 0) {
        FZ_CHECK(rc == PC_EINVAL, "failure code %d", rc);
        FZ_CHECK(memchr(err, 0, sizeof err) && !strncmp(err, "--opt", 5), "message does not name --opt: %s", err);
        return 0;
    }
    FZ_CHECK(rc == 0 && set.n >= 1 && set.n <= VARY_MAX_ITEMS, "%d items", set.n);
    FZ_CHECK(vary_count(&set) >= 1, "an empty set");
    FZ_CHECK(set.width == (kind == VARY_PORT ? 2 : kind == VARY_MAC ? 6 : set.ver == 4 ? 4 : 16), "width %d", set.width);
    uint8_t v[16];
    struct pc_rng r;
    pc_rng_seed(&r, size);
    uint64_t n = vary_count(&set);
    for (uint64_t i = 0; i < 4; i++) {
        memset(v, 0, sizeof v);
        vary_at(&set, (struct vary_u128){ 0, set.random ? 0 : i % n }, v);
        FZ_CHECK(vary_fz_inside(&set, v), "value %llu of '%s' is outside its items", (unsigned long long)i, s);
        vary_draw(&set, &r, v);
        FZ_CHECK(set.mac_random ? (v[0] & 3) == 2 : vary_fz_inside(&set, v), "a draw from '%s' is outside its items", s);
        FZ_CHECK(!set.unicast4 || (v[0] != 127 && v[0] != 0 && v[0] < 224), "random drew %u.x", v[0]);
    }
    return 0;
}

FUZZ_ENTRY(vary)
