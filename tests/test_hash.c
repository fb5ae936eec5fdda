/* SHA-256 and MD5 against published test vectors (FIPS 180-4 examples,
 * RFC 1321's suite) and against coreutils' sha256sum/md5sum on random
 * data of every length around the block boundaries, fed in odd pieces. */
#include <criterion/criterion.h>

#include "oracle.h"
#include "pktcraft/core/hash.h"

TestSuite(hash, .timeout = 1800);

static const char *sha(const char *s, size_t n)
{
    static char hx[65];
    uint8_t o[32];
    pc_sha256(s, n, o);
    pc_hex(o, 32, hx);
    return hx;
}

static const char *md5(const char *s)
{
    static char hx[33];
    uint8_t o[16];
    pc_md5(s, strlen(s), o);
    pc_hex(o, 16, hx);
    return hx;
}

Test(hash, sha256_fips_vectors)
{
    cr_assert_str_eq(sha("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cr_assert_str_eq(sha("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    cr_assert_str_eq(sha(m, strlen(m)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    struct pc_sha256 c;
    pc_sha256_init(&c);
    char a[1000];
    memset(a, 'a', sizeof a);
    for (int i = 0; i < 1000; i++) pc_sha256_update(&c, a, sizeof a);
    uint8_t o[32];
    char hx[65];
    pc_sha256_final(&c, o);
    pc_hex(o, 32, hx);
    cr_assert_str_eq(hx, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(hash, md5_rfc1321_suite)
{
    cr_assert_str_eq(md5(""), "d41d8cd98f00b204e9800998ecf8427e");
    cr_assert_str_eq(md5("a"), "0cc175b9c0f1b6a831c399e269772661");
    cr_assert_str_eq(md5("abc"), "900150983cd24fb0d6963f7d28e17f72");
    cr_assert_str_eq(md5("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
    cr_assert_str_eq(md5("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
    cr_assert_str_eq(md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
                     "d174ab98d277d9f5a5611c2c9f419d9f");
    cr_assert_str_eq(md5("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
                     "57edf4a22be3c955ac49da2e2107b67a");
}

Test(hash, agrees_with_coreutils_at_every_length_around_blocks)
{
    char dir[64], path[96], cmd[256];
    th_tmpdir(dir);
    snprintf(path, sizeof path, "%s/x", dir);
    struct pc_rng r;
    pc_rng_seed(&r, 7);
    uint8_t buf[300];
    int compared = 0;
    for (size_t n = 0; n < sizeof buf; n++) {
        for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)pc_rng_next(&r);
        FILE *f = fopen(path, "wb");
        fwrite(buf, 1, n, f);
        fclose(f);
        snprintf(cmd, sizeof cmd, "sha256sum '%s' | cut -c1-64; md5sum '%s' | cut -c1-32", path, path);
        char *want = th_cmd_output(cmd, NULL);
        /* ours, fed in pieces of 1, 2, ... bytes */
        struct pc_sha256 s;
        struct pc_md5 m;
        pc_sha256_init(&s);
        pc_md5_init(&m);
        for (size_t i = 0, k = 1; i < n; i += k, k++) {
            size_t step = n - i < k ? n - i : k;
            pc_sha256_update(&s, buf + i, step);
            pc_md5_update(&m, buf + i, step);
        }
        uint8_t o[32];
        char got[100];
        pc_sha256_final(&s, o);
        pc_hex(o, 32, got);
        got[64] = '\n';
        pc_md5_final(&m, o);
        pc_hex(o, 16, got + 65);
        got[97] = '\n';
        got[98] = 0;
        cr_assert_str_eq(got, want, "length %zu", n);
        free(want);
        compared++;
    }
    cr_assert_eq(compared, 300);
    th_rmdir(dir);
}
