/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The flasher stub's command loop (stub.h; docs/physics.md#flasher-stub):
 * each command is answered as espressif/esptool-legacy-flasher-stub's
 * flasher_stub/stub_flasher.c cmd_loop answers it, the flash writes as its
 * stub_write_flash.c does them (the write is done after the reply; its
 * failure is the next data or end command's answer), and READ_FLASH as its
 * stub_commands.c handle_flash_read streams it. Inflate is zlib's, MD5
 * GLib's. Replies go through a bounded queue (STUB_PEND_MAX) so a small
 * output buffer never loses them; stub_more() hands the rest out.
 * May call: analyzers/ (SLIP), zlib, GLib (MD5), libc. */
#include "stub.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "analyzers/slip.h"

/* The stub's receive buffer: stub_handle_rx_byte ends a frame at
 * MAX_WRITE_BLOCK + 64 bytes. */
#define STUB_RX_MAX (STUB_MAX_WRITE_BLOCK + 64u)
/* handle_flash_deflated_data's output buffer (32768 bytes). */
#define STUB_INFLATE_OUT 32768u

struct stub_session {
    /* flash writing: stub_write_flash.c's `fs` */
    int in_flash_mode, deflate, z_live;
    uint32_t next_write, remaining, next_erase_sector, remaining_erase_sector, remaining_compressed;
    uint8_t last_error;
    z_stream z;
    /* MEM_BEGIN/DATA/END (stub_commands.c mem_offset, mem_remaining) */
    int mem_begun;
    uint32_t mem_remaining;
    /* READ_FLASH (handle_flash_read) */
    int rf_active;
    uint32_t rf_addr, rf_len, rf_block, rf_window, rf_sent, rf_acked;
    GChecksum *rf_md5;
    struct stub_regs regs; /* stub_set_regs; zero: none */
    int rebooted; /* FLASH_END asked for a reboot: stub_take_reboot */
    /* owed bytes */
    uint8_t pend[STUB_PEND_MAX];
    size_t pend_len;
    uint8_t rx[STUB_RX_MAX];
};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

struct stub_session *stub_new(void)
{
    struct stub_session *s = calloc(1, sizeof *s);
    return s;
}

static void stop_inflate(struct stub_session *s)
{
    if (s->z_live)
        inflateEnd(&s->z);
    s->z_live = 0;
}

static void stop_read(struct stub_session *s)
{
    if (s->rf_md5 != NULL)
        g_checksum_free(s->rf_md5);
    s->rf_md5 = NULL;
    s->rf_active = 0;
}

/* The stub's state, not the bytes it owes. */
static void clear_state(struct stub_session *s)
{
    stop_inflate(s);
    stop_read(s);
    s->in_flash_mode = s->deflate = s->mem_begun = 0;
    s->remaining = s->remaining_compressed = s->mem_remaining = 0;
    s->last_error = 0;
}

void stub_reset(struct stub_session *s)
{
    clear_state(s);
    s->pend_len = 0;
    s->rebooted = 0;
}

int stub_take_reboot(struct stub_session *s)
{
    int r = s->rebooted;
    s->rebooted = 0;
    return r;
}

void stub_free(struct stub_session *s)
{
    if (s == NULL)
        return;
    stub_reset(s);
    free(s);
}

void stub_set_regs(struct stub_session *s, const struct stub_regs *regs)
{
    if (regs != NULL)
        s->regs = *regs;
    else
        memset(&s->regs, 0, sizeof s->regs);
}

static uint32_t reg_read(const struct stub_session *s, const struct rom_chip *chip, uint32_t addr)
{
    if (s->regs.read != NULL)
        return s->regs.read(s->regs.ctx, addr);
    return addr == ESP_CHIP_DETECT_MAGIC_REG ? chip->magic : 0;
}

/* handle_write_reg */
static void write_regs(struct stub_session *s, const struct rom_chip *chip, const uint8_t *d, uint32_t dl)
{
    for (uint32_t i = 0; i + 16 <= dl; i += 16) {
        uint32_t addr = le32(d + i), value = le32(d + i + 4), mask = le32(d + i + 8);
        uint32_t v = value & mask;
        if (mask != UINT32_MAX)
            v |= reg_read(s, chip, addr) & ~mask;
        if (s->regs.write != NULL)
            s->regs.write(s->regs.ctx, addr, v);
    }
}

/* One frame into the queue, SLIP-encoded; dropped when the queue is full. */
static void queue_frame(struct stub_session *s, const uint8_t *raw, size_t n)
{
    size_t w = slip_encode(raw, n, s->pend + s->pend_len, sizeof s->pend - s->pend_len);
    s->pend_len += w;
}

/* A reply: 01, op, size, value, data, error, status 0. */
static void queue_reply(struct stub_session *s, uint8_t op, uint32_t value, const uint8_t *data, size_t dn,
                        uint16_t size, uint8_t error, uint8_t status)
{
    uint8_t raw[ESP_HEADER_LEN + STUB_SECURITY_INFO_LEN + 2];
    raw[0] = ESP_DIR_RESPONSE;
    raw[1] = op;
    raw[2] = (uint8_t)size;
    raw[3] = (uint8_t)(size >> 8);
    put32(raw + 4, value);
    if (dn > 0)
        memcpy(raw + ESP_HEADER_LEN, data, dn);
    raw[ESP_HEADER_LEN + dn] = error;
    raw[ESP_HEADER_LEN + dn + 1] = status;
    queue_frame(s, raw, ESP_HEADER_LEN + dn + 2);
}

size_t stub_hello(uint8_t *out, size_t cap)
{
    /* stub_flasher.c main: greeting 0x4941484f, "OHAI" in its own frame
     * (esptool loader.py run_stub: `if p != b"OHAI"`) */
    return slip_encode((const uint8_t *)"OHAI", 4, out, cap);
}

/* ---- flash writing (stub_write_flash.c) ---- */

static void flash_begin(struct stub_session *s, uint32_t total, uint32_t offset, int deflate, uint32_t compressed)
{
    stop_inflate(s);
    s->in_flash_mode = 1;
    s->deflate = deflate;
    s->next_write = offset;
    s->next_erase_sector = offset / STUB_SECTOR;
    s->remaining = total;
    s->remaining_erase_sector =
        (uint32_t)(((uint64_t)offset % STUB_SECTOR + total + STUB_SECTOR - 1) / STUB_SECTOR);
    s->last_error = 0;
    s->remaining_compressed = compressed;
    if (deflate) {
        memset(&s->z, 0, sizeof s->z);
        s->z_live = inflateInit(&s->z) == Z_OK; /* zlib header, as TINFL_FLAG_PARSE_ZLIB_HEADER */
    }
}

/* handle_flash_data: erase the sectors ahead of the write, then program. */
static void flash_write(struct stub_session *s, struct sim_flash *flash, const uint8_t *d, uint32_t n)
{
    if (n > s->remaining)
        n = s->remaining; /* the last block's padding */
    if (n == 0)
        return;
    uint32_t last_sector = (uint32_t)(((uint64_t)s->next_write + n - 1) / STUB_SECTOR);
    while (s->remaining_erase_sector > 0 && s->next_erase_sector <= last_sector) {
        if (flash == NULL ||
            sim_flash_erase(flash, s->next_erase_sector * STUB_SECTOR, STUB_SECTOR) != 0) {
            s->last_error = STUB_ERR_FAILED_SPI_OP;
            return;
        }
        s->next_erase_sector++;
        s->remaining_erase_sector--;
    }
    if (flash == NULL || sim_flash_write(flash, s->next_write, d, n) != 0) {
        s->last_error = STUB_ERR_FAILED_SPI_OP;
        return;
    }
    s->next_write += n;
    s->remaining -= n;
}

/* handle_flash_deflated_data: inflate across blocks, write as it comes. */
static void flash_defl_data(struct stub_session *s, struct sim_flash *flash, const uint8_t *d, uint32_t n)
{
    if (s->remaining == 0 && n > 4) {
        s->last_error = STUB_ERR_TOO_MUCH_DATA;
        return;
    }
    if (!s->z_live) {
        s->last_error = STUB_ERR_INFLATE_ERROR;
        return;
    }
    uint8_t outb[STUB_INFLATE_OUT];
    s->z.next_in = (Bytef *)(uintptr_t)d;
    s->z.avail_in = n;
    int rc = Z_OK;
    while (s->z.avail_in > 0 && s->remaining > 0 && rc == Z_OK && s->last_error == 0) {
        uInt before = s->z.avail_in;
        s->z.next_out = outb;
        s->z.avail_out = sizeof outb;
        rc = inflate(&s->z, Z_NO_FLUSH);
        s->remaining_compressed -= before - s->z.avail_in;
        if (rc == Z_BUF_ERROR)
            rc = Z_OK; /* no progress possible: needs the next block */
        flash_write(s, flash, outb, (uint32_t)(sizeof outb - s->z.avail_out));
        if (before == s->z.avail_in && s->z.avail_out == sizeof outb)
            break;
    }
    if (rc != Z_OK && rc != Z_STREAM_END)
        s->last_error = STUB_ERR_INFLATE_ERROR;
    else if (rc == Z_STREAM_END && s->remaining > 0 && s->last_error == 0)
        s->last_error = STUB_ERR_NOT_ENOUGH_DATA;
}

/* handle_flash_end */
static uint8_t flash_end(struct stub_session *s)
{
    if (!s->in_flash_mode)
        return STUB_ERR_NOT_IN_FLASH_MODE;
    if (s->remaining > 0)
        return STUB_ERR_NOT_ENOUGH_DATA;
    s->in_flash_mode = 0;
    stop_inflate(s);
    return s->last_error;
}

/* ---- READ_FLASH (handle_flash_read) ---- */

/* Sends what the window allows; the digest once every byte is acknowledged
 * (or the flow ended). */
static void read_flow(struct stub_session *s, struct sim_flash *flash, int ended)
{
    uint8_t buf[STUB_SECTOR];
    while (!ended && s->rf_sent < s->rf_len && s->rf_sent - s->rf_acked < s->rf_window &&
           sizeof s->pend - s->pend_len >= 2u * STUB_SECTOR + 2u) {
        uint32_t n = s->rf_len - s->rf_sent < s->rf_block ? s->rf_len - s->rf_sent : s->rf_block;
        if (flash == NULL || sim_flash_read(flash, s->rf_addr, buf, n) != 0) {
            ended = 1; /* SPIRead failed: the loop breaks, the digest of what went */
            break;
        }
        queue_frame(s, buf, n);
        g_checksum_update(s->rf_md5, buf, n);
        s->rf_addr += n;
        s->rf_sent += n;
    }
    if (ended || s->rf_acked >= s->rf_len || s->rf_acked > s->rf_sent) {
        uint8_t digest[16];
        gsize dl = sizeof digest;
        g_checksum_get_digest(s->rf_md5, digest, &dl);
        queue_frame(s, digest, sizeof digest);
        stop_read(s);
    }
}

static void read_ack(struct stub_session *s, struct sim_flash *flash, const uint8_t *frame, size_t n)
{
    if (n < 4) { /* SLIP_recv returned fewer than 4 bytes: the loop ends */
        read_flow(s, flash, 1);
        return;
    }
    s->rf_acked = le32(frame); /* SLIP_recv keeps the first 4 bytes of a longer frame */
    read_flow(s, flash, 0);
}

/* ---- the command loop ---- */

static uint8_t len_is(uint32_t dl, uint32_t want)
{
    return dl == want ? 0 : STUB_ERR_BAD_DATA_LEN;
}

static uint8_t begin_cmd(struct stub_session *s, const uint8_t *d, uint32_t dl, int deflate)
{
    if (dl != 16 && dl != 20)
        return STUB_ERR_BAD_DATA_LEN;
    if (le32(d + 8) > STUB_MAX_WRITE_BLOCK)
        return STUB_ERR_BAD_BLOCKSIZE;
    /* DEFL: uncompressed size, then num_blocks * block_size compressed */
    flash_begin(s, le32(d), le32(d + 12), deflate, le32(d + 4) * le32(d + 8));
    return 0;
}

static uint8_t data_cmd(struct stub_session *s, const uint8_t *d, uint32_t dl, uint32_t checksum)
{
    if (!s->in_flash_mode)
        return STUB_ERR_NOT_IN_FLASH_MODE;
    uint8_t error = s->last_error;
    uint32_t payload = dl - 16u;
    if (dl < 16)
        return STUB_ERR_BAD_DATA_LEN;
    if (le32(d) != payload)
        error = STUB_ERR_BAD_DATA_LEN;
    /* calculate_checksum gives 8 bits, compared with the header's whole
     * 32-bit field: a checksum with high bits set never matches */
    if ((esp_checksum(d + 16, payload) & 0xFF) != checksum)
        error = STUB_ERR_BAD_DATA_CHECKSUM;
    return error;
}

static uint8_t md5_cmd(struct sim_flash *flash, const uint8_t *d, uint32_t dl, uint8_t digest[16])
{
    if (dl != 16 || flash == NULL || sim_flash_md5(flash, le32(d), le32(d + 4), digest) != 0)
        return STUB_ERR_OR;
    return 0;
}

static uint8_t erase_region(struct sim_flash *flash, const uint8_t *d, uint32_t dl)
{
    if (dl != 8)
        return STUB_ERR_OR;
    uint32_t addr = le32(d), len = le32(d + 4);
    if (addr % STUB_SECTOR != 0 || len % STUB_SECTOR != 0) /* handle_flash_erase 0x32 / 0x33 */
        return STUB_ERR_OR;
    return flash != NULL && sim_flash_erase(flash, addr, len) == 0 ? 0 : STUB_ERR_OR;
}

static uint8_t mem_cmd(struct stub_session *s, uint8_t op, const uint8_t *d, uint32_t dl)
{
    if (op == STUB_MEM_BEGIN) {
        if (dl != 16)
            return STUB_ERR_OR;
        s->mem_begun = 1;
        s->mem_remaining = le32(d);
        return 0;
    }
    if (op == STUB_MEM_END) {
        uint8_t e = dl != 8 || s->mem_remaining > 0 ? STUB_ERR_OR : 0;
        s->mem_remaining = 0;
        s->mem_begun = 0;
        return e;
    }
    uint32_t len = dl - 16u; /* handle_mem_data */
    if (!s->mem_begun && len > 0)
        return STUB_ERR_NOT_IN_FLASH_MODE;
    if (len > s->mem_remaining)
        return STUB_ERR_TOO_MUCH_DATA;
    if (len % 4 != 0)
        return STUB_ERR_BAD_DATA_LEN;
    s->mem_remaining -= len;
    return 0;
}

static void command(struct stub_session *s, struct sim_flash *flash, const struct rom_chip *chip,
                    uint32_t *new_baud)
{
    const uint8_t *h = s->rx, *d = s->rx + ESP_HEADER_LEN;
    uint8_t op = h[1];
    uint32_t dl = (uint32_t)h[2] | (uint32_t)h[3] << 8, checksum = le32(h + 4), value = 0;
    uint8_t error = STUB_ERR_CMD_NOT_IMPLEMENTED, digest[16];
    uint16_t size = 2;
    if (op == ESP_READ_REG && dl == 4)
        value = reg_read(s, chip, le32(d));
    if (dl > STUB_MAX_WRITE_BLOCK + 16) {
        queue_reply(s, op, value, NULL, 0, op == STUB_SPI_FLASH_MD5 ? 18 : 2, STUB_ERR_BAD_DATA_LEN,
                    STUB_ERR_TOO_BIG_STATUS);
        return;
    }
    switch (op) {
    case ESP_SYNC: /* eight identical replies, value 0 */
        error = len_is(dl, ESP_SYNC_PAYLOAD_LEN);
        for (int i = 0; error == 0 && i < ESP_SYNC_RESPONSES - 1; i++)
            queue_reply(s, op, 0, NULL, 0, 2, 0, 0);
        break;
    case STUB_ERASE_FLASH:
        error = dl == 0 && flash != NULL ? (uint8_t)(sim_flash_erase(flash, 0, sim_flash_size(flash)) != 0) : STUB_ERR_OR;
        break;
    case STUB_ERASE_REGION: error = erase_region(flash, d, dl); break;
    case STUB_CHANGE_BAUDRATE: error = len_is(dl, 8); break;
    case STUB_READ_FLASH: error = len_is(dl, 16); break;
    case STUB_SPI_FLASH_MD5:
        size = 18;
        error = md5_cmd(flash, d, dl, digest);
        if (error == 0) {
            queue_reply(s, op, 0, digest, 16, size, 0, 0);
            return;
        }
        break;
    case STUB_FLASH_BEGIN: error = begin_cmd(s, d, dl, 0); break;
    case STUB_FLASH_DEFL_BEGIN: error = begin_cmd(s, d, dl, 1); break;
    case ESP_FLASH_DATA:
    case ESP_FLASH_DEFL_DATA: error = data_cmd(s, d, dl, checksum); break;
    case STUB_FLASH_END:
    case STUB_FLASH_DEFL_END: error = flash_end(s); break;
    case STUB_SPI_SET_PARAMS: error = dl == 24 ? 0 : STUB_ERR_OR; break;
    case STUB_SPI_ATTACH: error = dl == 4 ? 0 : STUB_ERR_OR; break;
    case ESP_WRITE_REG:
        error = dl % 16 == 0 ? 0 : STUB_ERR_BAD_DATA_LEN;
        if (error == 0)
            write_regs(s, chip, d, dl);
        break;
    case ESP_READ_REG: error = len_is(dl, 4); break;
    case STUB_MEM_BEGIN:
    case ESP_MEM_DATA:
    case STUB_MEM_END: error = mem_cmd(s, op, d, dl); break;
    case STUB_RUN_USER_CODE: return; /* no reply: the stub returns to boot */
    case ESP_GET_SECURITY_INFO: /* ESP32-S2 and later stubs only (ESP32S2_OR_LATER) */
        if (!chip->has_security_info)
            break;
        error = len_is(dl, 0);
        if (error == 0) {
            /* handle_get_security_info: the ROM's 20 bytes; the header's size
             * says 20 (resp.len_ret = SECURITY_INFO_BYTES), not 20 + status */
            uint8_t info[STUB_SECURITY_INFO_LEN] = {0};
            put32(info + 12, chip->chip_id);
            put32(info + 16, chip->api_version);
            queue_reply(s, op, 0, info, sizeof info, STUB_SECURITY_INFO_LEN, 0, 0);
            return;
        }
        break;
    default: break;
    }
    queue_reply(s, op, value, NULL, 0, size, error, 0);
    if (error != 0)
        return;
    switch (op) { /* after the reply */
    case STUB_CHANGE_BAUDRATE: *new_baud = le32(d); break;
    case ESP_FLASH_DATA: flash_write(s, flash, d + 16, dl - 16); break;
    case ESP_FLASH_DEFL_DATA: flash_defl_data(s, flash, d + 16, dl - 16); break;
    case STUB_FLASH_END:
    case STUB_FLASH_DEFL_END:
        if (le32(d) == 0) { /* "reboot now": the reply flushed, then software_reset() into the ROM */
            clear_state(s);
            s->rebooted = 1;
        }
        break;
    case STUB_READ_FLASH:
        if (le32(d + 8) > STUB_SECTOR) /* handle_flash_read returns at once: no data, no digest */
            break;
        s->rf_active = 1;
        s->rf_addr = le32(d);
        s->rf_len = le32(d + 4);
        s->rf_block = le32(d + 8);
        s->rf_window = le32(d + 12);
        s->rf_sent = s->rf_acked = 0;
        s->rf_md5 = g_checksum_new(G_CHECKSUM_MD5);
        if (s->rf_block == 0 && s->rf_len > 0)
            s->rf_window = 0; /* blocks of 0 bytes would never end: wait for the host */
        read_flow(s, flash, 0);
        break;
    default: break;
    }
}

static size_t drain(struct stub_session *s, uint8_t *out, size_t cap)
{
    size_t k = s->pend_len < cap ? s->pend_len : cap;
    memcpy(out, s->pend, k);
    memmove(s->pend, s->pend + k, s->pend_len - k);
    s->pend_len -= k;
    return k;
}

size_t stub_answer(struct stub_session *s, struct sim_flash *flash, const struct rom_chip *chip,
                   const uint8_t *frame, size_t n, uint8_t *out, size_t cap, uint32_t *new_baud)
{
    if (s->rf_active) {
        read_ack(s, flash, frame, n);
    } else {
        size_t k = n < STUB_RX_MAX ? n : STUB_RX_MAX; /* stub_handle_rx_byte cuts the frame there */
        memset(s->rx, 0, sizeof s->rx);
        memcpy(s->rx, frame, k);
        command(s, flash, chip, new_baud);
    }
    return stub_more(s, flash, out, cap);
}

size_t stub_more(struct stub_session *s, struct sim_flash *flash, uint8_t *out, size_t cap)
{
    size_t k = drain(s, out, cap);
    while (s->rf_active && k < cap) {
        size_t before = s->pend_len;
        read_flow(s, flash, 0);
        if (s->pend_len == before)
            break;
        k += drain(s, out + k, cap - k);
    }
    return k;
}
