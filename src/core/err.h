/* err.h — konseki's error codes: 0 is success, failures are small negative ints. */
#ifndef KONSEKI_CORE_ERR_H
#define KONSEKI_CORE_ERR_H

enum {
    KS_OK = 0,
    KS_ENOMEM = -1,   /* allocation failed or a hard cap was reached */
    KS_EIO = -2,      /* read/write/open failed (errno says more) */
    KS_EFORMAT = -3,  /* input is not in the expected format */
    KS_ETRUNC = -4,   /* input ends in the middle of a record */
    KS_EINVAL = -5,   /* bad argument, bad query, bad flag value */
    KS_EEXIST = -6,   /* already there (duplicate ingest …) */
    KS_ENOENT = -7,   /* not found */
    KS_ESQL = -8,     /* the metadata store reported an error */
    KS_ELIMIT = -9,   /* a configured bound was hit */
    KS_ECORRUPT = -10 /* input is damaged past this point */
};

/* A static string describing code (never NULL). */
const char *ks_strerror(int code);

#endif
