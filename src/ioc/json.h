/*
 * json.h — a small bounded JSON reader for feeds (STIX bundles, MISP events), RFC 8259.
 *
 * The whole text is parsed into a flat array of nodes linked by index (first child, next
 * sibling), with strings decoded into one buffer the size of the input.  Bounds: nesting depth
 * JSON_MAX_DEPTH, input size JSON_MAX_INPUT, and nodes never exceed the input's byte count.
 * Hostile input gives an error with its byte offset, never a crash or a long loop.
 */
#ifndef KONSEKI_IOC_JSON_H
#define KONSEKI_IOC_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64
#define JSON_MAX_INPUT ((size_t)1 << 30)

enum json_kind {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
};

struct json_node {
    uint8_t kind;    /* enum json_kind */
    uint32_t offset; /* byte offset of the value in the input (for messages) */
    int32_t key;     /* object members: index into strs of the decoded key, else -1 */
    uint32_t keylen;
    int32_t str; /* strings and numbers: index into strs (NUL-terminated), else -1 */
    uint32_t len;
    int32_t child; /* arrays and objects: first element, -1 when empty */
    int32_t next;  /* next sibling, -1 at the end */
};

struct json {
    struct json_node *nodes; /* nodes[0] is the root */
    size_t count, alloc;
    char *strs; /* decoded strings, owned */
    size_t strs_len;
    size_t err_offset; /* where parsing failed */
    const char *err;   /* static message, NULL on success */
};

/* Parse text[0..len).  0, KS_EFORMAT (j->err, j->err_offset say why) or KS_ENOMEM.
 * json_release must be called either way. */
int json_parse(struct json *j, const uint8_t *text, size_t len);
void json_release(struct json *j);

/* Member of object node obj named key, or -1. */
int json_get(const struct json *j, int obj, const char *key);
/* The string of a string or number node, else NULL (length through len when non-NULL). */
const char *json_str(const struct json *j, int node, size_t *len);
/* String member shortcut: json_str(json_get(obj, key)). */
const char *json_get_str(const struct json *j, int obj, const char *key);
static inline int json_kind(const struct json *j, int node)
{
    return node < 0 ? -1 : j->nodes[node].kind;
}
static inline int json_child(const struct json *j, int node)
{
    return node < 0 ? -1 : j->nodes[node].child;
}
static inline int json_next(const struct json *j, int node)
{
    return node < 0 ? -1 : j->nodes[node].next;
}

#endif
