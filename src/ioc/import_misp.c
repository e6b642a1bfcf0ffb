/*
 * import_misp.c — MISP event JSON, and the JSON dispatcher.
 *
 * MISP writes an event in three wrappers, all accepted:
 *   { "Event": { … } }                 (MISP feeds, /events/view)
 *   { "response": [ { "Event": … } ] } (restSearch; also a bare list [ { "Event": … } ])
 *   { "Attribute": [ … ], … }          (the event body itself, as PyMISP writes it)
 * An event has Attribute[] and Object[].Attribute[]; each attribute has type, value, to_ids,
 * uuid, comment, first_seen/last_seen, deleted (object attributes also object_relation: a
 * ja4-plus object's ja4-fingerprint is a JA4).  Attributes with to_ids false are context
 * (links, text, file names), not for detection: they are counted as skipped.  MISP's STIX
 * mapping writes last_seen as valid_until; konseki reads it the same way.
 */
#include "ioc/import_int.h"

#include "core/err.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int misp_true(const struct json *j, int node)
{
    int k = json_kind(j, node);
    if (k == JSON_TRUE)
        return 1;
    const char *s = json_str(j, node, NULL);
    return s && (strcmp(s, "1") == 0 || strcasecmp(s, "true") == 0);
}

static void misp_attribute(struct imp *im, const struct json *j, int a, const char *source,
                           int64_t event_ns, const char *event_info)
{
    if (json_kind(j, a) != JSON_OBJECT)
        return;
    if (misp_true(j, json_get(j, a, "deleted")))
        return;
    const char *type = json_get_str(j, a, "type");
    size_t vlen = 0;
    const char *value = json_str(j, json_get(j, a, "value"), &vlen);
    if (!type || !value) {
        im->rep->invalid++;
        imp_problem(im, imp_line_of(im, j->nodes[a].offset), "attribute without type or value");
        return;
    }
    if (!misp_true(j, json_get(j, a, "to_ids"))) {
        im->rep->skipped++;
        return;
    }
    /* MISP has no JA4 attribute type: the ja4-plus object gives it as text, object_relation
     * ja4-fingerprint (JA4S, JA4H … fail the JA4 form check and count as invalid) */
    const char *rel = json_get_str(j, a, "object_relation");
    if (rel && strcmp(rel, "ja4-fingerprint") == 0 && strcmp(type, "text") == 0)
        type = "ja4-fingerprint";
    const char *comment = json_get_str(j, a, "comment");
    struct imp_meta meta = {
        .source = source,
        .desc = comment && *comment ? comment : event_info,
        .ref = json_get_str(j, a, "uuid"),
        .published_ns = imp_time(json_get_str(j, a, "first_seen")),
        .valid_until_ns = imp_time(json_get_str(j, a, "last_seen")),
    };
    if (!meta.published_ns)
        meta.published_ns = imp_time(json_get_str(j, a, "timestamp"));
    if (!meta.published_ns)
        meta.published_ns = event_ns;
    imp_typed(im, type, value, vlen, &meta, imp_line_of(im, j->nodes[a].offset));
}

static void misp_event(struct imp *im, const struct json *j, int ev)
{
    const char *org = json_get_str(j, json_get(j, ev, "Orgc"), "name");
    const char *info = json_get_str(j, ev, "info");
    int64_t ev_ns = imp_time(json_get_str(j, ev, "publish_timestamp"));
    if (!ev_ns)
        ev_ns = imp_time(json_get_str(j, ev, "date"));
    for (int a = json_child(j, json_get(j, ev, "Attribute")); a >= 0 && !im->stop;
         a = json_next(j, a))
        misp_attribute(im, j, a, org, ev_ns, info);
    for (int o = json_child(j, json_get(j, ev, "Object")); o >= 0 && !im->stop;
         o = json_next(j, o)) {
        if (misp_true(j, json_get(j, o, "deleted")))
            continue;
        for (int a = json_child(j, json_get(j, o, "Attribute")); a >= 0 && !im->stop;
             a = json_next(j, a))
            misp_attribute(im, j, a, org, ev_ns, info);
    }
}

static int misp_is_event(const struct json *j, int n)
{
    return json_kind(j, n) == JSON_OBJECT &&
           (json_get(j, n, "Attribute") >= 0 || json_get(j, n, "Object") >= 0);
}

int imp_misp(struct imp *im, const struct json *j, int root)
{
    im->rep->format = "misp-json";
    int list = root;
    if (json_kind(j, root) == JSON_OBJECT) {
        int ev = json_get(j, root, "Event");
        if (ev >= 0) {
            misp_event(im, j, ev);
            return 0;
        }
        if (misp_is_event(j, root)) {
            misp_event(im, j, root);
            return 0;
        }
        list = json_get(j, root, "response");
        if (json_kind(j, list) == JSON_OBJECT) {
            misp_event(im, j, json_get(j, list, "Event") >= 0 ? json_get(j, list, "Event") : list);
            return 0;
        }
    }
    for (int e = json_child(j, list); e >= 0 && !im->stop; e = json_next(j, e)) {
        int ev = json_get(j, e, "Event");
        misp_event(im, j, ev >= 0 ? ev : e);
    }
    return 0;
}

/* Which JSON is this?  A STIX bundle, a MISP event (any wrapper), or something that embeds
 * STIX indicator objects (the MISP→STIX mapping tables do). */
static int json_is_misp(const struct json *j, int root)
{
    if (json_kind(j, root) == JSON_OBJECT)
        return json_get(j, root, "Event") >= 0 || misp_is_event(j, root) ||
               json_get(j, root, "response") >= 0;
    if (json_kind(j, root) == JSON_ARRAY) {
        int first = json_child(j, root);
        return json_get(j, first, "Event") >= 0 || misp_is_event(j, first);
    }
    return 0;
}

int imp_json(struct imp *im)
{
    struct json j;
    int rc = json_parse(&j, im->data, im->len);
    if (rc) {
        im->rep->format = "json";
        if (rc == KS_EFORMAT)
            imp_problem(im, imp_line_of(im, j.err_offset), "bad JSON at byte %zu: %s", j.err_offset,
                        j.err ? j.err : "?");
        json_release(&j);
        return rc;
    }
    const char *type = json_get_str(&j, 0, "type");
    if (type && strcmp(type, "bundle") == 0)
        rc = imp_stix(im, &j, 0, 0);
    else if (json_is_misp(&j, 0))
        rc = imp_misp(im, &j, 0);
    else
        rc = imp_stix(im, &j, 0, 1);
    if (!rc && im->rep->indicators == 0 && im->rep->unsupported == 0 && im->rep->invalid == 0 &&
        im->rep->skipped == 0 && strcmp(im->rep->format, "stix-embedded") == 0) {
        im->rep->format = "json";
        imp_problem(im, 0, "JSON that is neither a STIX bundle nor a MISP event");
        rc = KS_EFORMAT;
    }
    json_release(&j);
    return rc;
}
