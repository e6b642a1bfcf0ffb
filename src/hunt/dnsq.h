/*
 * dnsq.h — what the DNS hunts (dns-tunnel, nxdomain) share when they read a day file
 * (dnsq.c): the DNS transactions of the run's range as SQL, SQL functions over query names,
 * and the set of hosts that answer DNS (resolvers, whose own queries forward their clients').
 */
#ifndef KONSEKI_HUNT_DNSQ_H
#define KONSEKI_HUNT_DNSQ_H

#include <sqlite3.h>

struct hunt_ctx;
struct hunt_map;

/*
 * A subquery of the range's DNS transactions, one row per `dns` record: src (the client's
 * 16-byte address), id (event.id), t (the session piece's first_ns), qn (question name,
 * lowercase), qt (question type), rc (response code, NULL when unanswered), j (the record's
 * JSON).  Binds ?1 and ?2 to the range.  Multicast DNS and LLMNR (5353, 5355) are left out, and
 * so are sessions whose initiator is port 53 talking to another port (a capture that missed the
 * query: the "client" would be the server).
 */
#define DNSQ_TXNS                                                                                  \
    "SELECT s.src_ip AS src, s.id AS id, s.first_ns AS t,"                                         \
    " json_extract(r.json, '$.dns.question.name') AS qn,"                                          \
    " json_extract(r.json, '$.dns.question.type') AS qt,"                                          \
    " json_extract(r.json, '$.dns.response_code') AS rc, r.json AS j"                              \
    " FROM sessions s JOIN records r ON r.id = s.id AND r.piece = s.piece"                         \
    " WHERE s.first_ns BETWEEN ?1 AND ?2 AND s.app = 'dns' AND r.type = 'dns'"                     \
    " AND s.dst_port NOT IN (5353, 5355) AND s.src_port NOT IN (5353, 5355)"                       \
    " AND (s.src_port <> 53 OR s.dst_port = 53)"

/*
 * Registers, on one day file's connection:
 *   ks_rd(name)             the registered domain (hunt_regdomain), '' when none
 *   ks_longest(name[, rd])  characters of the longest label below the registered domain
 *   ks_txt_policy(name, j)  1 for a mail-policy lookup: _dmarc/_domainkey/_mta-sts names, or an
 *                           answer holding SPF, DKIM, DMARC, MTA-STS or a site-verification token
 */
int dnsq_register(void *db);

/* Adds to m (keys: 16-byte addresses) every host that answered DNS on port 53 in the range. */
int dnsq_resolvers(struct hunt_ctx *ctx, void *db, struct hunt_map *m);

/*
 * One DNS hunt's statement on a day file: registers the SQL functions, adds the day's resolvers
 * to resolvers, prepares sql and binds the run's range to ?1 and ?2.  0, or the run fails
 * (hunt_fail, the message starting with `what`).
 */
int dnsq_prepare(struct hunt_ctx *ctx, sqlite3 *db, struct hunt_map *resolvers, const char *what,
                 const char *sql, sqlite3_stmt **stmt);

#endif
