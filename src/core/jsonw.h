/* jsonw.h — writing JSON text by hand: string escaping (RFC 8259 section 7). */
#ifndef KONSEKI_CORE_JSONW_H
#define KONSEKI_CORE_JSONW_H

#include <stdio.h>

/* s as a JSON string, quotes included: " and \ escaped, control characters as \n \r \t or
 * \u00XX; other bytes (UTF-8 included) are written as they are. */
void jsonw_str(FILE *f, const char *s);

#endif
