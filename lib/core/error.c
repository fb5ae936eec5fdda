/* Error code texts. */
#include "pktcraft/core/common.h"

const char *pc_strerror(int code)
{
    switch (code) {
    case PC_OK: return "success";
    case PC_EINVAL: return "invalid argument";
    case PC_ENOSPC: return "buffer too small";
    case PC_ETRUNC: return "truncated";
    case PC_EMALFORMED: return "malformed";
    case PC_EIO: return "I/O error";
    case PC_ENOMEM: return "out of memory";
    case PC_EFORMAT: return "unknown format";
    case PC_EUNSUPP: return "not supported";
    case PC_ELIMIT: return "over a limit";
    default: return "unknown error";
    }
}
