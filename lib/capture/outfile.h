/* Where a capture writer's bytes go, and how to take them back when the
 * program is interrupted (lib/capture/outfile.c).  Internal to the
 * capture module. */
#ifndef PKTCRAFT_OUTFILE_H
#define PKTCRAFT_OUTFILE_H

#include <stdbool.h>
#include <sys/types.h>

#include "pktcraft/core/common.h"

enum pc_out_kind {
    PC_OUT_FILE,   /* a regular file, or none yet: temporary file, then rename */
    PC_OUT_DIRECT, /* a device, FIFO or socket: written straight, nothing to rename or undo */
};

/* Decide how to write to path.  For PC_OUT_FILE, *target is the file the
 * final rename replaces (malloc'd): path itself, or where a symbolic link
 * points (the link stays and points at the new file).  Refused: a
 * directory, a dangling symbolic link.  Returns the kind or a PC_E* code
 * with err set. */
int pc_out_classify(const char *path, char **target, struct pc_err *err);
/* Open a PC_OUT_DIRECT target for writing (connecting to a Unix socket).
 * Returns the descriptor or a PC_E* code with err set. */
int pc_out_open_direct(const char *path, struct pc_err *err);

/* The undo registry: what a signal handler or exit must remove.  Each add
 * returns a slot (or -1 when all are taken: then that output is simply
 * not cleaned up on a signal); pc_undo_remove forgets it. */
int pc_undo_add_tmp(const char *tmp);
int pc_undo_add_append(int fd, off_t orig_size);
void pc_undo_remove(int slot);

#endif
