/* SPDX-License-Identifier: GPL-3.0-or-later */
/* TEMPORARY (rom branch, issue 20): a minimal in-memory flash behind
 * sim/flash.h until the stub branch's lands.
 * May call: GLib (MD5), libc. */
#include "flash.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

struct sim_flash {
    uint32_t size;
    uint8_t *bytes; /* NULL until the first write: all 0xFF */
};

struct sim_flash *sim_flash_new(uint32_t size_bytes)
{
    struct sim_flash *f = calloc(1, sizeof *f);
    if (f != NULL)
        f->size = size_bytes;
    return f;
}

void sim_flash_free(struct sim_flash *f)
{
    if (f != NULL)
        free(f->bytes);
    free(f);
}

uint32_t sim_flash_size(const struct sim_flash *f)
{
    return f->size;
}

static int in_range(const struct sim_flash *f, uint32_t offset, uint32_t n)
{
    return offset <= f->size && n <= f->size - offset;
}

static int ensure(struct sim_flash *f)
{
    if (f->bytes == NULL && (f->bytes = malloc(f->size ? f->size : 1)) != NULL)
        memset(f->bytes, 0xFF, f->size);
    return f->bytes ? 0 : -1;
}

int sim_flash_erase(struct sim_flash *f, uint32_t offset, uint32_t len)
{
    if (!in_range(f, offset, len))
        return -1;
    if (f->bytes != NULL)
        memset(f->bytes + offset, 0xFF, len);
    return 0;
}

int sim_flash_write(struct sim_flash *f, uint32_t offset, const uint8_t *d, uint32_t n)
{
    if (!in_range(f, offset, n) || ensure(f) != 0)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        f->bytes[offset + i] &= d[i];
    return 0;
}

int sim_flash_read(const struct sim_flash *f, uint32_t offset, uint8_t *out, uint32_t n)
{
    if (!in_range(f, offset, n))
        return -1;
    if (f->bytes == NULL)
        memset(out, 0xFF, n);
    else
        memcpy(out, f->bytes + offset, n);
    return 0;
}

int sim_flash_md5(const struct sim_flash *f, uint32_t offset, uint32_t len, uint8_t digest[16])
{
    if (!in_range(f, offset, len))
        return -1;
    GChecksum *c = g_checksum_new(G_CHECKSUM_MD5);
    if (c == NULL)
        return -1;
    uint8_t erased[256];
    memset(erased, 0xFF, sizeof erased);
    for (uint32_t at = 0; at < len;) {
        uint32_t n = len - at < sizeof erased ? len - at : (uint32_t)sizeof erased;
        g_checksum_update(c, f->bytes ? f->bytes + offset + at : erased, n);
        at += n;
    }
    gsize dl = 16;
    g_checksum_get_digest(c, digest, &dl);
    g_checksum_free(c);
    return dl == 16 ? 0 : -1;
}
