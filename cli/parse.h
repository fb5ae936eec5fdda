/* Pure parsers of command-line values: no exit, no printing, no global
 * state, so that they can be tested and fuzzed (tests/fuzz/fuzz_cliparse.c).
 *
 * Each returns 0 (cli_try_ip: 4 or 6) on success, or PC_EINVAL with the
 * message a command prints in err (errcap bytes, always NUL-terminated;
 * err may be NULL with errcap 0), e.g. "--src: 'x' is not an IPv4 address".
 * opt is the option as the user typed it, for the message.  On failure the
 * outputs are unspecified.  The exiting wrappers of cli.h and craft.h
 * (cli_parse_ipv4 ...) print that message as a usage error and exit 2. */
#ifndef PKTCRAFT_CLI_PARSE_H
#define PKTCRAFT_CLI_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pktcraft/core/common.h"

int cli_try_ipv4(const char *opt, const char *s, uint8_t out[4], char *err, size_t errcap);
int cli_try_ipv6(const char *opt, const char *s, uint8_t out[16], char *err, size_t errcap);
/* IPv4 or IPv6 (out zero-filled, IPv4 in its first 4 bytes): 4 or 6. */
int cli_try_ip(const char *opt, const char *s, uint8_t out[16], char *err, size_t errcap);
/* Six groups of 1 or 2 hex digits, all separated by ':' or all by '-'. */
int cli_try_mac(const char *opt, const char *s, uint8_t out[6], char *err, size_t errcap);
/* A number in C syntax (decimal, 0x hex, 0 octal) up to max. */
int cli_try_uint(const char *opt, const char *s, uint64_t max, uint64_t *out, char *err, size_t errcap);
/* Epoch seconds with up to 9 fraction digits, or ISO 8601 UTC
 * (YYYY-MM-DDTHH:MM:SS[.frac][Z|+00:00]), to nanoseconds. */
int cli_try_time(const char *opt, const char *s, pc_time_ns *out, char *err, size_t errcap);
/* A number (fraction allowed) with a unit: ns, us, ms or s. */
int cli_try_duration(const char *opt, const char *s, int64_t *out, char *err, size_t errcap);
/* Hex digit pairs, optionally separated by ' ', ':' or newlines, into
 * out (at most cap bytes); *n gets the byte count. */
int cli_try_hex(const char *opt, const char *s, uint8_t *out, size_t cap, size_t *n, char *err, size_t errcap);

/* --set FIELD=VALUE and --corrupt FIELD into s (cli/fields.c, which holds
 * the field table). */
struct craft_set;
int field_try_set(struct craft_set *s, const char *arg, char *err, size_t errcap);
int field_try_corrupt(struct craft_set *s, const char *arg, char *err, size_t errcap);

/* Bytes that hold any message of these parsers about value s of option
 * opt (the fixed texts are under 100 bytes): the exiting wrappers size
 * their buffer with it, so a message is never cut. */
static inline size_t cli_msg_room(const char *opt, const char *s) { return strlen(opt) + 2 * strlen(s) + 160; }

#endif
