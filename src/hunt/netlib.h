/*
 * netlib.h — what the network hunts (scan, cross-zone, edge-probe, mft-theft) share: port
 * lists from parameters, the zone model of cross-zone, a SQL function that asks the run's
 * zones whether an address is internal, the start of the "recent" window, and small text
 * helpers.  Candidates for util.c once more hunts need them.
 */
#ifndef KONSEKI_HUNT_NETLIB_H
#define KONSEKI_HUNT_NETLIB_H

#include "hunt/hunt.h"

#include <stddef.h>
#include <stdint.h>

#define HNET_MAX_PORTS 64

struct hnet_ports {
    int v[HNET_MAX_PORTS];
    unsigned n;
};

/*
 * The port list of parameter `param` ("22 445,3389"; spaces or commas).  An empty list is
 * allowed.  A bad number or more than HNET_MAX_PORTS ports fails the run (hunt_fail).
 */
int hnet_ports_parse(struct hunt_ctx *ctx, const char *param, struct hnet_ports *out);
int hnet_ports_has(const struct hnet_ports *p, int port);
/* The list as a JSON array ("[22,445]") for `IN (SELECT value FROM json_each(?))`. */
void hnet_ports_json(const struct hnet_ports *p, char *dst, size_t n);

/*
 * The zone an address belongs to for cross-zone access: the user's zones (--zone,
 * STORE/zones.conf) when any are defined, with the rest "internal" / "external" as hunt_zone
 * says; with no user zones, each /16 of IPv4 private space (RFC 1918, RFC 6598) and each /48
 * of IPv6 unique-local space is a zone of its own, named after it ("10.50/16"), so an
 * affiliate in 10.50.0.0/16 and headquarters in 10.1.0.0/16 differ without configuration.
 * Public addresses are "external".
 */
void hnet_zone(struct hunt_ctx *ctx, const uint8_t ip[16], char *dst, size_t n);
/* The default zone of a private address ("10.50/16", "fd12:3456:789a::/48"): 1, else 0. */
int hnet_zone_private(const uint8_t ip[16], char *dst, size_t n);

/*
 * Registers `ks_internal(ip)` on a day file's connection (hunt_days' db): 1 when the 16-byte
 * address is internal for the run's zones (hunt_internal), else 0.  It lets a GROUP BY keep
 * only inbound rows without reading every pair into memory.
 */
int hnet_sql_internal(struct hunt_ctx *ctx, void *db);

/*
 * Where the recent window starts: the end of the run's data minus `recent` seconds, never
 * before its start (hunt_cov).  Sessions before it are the baseline.
 */
int64_t hnet_cut(struct hunt_ctx *ctx, double recent_s);

/*
 * What a result lists (new server:port pairs …) with its evidence, put in time order at the end:
 * the first HNET_ITEMS added are kept, later ones only counted ("…" closes the list).
 */
#define HNET_ITEMS 16
struct hnet_items {
    struct {
        int64_t t;
        uint64_t id;
        char text[96];
    } v[HNET_ITEMS];
    unsigned n;
    uint64_t more;
};
void hnet_items_add(struct hnet_items *it, int64_t t, uint64_t id, const char *text);
/* The items by time into list (", " separated) and their ids into r's evidence. */
void hnet_items_finish(struct hnet_items *it, char *list, size_t n, struct hunt_result *r);

/* Appends item to a ", " separated list in dst; a list that would overflow ends in ", …". */
void hnet_list_add(char *dst, size_t n, const char *item);
/* snprintf for text that may be cut on purpose (explanations, entity lists); never fails. */
void hnet_text(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "2024-03-06 10:00Z" (UTC minutes) */
void hnet_fmt_time(int64_t ns, char *dst, size_t n);
/* The ATT&CK remote-services sub-technique of an admin port ("T1021.002" for 445), or "". */
const char *hnet_port_attack(int port);
/* "SMB" for 445, "RDP" for 3389 …, or "" when the port has no name here. */
const char *hnet_port_name(int port);

#endif
