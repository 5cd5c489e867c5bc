/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Network serial bridges in the virtual lab (docs/bridges.md): a tool's
 * rfc2217:// or socket:// client, the network, and the server beside the
 * board (ser2net, esp_rfc2217_server, esp-link), each as boards.yaml
 * describes it. world.c hands a networked host's calls here; the pure
 * parts (the sniff, a client's wait, UART batching) are exposed for tests. */
#ifndef RESETLAB_SIM_NETBRIDGE_H
#define RESETLAB_SIM_NETBRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include "lab.h"

struct sim_world;

/* The world's calls on a host with a network bridge (world.c). */
void netbridge_reset(struct sim_world *w);
void netbridge_set_client(struct sim_world *w, const struct net_client *c);
int netbridge_open(struct sim_world *w);
int netbridge_close(struct sim_world *w);
int netbridge_set_lines(struct sim_world *w, int dtr, int rts);
/* The tool's bytes: where they reach the chip (-1: the bridge swallowed
 * them); the client's clock moves as its send returns. */
int64_t netbridge_write(struct sim_world *w, const uint8_t *bytes, size_t n);
/* When a byte the chip finished sending at t_ns reaches the tool. */
int64_t netbridge_arrival(const struct sim_world *w, int64_t t_ns);
/* The circuit between the board-side lines and EN/IO0. */
const struct circuit *netbridge_circuit(const struct sim_world *w);

/* What a connection becomes from its first segment: the first rule that
 * matches (exact or prefix), else transparent; a bridge without rules
 * speaks RFC 2217 on every connection. */
enum net_mode netbridge_sniff(const struct net_bridge *b, const uint8_t *seg, size_t n);

/* When a client that polls every poll_ms (0: wakes on arrival) returns
 * from a wait begun at t0 for an answer arriving at t_answer (each poll's
 * sleep late by overshoot_ns): pyserial's TelnetSubnegotiation.wait. */
int64_t netbridge_poll_return(int64_t t0, int64_t t_answer, double poll_ms, int64_t overshoot_ns);

/* UART→TCP batching: bytes finishing at t[0..n) (ns, in order, byte_ns
 * apart at least) leave in batches when the RX FIFO holds fifo_full bytes
 * or after timeout_chars character times without a new byte; out[i] is
 * when byte i leaves. fifo_full 0: each byte when it is received. */
void netbridge_batches(const int64_t *t, size_t n, int fifo_full, double timeout_chars, double byte_ns, int64_t *out);

#endif
