/* Shared pieces of the pktcraft command-line program. */
#ifndef PKTCRAFT_CLI_H
#define PKTCRAFT_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pktcraft/pktcraft.h"

/* Exit codes, as every command documents them. */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

extern const char *cli_cmd; /* current command name, for messages */
/* Where a message comes from, when a command runs inside another (`run`
 * names the script's file, line and column): given the message, writes a
 * prefix such as "web.pcs:12:9: syn: " into out, or nothing. */
extern void (*cli_where)(const char *msg, char *out, size_t cap);

/* "pktcraft: CMD: ..." then exit 2 (usage) or 1 (runtime). */
_Noreturn void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void cli_runtime_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct pc_defrag_report;
/* A fragment report worth a warning (given up, conflicting bytes). */
void cli_frag_report(const char *path, const struct pc_defrag_report *r);

/* getopt_long returned '?' (unknown option) or ':' (missing value). */
_Noreturn void cli_bad_option(int rc, char **argv);

/* Option value parsers: each exits with a usage error naming the option. */
void cli_parse_ipv4(const char *opt, const char *s, uint8_t out[4]);
void cli_parse_mac(const char *opt, const char *s, uint8_t out[6]);
uint64_t cli_parse_uint(const char *opt, const char *s, uint64_t max);
pc_time_ns cli_parse_time(const char *opt, const char *s);
int64_t cli_parse_duration(const char *opt, const char *s);
pc_time_ns cli_now(void);
/* --overlap first|last: enum pc_overlap_policy. */
int cli_parse_overlap(const char *opt, const char *s);

/* Standard output as the one writer (fmt.h), in sink mode over fd 1:
 * JSON and bulk text go through it.  cli_out_flush() drains it and exits 1
 * naming the error when output could not be written. */
struct pc_fmt;
struct pc_fmt *cli_out(bool json);
void cli_out_flush(void);

/* --limit NAME=VALUE (pktcraft/core/limits.h): cli_limit_opt() applies
 * one (a usage error when bad), cli_limits() is what readers are opened
 * with, cli_limits_help() lists them for --help. */
struct pc_limits;
#define CLI_OPT_LIMIT 0x4c4d /* getopt code of --limit in every reading command */
const struct pc_limits *cli_limits(void);
void cli_limit_opt(const char *spec);
void cli_limits_help(FILE *out);

/* Text from a file on a terminal: control characters (and DEL) as \xNN,
 * so a hostile file cannot send escape sequences; the rest (UTF-8
 * included) as it is. */
void cli_fputs_safe(FILE *f, const char *s);

/* Time as "seconds.nanoseconds". */
void cli_fmt_ts(pc_time_ns ts, char out[32]);

/* Commands. */
int cmd_run(int argc, char **argv);
int cmd_syn(int argc, char **argv);
int cmd_tcp(int argc, char **argv);
int cmd_udp(int argc, char **argv);
int cmd_icmp(int argc, char **argv);
int cmd_icmp6(int argc, char **argv);
int cmd_arp(int argc, char **argv);
int cmd_dns(int argc, char **argv);
int cmd_http(int argc, char **argv);
int cmd_raw(int argc, char **argv);
int cmd_session(int argc, char **argv);
int cmd_tls(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_dhcp(int argc, char **argv);
int cmd_ntp(int argc, char **argv);

#endif
