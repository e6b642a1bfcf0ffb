/* addr.h — IP addresses as konseki stores them: 16 bytes, IPv4 as ::ffff:a.b.c.d. */
#ifndef KONSEKI_CORE_ADDR_H
#define KONSEKI_CORE_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define ADDR_STRLEN 46

/* ipver 4: first 4 bytes of in are the address; 6: all 16. */
void addr_to16(int ipver, const uint8_t *in, uint8_t out[16]);
int addr_is_v4mapped(const uint8_t a[16]);
/* Dotted-quad text of a 4-byte IPv4 address, NUL-terminated; its length (at most 15). */
size_t addr_format4(const uint8_t a[4], char dst[16]);
/* Text form ("10.1.2.3", "2001:db8::1") of a 16-byte stored address. */
void addr_format16(const uint8_t a[16], char *dst, size_t n);
/* Text form of a decoded address (ipver 4 or 6). */
void addr_format(int ipver, const uint8_t *a, char *dst, size_t n);
/*
 * n ranges of stored addresses, each 32 bytes (lo[16] then hi[16], inclusive), sorted by lo
 * and merged where they overlap or nest, in place: the number of disjoint ranges left.
 */
size_t addr_ranges_merge(uint8_t *ranges, size_t n);

#endif
