/* registry.c — the analyses hunt files can name as their `kind` (hunt.h). */
#include "hunt/hunt.h"

extern const struct hunt_kind hunt_kind_longconn, hunt_kind_query;
extern const struct hunt_kind hunt_kind_psexec, hunt_kind_remoteexec, hunt_kind_collection;
extern const struct hunt_kind hunt_kind_scan;
extern const struct hunt_kind hunt_kind_crosszone;
extern const struct hunt_kind hunt_kind_edgeprobe;
extern const struct hunt_kind hunt_kind_mfttheft;
extern const struct hunt_kind hunt_kind_raretls;
extern const struct hunt_kind hunt_kind_cert;
extern const struct hunt_kind hunt_kind_httpclient;
extern const struct hunt_kind hunt_kind_cloudexfil;
extern const struct hunt_kind hunt_kind_beacon;
extern const struct hunt_kind hunt_kind_egress;
extern const struct hunt_kind hunt_kind_dnstunnel;
extern const struct hunt_kind hunt_kind_nxdomain;
extern const struct hunt_kind hunt_kind_krbspray;

/* One line per analysis (merges stay simple). */
/* clang-format off */
const struct hunt_kind *const hunt_kinds[] = {
    &hunt_kind_longconn,
    &hunt_kind_query,
    &hunt_kind_psexec,
    &hunt_kind_remoteexec,
    &hunt_kind_collection,
    &hunt_kind_scan,
    &hunt_kind_crosszone,
    &hunt_kind_edgeprobe,
    &hunt_kind_mfttheft,
    &hunt_kind_raretls,
    &hunt_kind_cert,
    &hunt_kind_httpclient,
    &hunt_kind_cloudexfil,
    &hunt_kind_beacon,
    &hunt_kind_egress,
    &hunt_kind_dnstunnel,
    &hunt_kind_nxdomain,
    &hunt_kind_krbspray,
    NULL,
};
/* clang-format on */
