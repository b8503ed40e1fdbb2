/*
 * crc32c.h: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of the journal's
 * records. Software, table-driven (slicing-by-8), the same result on every platform and
 * endianness.
 */
#ifndef PD_CRC32C_H
#define PD_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * The CRC-32C of n bytes, continuing from crc: start with 0, pass the previous result to extend
 * it over more bytes (crc32c(crc32c(0, a, na), b, nb) is the CRC of a then b). data may be NULL
 * when n is 0. crc32c(0, "123456789", 9) == 0xE3069283.
 */
uint32_t crc32c(uint32_t crc, const void *data, size_t n);

#endif
