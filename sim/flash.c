/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The in-memory SPI NOR flash (flash.h): a table of SIM_FLASH_CHUNK
 * pointers, NULL for a chunk never written (all 0xFF). Erasing a whole
 * chunk frees it again. MD5 is GLib's GChecksum, fed chunk by chunk.
 * May call: GLib (MD5), libc. */
#include "flash.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

struct sim_flash {
    uint32_t size;
    uint32_t nchunks;
    uint8_t **chunk; /* nchunks entries; NULL: erased */
};

struct sim_flash *sim_flash_new(uint32_t size_bytes)
{
    if (size_bytes == 0 || size_bytes > SIM_FLASH_MAX_BYTES)
        return NULL;
    struct sim_flash *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->size = size_bytes;
    f->nchunks = (uint32_t)(((uint64_t)size_bytes + SIM_FLASH_CHUNK - 1) / SIM_FLASH_CHUNK);
    f->chunk = calloc(f->nchunks, sizeof *f->chunk);
    if (f->chunk == NULL) {
        free(f);
        return NULL;
    }
    return f;
}

void sim_flash_free(struct sim_flash *f)
{
    if (f == NULL)
        return;
    for (uint32_t i = 0; i < f->nchunks; i++)
        free(f->chunk[i]);
    free(f->chunk);
    free(f);
}

uint32_t sim_flash_size(const struct sim_flash *f)
{
    return f->size;
}

static int in_range(const struct sim_flash *f, uint32_t offset, uint32_t len)
{
    return (uint64_t)offset + len <= f->size;
}

int sim_flash_erase(struct sim_flash *f, uint32_t offset, uint32_t len)
{
    if (!in_range(f, offset, len))
        return -1;
    while (len > 0) {
        uint32_t i = offset / SIM_FLASH_CHUNK, at = offset % SIM_FLASH_CHUNK;
        uint32_t n = SIM_FLASH_CHUNK - at < len ? SIM_FLASH_CHUNK - at : len;
        if (f->chunk[i] != NULL) {
            if (n == SIM_FLASH_CHUNK) {
                free(f->chunk[i]);
                f->chunk[i] = NULL;
            } else {
                memset(f->chunk[i] + at, 0xFF, n);
            }
        }
        offset += n;
        len -= n;
    }
    return 0;
}

int sim_flash_write(struct sim_flash *f, uint32_t offset, const uint8_t *d, uint32_t n)
{
    if (!in_range(f, offset, n))
        return -1;
    /* take every chunk first, so a failed allocation changes nothing */
    for (uint32_t i = offset / SIM_FLASH_CHUNK; n > 0 && i <= (offset + n - 1) / SIM_FLASH_CHUNK; i++) {
        if (f->chunk[i] == NULL) {
            if ((f->chunk[i] = malloc(SIM_FLASH_CHUNK)) == NULL)
                return -1;
            memset(f->chunk[i], 0xFF, SIM_FLASH_CHUNK);
        }
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t a = offset + k;
        f->chunk[a / SIM_FLASH_CHUNK][a % SIM_FLASH_CHUNK] &= d[k];
    }
    return 0;
}

int sim_flash_read(const struct sim_flash *f, uint32_t offset, uint8_t *out, uint32_t n)
{
    if (!in_range(f, offset, n))
        return -1;
    while (n > 0) {
        uint32_t i = offset / SIM_FLASH_CHUNK, at = offset % SIM_FLASH_CHUNK;
        uint32_t k = SIM_FLASH_CHUNK - at < n ? SIM_FLASH_CHUNK - at : n;
        if (f->chunk[i] != NULL)
            memcpy(out, f->chunk[i] + at, k);
        else
            memset(out, 0xFF, k);
        out += k;
        offset += k;
        n -= k;
    }
    return 0;
}

int sim_flash_md5(const struct sim_flash *f, uint32_t offset, uint32_t len, uint8_t digest[16])
{
    if (!in_range(f, offset, len))
        return -1;
    GChecksum *c = g_checksum_new(G_CHECKSUM_MD5);
    if (c == NULL)
        return -1;
    while (len > 0) {
        uint32_t i = offset / SIM_FLASH_CHUNK, at = offset % SIM_FLASH_CHUNK;
        uint32_t k = SIM_FLASH_CHUNK - at < len ? SIM_FLASH_CHUNK - at : len;
        if (f->chunk[i] != NULL) {
            g_checksum_update(c, f->chunk[i] + at, k);
        } else {
            uint8_t ff[4096];
            memset(ff, 0xFF, sizeof ff);
            for (uint32_t done = 0; done < k; done += sizeof ff)
                g_checksum_update(c, ff, k - done < sizeof ff ? k - done : sizeof ff);
        }
        offset += k;
        len -= k;
    }
    gsize dl = 16;
    g_checksum_get_digest(c, digest, &dl);
    g_checksum_free(c);
    return dl == 16 ? 0 : -1;
}
