/* crc32c.c: CRC-32C, eight bytes a step through eight 256-entry tables ("slicing-by-8"). */
#include "crc32c.h"

/*
 * table[0][i] is the CRC of the byte i alone (reflected polynomial 0x82F63B78);
 * table[k][i] = (table[k-1][i] >> 8) ^ table[0][table[k-1][i] & 0xFF] carries it k bytes further.
 * Computed at the first call (~20 µs), not written out: as a literal the 8 KB of tables were
 * the biggest thing in the wasm's data, and compress to nearly their size (the shipped core's
 * size goal, issue 5). The unit test checks every length against the bitwise definition.
 */
static uint32_t table[8][256];
static int table_ready;

static void make_table(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; bit++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[0][i] = c;
  }
  for (int k = 1; k < 8; k++)
    for (int i = 0; i < 256; i++) table[k][i] = (table[k - 1][i] >> 8) ^ table[0][table[k - 1][i] & 0xFFu];
  table_ready = 1;
}

uint32_t crc32c(uint32_t crc, const void *data, size_t n) {
  const unsigned char *p = data;
  if (!table_ready) make_table();
  crc = ~crc; /* the pre- and post-inversion make crc32c(0, ...) the standard CRC-32C */
  for (; n >= 8; p += 8, n -= 8) {
    /* Bytes are read one by one: no alignment or endianness assumed (compilers merge them). */
    uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                         (uint32_t)p[3] << 24);
    crc = table[7][lo & 0xFFu] ^ table[6][(lo >> 8) & 0xFFu] ^ table[5][(lo >> 16) & 0xFFu] ^
          table[4][lo >> 24] ^ table[3][p[4]] ^ table[2][p[5]] ^ table[1][p[6]] ^ table[0][p[7]];
  }
  while (n--) crc = table[0][(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}
