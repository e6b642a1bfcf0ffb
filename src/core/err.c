#include "core/err.h"

const char *ks_strerror(int code)
{
    switch (code) {
    case KS_OK:
        return "success";
    case KS_ENOMEM:
        return "out of memory";
    case KS_EIO:
        return "input/output error";
    case KS_EFORMAT:
        return "unrecognised format";
    case KS_ETRUNC:
        return "truncated input";
    case KS_EINVAL:
        return "invalid argument";
    case KS_EEXIST:
        return "already exists";
    case KS_ENOENT:
        return "not found";
    case KS_ESQL:
        return "metadata store error";
    case KS_ELIMIT:
        return "limit reached";
    case KS_ECORRUPT:
        return "corrupt input";
    }
    return "unknown error";
}
