/*
 * wsgen - a single-threaded epoll load generator for WebSocket chat servers, so that a fast
 * server is measured by a generator that is not the limit (`charla bench --proto ws` is Node,
 * and on two cores its one thread saturates before charla's /ws does).
 *
 * The same workloads, flags, payload markers and JSON result as the reference generator
 * (../shared/bench/loadgen, README "Performance"), over RFC 6455:
 *   ws     : charla's browser protocol (src/protocol/ws-frames.ts): GET /ws; on the server's
 *            {"type":"hello"...} send {"type":"join","v":1,"name":"u00000"}; registered on
 *            "welcome", refused on "refusal"; messages are {"type":"line","text":"PAYLOAD"}.
 *            The history frame that follows the welcome (the room's recent past) is skipped:
 *            its markers are an earlier run's messages, not deliveries of this one.
 *   ws-raw : a bare broadcast server (the naive `ws` anchor): registered once the upgrade is
 *            answered; a message is the frame's text.
 *   sio    : the socket.io 4 chat example over Engine.IO 4 (websocket transport): on "0{...}"
 *            send "40"; registered on "40..."; ping "2" answered "3"; messages are
 *            42["chat message","PAYLOAD"].
 * Every client frame is masked (the masks come from a xorshift generator: a load generator has
 * no attacker to hide its masks from). Server frames may be split across reads and several
 * may come in one read; pings are answered; a close frame ends the user. Payload markers
 * ("~SSSS.QQQQQQQQ.TTTTTTTTTTTTTTTT~" + padding) are found anywhere in text frames' payloads,
 * a marker cut between two reads or frames included, so the JSON or Engine.IO wrapping does not
 * matter.
 *
 * Only loopback targets; every phase has a deadline; one JSON line on stdout at the end.
 *   cc -O2 -o wsgen wsgen.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HDR_LEN 32 /* the marker */
#define RBUF_SZ (256 * 1024)
#define MAX_REG_BYTES 65536 /* a registration message longer than this is not one */
#define MAX_HANDSHAKE 16384
/* charla sends a room's recent past on join as one history frame: past messages, not deliveries */
#define HIST_PREFIX "{\"type\":\"history\""
#define HIST_LEN 17

enum { D_WS = 0, D_RAW, D_SIO };
enum { ST_IDLE = 0, ST_CONNECTING, ST_UPGRADING, ST_OPEN, ST_READY, ST_CLOSED, ST_FAILED };

typedef struct {
    int fd, state, attempts, out_armed;
    /* the HTTP answer to the upgrade, until its blank line */
    char *hs; uint32_t hslen;
    /* the frame being read */
    uint8_t head[14]; int headlen, op, fin, msgop;
    uint64_t left, flen;
    /* a control frame's payload, or a registration message, collected whole */
    char *coll; uint32_t collen, colcap; int collecting;
    /* the end of the last text payload that may start a marker */
    char carry[HDR_LEN]; int clen;
    /* the first bytes of the text message being read, until they tell a history frame or not */
    char mhead[HIST_LEN]; int mhlen, mdecided, mskip;
    char *wbuf; uint32_t wlen, woff, wcap;
    uint32_t sent, completed, expired, oldest;
    uint64_t retry_at; /* a refused connect is tried again no sooner than this */
} client_t;

static int dialect = D_WS;
static char host[64] = "127.0.0.1";
static int port = 0;
static int N = 10, S = -1, M = 100, MSZ = 64, W = 0, CONC = 4, BATCH = 1;
static double RATE = 0, SETTLE_MS = 500, IDLE_S = 5, TIMEOUT_S = 120, CONNECT_TIMEOUT_S = 60, HOLD_S = 2, MSG_TIMEOUT_S = 5, QUIESCE_MAX_S = 90;
static int SERVER_PID = 0;
static char label[128] = "";
static char nickpfx[16] = "u";
static char path[256] = "";

static client_t *cl;
static int ep;
static struct sockaddr_storage sa; static socklen_t salen;
static uint32_t *cnt; static uint64_t *send_ts;
static uint64_t *lat; static size_t nlat, caplat;
static uint64_t deliveries, self_deliv, dup_deliv, bad_markers, sent_total;
static uint64_t conn_fail, conn_retries, disconnects;
static int ready_cnt, connected_cnt, inflight_conn, next_conn;
static int *retryq; static int nretry;
static char first_error[256] = "";
static uint64_t t_last_deliv, t_last_progress;
static uint8_t rbuf[RBUF_SZ];
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t now_ns(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec; }
static void die(const char *m) { fprintf(stderr, "wsgen: %s\n", m); exit(2); }
static uint32_t next_mask(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (uint32_t)(rng >> 16); }

static long read_rss_kb(int pid) {
    if (pid <= 0) return -1;
    char p[64], line[256]; snprintf(p, sizeof p, "/proc/%d/status", pid);
    FILE *f = fopen(p, "r"); if (!f) return -1;
    long v = -1;
    while (fgets(line, sizeof line, f)) if (!strncmp(line, "VmRSS:", 6)) { v = atol(line + 6); break; }
    fclose(f); return v;
}
static double read_cpu_s(int pid) {
    if (pid <= 0) return -1;
    char p[64], buf[2048]; snprintf(p, sizeof p, "/proc/%d/stat", pid);
    FILE *f = fopen(p, "r"); if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f); fclose(f); buf[n] = 0;
    char *q = strrchr(buf, ')'); if (!q) return -1;
    unsigned long ut = 0, st = 0; int field = 2; char *tok = strtok(q + 1, " ");
    while (tok) { field++; if (field == 14) ut = strtoul(tok, 0, 10); if (field == 15) { st = strtoul(tok, 0, 10); break; } tok = strtok(0, " "); }
    return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}
static double self_cpu_s(void) {
    struct rusage ru; getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}
static void set_error(const char *fmt, const char *s) { if (!first_error[0]) snprintf(first_error, sizeof first_error, fmt, s); }

static void arm_out(int i, int on) {
    client_t *c = &cl[i];
    if (c->out_armed == on) return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->out_armed = on;
}

static void close_client(int i, int failed) {
    client_t *c = &cl[i];
    if (c->fd >= 0) { close(c->fd); c->fd = -1; }
    if (c->state == ST_CONNECTING || c->state == ST_UPGRADING || c->state == ST_OPEN) inflight_conn--;
    if (c->state == ST_UPGRADING || c->state == ST_OPEN || c->state == ST_READY) {
        if (c->state == ST_READY) ready_cnt--;
        connected_cnt--; disconnects++;
    }
    c->state = failed ? ST_FAILED : ST_CLOSED;
}

static void wreserve(client_t *c, uint32_t need) {
    if (c->woff && c->woff == c->wlen) c->woff = c->wlen = 0;
    if (c->wlen + need <= c->wcap) return;
    if (c->woff) { memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff); c->wlen -= c->woff; c->woff = 0; }
    if (c->wlen + need <= c->wcap) return;
    uint32_t nc = c->wcap ? c->wcap : 1024;
    while (nc < c->wlen + need) nc *= 2;
    c->wbuf = realloc(c->wbuf, nc); if (!c->wbuf) die("out of memory");
    c->wcap = nc;
}

/* One masked frame (FIN set) with `op` and payload `d[0, n)`, appended to the client's output. */
static void wframe(client_t *c, int op, const char *d, uint32_t n) {
    wreserve(c, n + 8);
    uint8_t *o = (uint8_t *)c->wbuf + c->wlen;
    int h = 0;
    o[h++] = 0x80 | op;
    if (n < 126) o[h++] = 0x80 | n;
    else { o[h++] = 0x80 | 126; o[h++] = n >> 8; o[h++] = n & 0xff; } /* messages are at most 3000 B */
    uint32_t m = next_mask();
    uint8_t mk[4] = {m >> 24, (m >> 16) & 0xff, (m >> 8) & 0xff, m & 0xff};
    memcpy(o + h, mk, 4); h += 4;
    for (uint32_t k = 0; k < n; k++) o[h + k] = (uint8_t)d[k] ^ mk[k & 3];
    c->wlen += h + n;
}

static void flush(int i) {
    client_t *c = &cl[i];
    while (c->woff < c->wlen) {
        ssize_t r = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
        if (r > 0) { c->woff += r; continue; }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { arm_out(i, 1); return; }
        if (r < 0 && errno == EINTR) continue;
        set_error("write error: %s", strerror(errno)); close_client(i, 0); return;
    }
    c->woff = c->wlen = 0;
    arm_out(i, 0);
}

static void become_ready(int i) { cl[i].state = ST_READY; ready_cnt++; inflight_conn--; }

static void fail_client(int i, const char *why) { set_error("%s", why); close_client(i, 1); }

static int hexval(int ch) { return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1; }
static int parse_hex(const char *p, int n, uint64_t *out) {
    uint64_t v = 0;
    for (int k = 0; k < n; k++) { int h = hexval((unsigned char)p[k]); if (h < 0) return -1; v = (v << 4) | h; }
    *out = v; return 0;
}
static int parse_marker(const char *p, uint64_t *sid, uint64_t *seq, uint64_t *ts) {
    if (p[0] != '~' || p[5] != '.' || p[14] != '.' || p[31] != '~') return -1;
    if (parse_hex(p + 1, 4, sid) || parse_hex(p + 6, 8, seq) || parse_hex(p + 15, 16, ts)) return -1;
    return 0;
}

static void record(int ri, uint64_t sid, uint64_t seq, uint64_t ts, uint64_t t) {
    if ((int)sid >= S || (int)seq >= M) { bad_markers++; return; }
    if ((int)sid == ri) { self_deliv++; return; }
    size_t k = (size_t)sid * M + seq;
    uint32_t v = ++cnt[k], c = v & 0x7fffffffu;
    if (c > (uint32_t)(N - 1)) { dup_deliv++; return; }
    deliveries++;
    if (c == (uint32_t)(N - 1) && !(v & 0x80000000u)) cl[sid].completed++;
    if (nlat == caplat) { caplat = caplat ? caplat * 2 : (1 << 20); lat = realloc(lat, caplat * sizeof *lat); if (!lat) die("out of memory"); }
    lat[nlat++] = t > ts ? t - ts : 0;
    t_last_deliv = t; t_last_progress = t;
}

/* Markers in `b[0, len)`; returns the bytes not consumed (the start of a marker cut short). */
static size_t scan(int ri, const char *b, size_t len, uint64_t t) {
    size_t i = 0;
    while (i < len) {
        const char *p = memchr(b + i, '~', len - i);
        if (!p) return len;
        size_t off = p - b;
        if (len - off < HDR_LEN) return off;
        uint64_t sid, seq, ts;
        if (parse_marker(p, &sid, &seq, &ts) == 0) { record(ri, sid, seq, ts, t); i = off + HDR_LEN; }
        else i = off + 1;
    }
    return len;
}

/* A text payload chunk of a ready user: markers, with what may be a cut marker carried over. */
static void scan_text(int i, const uint8_t *d, size_t n, uint64_t t) {
    client_t *c = &cl[i];
    if (c->clen > 0) { /* join the carried start with this chunk's first bytes */
        char tmp[2 * HDR_LEN];
        size_t take = n < HDR_LEN ? n : HDR_LEN;
        memcpy(tmp, c->carry, c->clen); memcpy(tmp + c->clen, d, take);
        size_t tl = c->clen + take, used = scan(i, tmp, tl, t);
        int had = c->clen; c->clen = 0;
        if (used < (size_t)had) { /* still cut: keep what remains, if it is short */
            size_t rest = tl - used;
            if (take == n && rest < HDR_LEN) { memcpy(c->carry, tmp + used, rest); c->clen = rest; return; }
        }
        size_t skip = used > (size_t)had ? used - had : 0; /* bytes of this chunk already scanned */
        d += skip; n -= skip;
    }
    size_t used = scan(i, (const char *)d, n, t);
    size_t rest = n - used;
    if (rest > 0 && rest < HDR_LEN) { memcpy(c->carry, d + used, rest); c->clen = rest; }
}

static void send_text(int i, const char *s) { wframe(&cl[i], 0x1, s, strlen(s)); flush(i); }

/* A whole text message while registering (charla's hello/welcome, Engine.IO packets). */
static void registering(int i, const char *m, uint32_t n) {
    if (dialect == D_WS) {
        if (strstr(m, "\"type\":\"hello\"")) {
            char b[200]; snprintf(b, sizeof b, "{\"type\":\"join\",\"v\":1,\"name\":\"%s%05d\"}", nickpfx, i);
            send_text(i, b);
        } else if (strstr(m, "\"type\":\"welcome\"")) become_ready(i);
        else if (strstr(m, "\"type\":\"refusal\"")) { char tmp[200]; snprintf(tmp, sizeof tmp, "%.*s", (int)(n > 180 ? 180 : n), m); fail_client(i, tmp); }
        return;
    }
    if (n >= 2 && m[0] == '4' && m[1] == '0') become_ready(i);
    else if (n >= 1 && m[0] == '0') send_text(i, "40");
    else if (n == 1 && m[0] == '2') send_text(i, "3");
    else if (n >= 2 && m[0] == '4' && m[1] == '4') fail_client(i, "socket.io refused the namespace");
}

static void control(int i, int op, const char *d, uint32_t n) {
    if (op == 0x9) { wframe(&cl[i], 0xA, d, n); flush(i); }
    else if (op == 0x8) { char tmp[64]; snprintf(tmp, sizeof tmp, "%d", n >= 2 ? ((uint8_t)d[0] << 8) | (uint8_t)d[1] : 1005); set_error("the server closed the WebSocket (%s)", tmp); close_client(i, 0); }
}

static void collect(client_t *c, const uint8_t *d, size_t n) {
    if (c->collen + n + 1 > c->colcap) { c->colcap = c->collen + n + 1 + 256; c->coll = realloc(c->coll, c->colcap); if (!c->coll) die("out of memory"); }
    memcpy(c->coll + c->collen, d, n); c->collen += n; c->coll[c->collen] = 0;
}

/* Frames in `d[0, n)`, from wherever the last read left the frame being read. */
static void frames(int i, const uint8_t *d, size_t n, uint64_t t) {
    client_t *c = &cl[i];
    size_t p = 0;
    while (p < n && c->fd >= 0) {
        if (c->left == 0 && !c->collecting) { /* a header */
            while (c->headlen < 2 && p < n) c->head[c->headlen++] = d[p++];
            if (c->headlen < 2) return;
            if (c->head[1] & 0x80) { fail_client(i, "the server masked a frame"); return; }
            int l7 = c->head[1] & 0x7f, need = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0);
            while (c->headlen < need && p < n) c->head[c->headlen++] = d[p++];
            if (c->headlen < need) return;
            uint64_t len = l7;
            if (l7 == 126) len = ((uint64_t)c->head[2] << 8) | c->head[3];
            else if (l7 == 127) { len = 0; for (int k = 2; k < 10; k++) len = (len << 8) | c->head[k]; }
            c->headlen = 0;
            c->op = c->head[0] & 0x0f; c->fin = (c->head[0] & 0x80) != 0; c->left = len; c->flen = len;
            if (c->op >= 0x8) {
                if (!c->fin || len > 125) { fail_client(i, "a control frame fragmented or too long"); return; }
                c->collecting = 2; c->collen = 0;
            } else {
                if (c->op != 0) c->msgop = c->op;
                if (c->state != ST_READY && c->msgop == 0x1) { if (c->op != 0) c->collen = 0; c->collecting = 1; }
            }
            if (len == 0) goto frame_end;
            continue;
        }
        size_t take = c->left < n - p ? (size_t)c->left : n - p;
        if (c->collecting) {
            if (c->collen + take > MAX_REG_BYTES) { fail_client(i, "a registration message too long to be one"); return; }
            collect(c, d + p, take);
        } else if (c->msgop == 0x1) {
            if (c->state == ST_READY) {
                const uint8_t *q = d + p; size_t k = take;
                if (dialect == D_WS && !c->mdecided) { /* hold the message's first bytes until they tell */
                    size_t cp = k < (size_t)(HIST_LEN - c->mhlen) ? k : (size_t)(HIST_LEN - c->mhlen);
                    memcpy(c->mhead + c->mhlen, q, cp); c->mhlen += cp; q += cp; k -= cp;
                    if (c->mhlen == HIST_LEN || (c->fin && c->left == take)) {
                        c->mdecided = 1;
                        c->mskip = c->mhlen == HIST_LEN && !memcmp(c->mhead, HIST_PREFIX, HIST_LEN);
                        if (!c->mskip) scan_text(i, (const uint8_t *)c->mhead, c->mhlen, t);
                    }
                }
                if (k > 0 && !c->mskip) scan_text(i, q, k, t);
                /* Engine.IO ping while chatting: a one-byte text message "2" */
                if (dialect == D_SIO && c->flen == 1 && take == 1 && d[p] == '2' && c->fin && c->op == 0x1) send_text(i, "3");
            }
        }
        p += take; c->left -= take;
        if (c->left > 0) return;
    frame_end:
        if (c->collecting == 2) { c->collecting = 0; control(i, c->op, c->coll ? c->coll : "", c->collen); c->collen = 0; }
        else if (c->fin) {
            if (c->collecting == 1) { c->collecting = 0; registering(i, c->coll ? c->coll : "", c->collen); c->collen = 0; }
            c->msgop = 0; c->clen = 0; c->mhlen = 0; c->mdecided = 0; c->mskip = 0;
        }
    }
}

static void on_connected(int i) {
    client_t *c = &cl[i];
    c->state = ST_UPGRADING; connected_cnt++;
    char b[600]; int n = snprintf(b, sizeof b,
        "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", path, host, port);
    wreserve(c, n); memcpy(c->wbuf + c->wlen, b, n); c->wlen += n;
    flush(i);
}

/* The HTTP answer; returns where the frames start in d, or -1 (not complete yet / failed). */
static long upgrade(int i, const uint8_t *d, size_t n) {
    client_t *c = &cl[i];
    size_t room = MAX_HANDSHAKE - c->hslen;
    size_t take = n < room ? n : room;
    if (!c->hs) c->hs = malloc(MAX_HANDSHAKE + 1);
    memcpy(c->hs + c->hslen, d, take);
    uint32_t before = c->hslen; c->hslen += take; c->hs[c->hslen] = 0;
    char *end = strstr(c->hs, "\r\n\r\n");
    if (!end) { if (c->hslen >= MAX_HANDSHAKE) fail_client(i, "the answer to the upgrade has no end"); return -1; }
    if (strncmp(c->hs, "HTTP/1.1 101", 12) != 0) {
        char *eol = strstr(c->hs, "\r\n"); if (eol) *eol = 0;
        char tmp[200]; snprintf(tmp, sizeof tmp, "the WebSocket upgrade was answered %.150s", c->hs);
        fail_client(i, tmp); return -1;
    }
    long start = (long)(end + 4 - c->hs) - before;
    free(c->hs); c->hs = 0; c->hslen = 0;
    c->state = ST_OPEN;
    if (dialect == D_RAW) become_ready(i);
    return start;
}

static void on_readable(int i) {
    client_t *c = &cl[i];
    ssize_t r = read(c->fd, rbuf, RBUF_SZ);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        if (r < 0) set_error("read error: %s", strerror(errno));
        else if (c->state != ST_READY) set_error("%s", "the server closed the connection before the user was registered");
        close_client(i, 0); return;
    }
    if (r < 0) return;
    uint64_t t = now_ns();
    size_t p = 0;
    if (c->state == ST_UPGRADING) { long s = upgrade(i, rbuf, r); if (s < 0) return; p = s; }
    frames(i, rbuf + p, r - p, t);
}

static void handle_events(int timeout_ms) {
    static struct epoll_event evs[1024];
    int n = epoll_wait(ep, evs, 1024, timeout_ms);
    for (int k = 0; k < n; k++) {
        int i = evs[k].data.u32; client_t *c = &cl[i];
        if (c->fd < 0) continue;
        if (c->state == ST_CONNECTING) {
            if (!(evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) continue;
            int err = 0; socklen_t el = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
            if (err) {
                inflight_conn--; close(c->fd); c->fd = -1;
                /* refused (a listen backlog full for a moment): again after 20, 40, 80, 160 ms */
                if (c->attempts < 5) { c->state = ST_IDLE; c->retry_at = now_ns() + (20000000ull << (c->attempts - 1)); retryq[nretry++] = i; conn_retries++; }
                else { c->state = ST_FAILED; conn_fail++; set_error("connect failed: %s", strerror(err)); }
                continue;
            }
            arm_out(i, 0); on_connected(i); continue;
        }
        if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(i);
        if (c->fd >= 0 && (evs[k].events & EPOLLOUT)) flush(i);
    }
}

static int start_connect(int i) {
    client_t *c = &cl[i];
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { set_error("socket: %s", strerror(errno)); return -1; }
    int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd; c->out_armed = 1; c->attempts++;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
    int r = connect(fd, (struct sockaddr *)&sa, salen);
    if (r < 0 && errno != EINPROGRESS) { set_error("connect: %s", strerror(errno)); close(fd); c->fd = -1; return -1; }
    c->state = ST_CONNECTING; inflight_conn++;
    return 0;
}

static void fill_connects(void) {
    while (inflight_conn < CONC) {
        int i;
        if (nretry && cl[retryq[nretry - 1]].retry_at <= now_ns()) i = retryq[--nretry];
        else if (next_conn < N) i = next_conn++;
        else break;
        if (start_connect(i) < 0) { cl[i].state = ST_FAILED; conn_fail++; }
    }
}

static int send_pass(uint64_t t_start, int *rot) {
    int any_left = 0, more = 0;
    double el = (double)(now_ns() - t_start);
    char msg[4200];
    int plen = MSZ < HDR_LEN ? HDR_LEN : MSZ;
    const char *pre = dialect == D_WS ? "{\"type\":\"line\",\"text\":\"" : dialect == D_SIO ? "42[\"chat message\",\"" : "";
    const char *post = dialect == D_WS ? "\"}" : dialect == D_SIO ? "\"]" : "";
    size_t prel = strlen(pre), postl = strlen(post);
    for (int k = 0; k < S; k++) {
        int i = (*rot + k) % S; client_t *c = &cl[i];
        if (c->sent < (uint32_t)M) any_left = 1; else continue;
        if (c->state != ST_READY || c->fd < 0) continue;
        if (c->wlen - c->woff > 65536) continue;
        uint64_t allowed = UINT64_MAX;
        if (RATE > 0) { double e = el - (double)i * 1e9 / ((double)S * RATE); allowed = e < 0 ? 0 : (uint64_t)(e * RATE / 1e9) + 1; }
        int n = 0;
        while (c->sent < (uint32_t)M && n < BATCH && c->sent < allowed && (W == 0 || c->sent - c->completed - c->expired < (uint32_t)W)) {
            uint64_t ts = now_ns();
            memcpy(msg, pre, prel);
            int o = prel + snprintf(msg + prel, sizeof msg - prel, "~%04x.%08x.%016llx~", i, c->sent, (unsigned long long)ts);
            memset(msg + o, 'x', plen - HDR_LEN); o += plen - HDR_LEN;
            memcpy(msg + o, post, postl); o += postl;
            send_ts[(size_t)i * M + c->sent] = ts;
            wframe(c, 0x1, msg, o);
            c->sent++; n++; sent_total++;
        }
        if (n == BATCH) more = 1;
        if (n) { flush(i); t_last_progress = now_ns(); }
    }
    *rot = (*rot + 1) % (S ? S : 1);
    return any_left | (more << 1);
}

static void expire_pass(uint64_t t) {
    uint64_t lim = (uint64_t)(MSG_TIMEOUT_S * 1e9);
    for (int i = 0; i < S; i++) {
        client_t *c = &cl[i];
        while (c->oldest < c->sent) {
            size_t k = (size_t)i * M + c->oldest; uint32_t v = cnt[k];
            if ((v & 0x7fffffffu) >= (uint32_t)(N - 1) || (v & 0x80000000u)) { c->oldest++; continue; }
            if (t - send_ts[k] > lim) { cnt[k] |= 0x80000000u; c->expired++; c->oldest++; continue; }
            break;
        }
    }
}

static int cmp_u64(const void *a, const void *b) { uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b; return x < y ? -1 : x > y; }
static double pct(double p) { if (!nlat) return -1; size_t k = (size_t)(p / 100.0 * (nlat - 1) + 0.5); return lat[k] / 1000.0; }

static void usage(void) {
    fprintf(stderr,
        "usage: wsgen --proto ws|ws-raw|sio --port P [--host 127.0.0.1] [--path /ws] [--clients N] [--senders S]\n"
        "  [--msgs M (0 = idle test)] [--size BYTES] [--window W] [--rate R] [--conc C] [--batch K]\n"
        "  [--settle-ms MS] [--idle-s S] [--timeout-s S] [--connect-timeout-s S] [--hold-s S]\n"
        "  [--msg-timeout-s S] [--quiesce-max-s S] [--server-pid PID] [--label TEXT] [--nick-prefix P]\n");
    exit(2);
}

int main(int argc, char **argv) {
    static struct option lo[] = {
        {"proto", 1, 0, 'p'}, {"host", 1, 0, 'H'}, {"port", 1, 0, 'P'}, {"path", 1, 0, 'u'}, {"clients", 1, 0, 'n'},
        {"senders", 1, 0, 's'}, {"msgs", 1, 0, 'm'}, {"size", 1, 0, 'z'}, {"window", 1, 0, 'w'}, {"rate", 1, 0, 'r'},
        {"conc", 1, 0, 'c'}, {"settle-ms", 1, 0, 'S'}, {"idle-s", 1, 0, 'i'}, {"timeout-s", 1, 0, 't'},
        {"connect-timeout-s", 1, 0, 'T'}, {"hold-s", 1, 0, 'h'}, {"msg-timeout-s", 1, 0, 'x'}, {"server-pid", 1, 0, 'k'},
        {"label", 1, 0, 'l'}, {"quiesce-max-s", 1, 0, 'Q'}, {"batch", 1, 0, 'b'}, {"nick-prefix", 1, 0, 'N'}, {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "", lo, 0)) != -1) {
        switch (o) {
        case 'p': if (!strcmp(optarg, "ws")) dialect = D_WS; else if (!strcmp(optarg, "ws-raw")) dialect = D_RAW; else if (!strcmp(optarg, "sio")) dialect = D_SIO; else usage(); break;
        case 'H': snprintf(host, sizeof host, "%s", optarg); break;
        case 'P': port = atoi(optarg); break;
        case 'u': snprintf(path, sizeof path, "%s", optarg); break;
        case 'n': N = atoi(optarg); break;
        case 's': S = atoi(optarg); break;
        case 'm': M = atoi(optarg); break;
        case 'z': MSZ = atoi(optarg); break;
        case 'w': W = atoi(optarg); break;
        case 'r': RATE = atof(optarg); break;
        case 'c': CONC = atoi(optarg); break;
        case 'S': SETTLE_MS = atof(optarg); break;
        case 'i': IDLE_S = atof(optarg); break;
        case 't': TIMEOUT_S = atof(optarg); break;
        case 'T': CONNECT_TIMEOUT_S = atof(optarg); break;
        case 'h': HOLD_S = atof(optarg); break;
        case 'x': MSG_TIMEOUT_S = atof(optarg); break;
        case 'k': SERVER_PID = atoi(optarg); break;
        case 'l': snprintf(label, sizeof label, "%s", optarg); break;
        case 'Q': QUIESCE_MAX_S = atof(optarg); break;
        case 'b': BATCH = atoi(optarg); break;
        case 'N': snprintf(nickpfx, sizeof nickpfx, "%s", optarg); break;
        default: usage();
        }
    }
    if (port <= 0 || port > 65535 || N < 1) usage();
    if (S < 0 || S > N) S = N;
    if (S > 65535 || M < 0 || MSZ > 3000 || CONC < 1 || BATCH < 1) usage();
    if (TIMEOUT_S > 3600) TIMEOUT_S = 3600;
    if (!path[0]) snprintf(path, sizeof path, "%s", dialect == D_WS ? "/ws" : dialect == D_SIO ? "/socket.io/?EIO=4&transport=websocket" : "/");
    for (char *q = label; *q; q++) if (*q == '"' || *q == '\\' || (unsigned char)*q < 32) *q = '_';
    for (char *q = path; *q; q++) if ((unsigned char)*q <= 32) die("--path may not hold spaces or control characters");

    memset(&sa, 0, sizeof sa);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&sa; struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127) die("refusing a target outside loopback");
        s4->sin_family = AF_INET; s4->sin_port = htons(port); salen = sizeof *s4;
    } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) die("refusing a target outside loopback");
        s6->sin6_family = AF_INET6; s6->sin6_port = htons(port); salen = sizeof *s6;
    } else die("--host must be a numeric loopback address");

    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl; getrlimit(RLIMIT_NOFILE, &rl); rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)N + 64 > rl.rlim_cur) die("the open-files limit is too low for --clients");
    rng ^= (uint64_t)now_ns() * 0x2545f4914f6cdd1dull; if (!rng) rng = 1;

    cl = calloc(N, sizeof *cl); retryq = calloc(N, sizeof *retryq);
    if (!cl || !retryq) die("out of memory");
    for (int i = 0; i < N; i++) cl[i].fd = -1;
    if (M > 0 && S > 0) { cnt = calloc((size_t)S * M, sizeof *cnt); send_ts = calloc((size_t)S * M, sizeof *send_ts); if (!cnt || !send_ts) die("out of memory"); }
    ep = epoll_create1(EPOLL_CLOEXEC);

    long rss0 = read_rss_kb(SERVER_PID);
    uint64_t t0 = now_ns(), t_all_conn = 0;
    const char *end_reason = "complete";
    while (ready_cnt < N) {
        fill_connects();
        handle_events(5);
        if (!t_all_conn && connected_cnt == N) t_all_conn = now_ns();
        int dead = 0; for (int i = 0; i < N; i++) if (cl[i].state == ST_FAILED || cl[i].state == ST_CLOSED) { dead = 1; break; }
        if (dead && next_conn >= N && !nretry && inflight_conn == 0) { end_reason = "connect_failed"; break; }
        if ((now_ns() - t0) / 1e9 > CONNECT_TIMEOUT_S) { end_reason = "connect_timeout"; break; }
    }
    uint64_t t_ready = now_ns();
    if (!t_all_conn) t_all_conn = t_ready;
    double connect_s = (t_all_conn - t0) / 1e9, ready_s = (t_ready - t0) / 1e9;
    int ready_at_start = ready_cnt;
    double srv_cpu0 = -1, srv_cpu1 = -1, my_cpu0 = 0, my_cpu1 = 0;
    uint64_t t_start = 0, t_end = 0;
    long rss1 = -1; int quiesced = -1; double hold_s = 0;

    if (!strcmp(end_reason, "complete") && M == 0) {
        uint64_t th = now_ns() + (uint64_t)(HOLD_S * 1e9);
        while (now_ns() < th) handle_events(20);
        uint64_t tq = now_ns() + (uint64_t)(QUIESCE_MAX_S * 1e9);
        quiesced = SERVER_PID > 0 ? 0 : 1;
        while (!quiesced && now_ns() < tq) {
            double c0 = read_cpu_s(SERVER_PID); uint64_t tw = now_ns() + 500000000ull;
            while (now_ns() < tw) handle_events(20);
            double c1 = read_cpu_s(SERVER_PID);
            if (c0 < 0 || c1 < 0 || c1 - c0 < 0.025) quiesced = 1;
        }
        hold_s = (now_ns() - t_ready) / 1e9;
        rss1 = read_rss_kb(SERVER_PID);
        if (ready_cnt < N) end_reason = "lost_connections_during_hold";
    } else if (!strcmp(end_reason, "complete")) {
        uint64_t ts = now_ns() + (uint64_t)(SETTLE_MS * 1e6);
        while (now_ns() < ts) handle_events(5);
        rss1 = read_rss_kb(SERVER_PID);
        srv_cpu0 = read_cpu_s(SERVER_PID); my_cpu0 = self_cpu_s();
        t_start = now_ns(); t_last_progress = t_start;
        uint64_t expected = (uint64_t)S * M * (N - 1), last_exp = 0;
        int rot = 0;
        for (;;) {
            int sp = send_pass(t_start, &rot), left = sp & 1;
            handle_events((sp & 2) ? 0 : (left && RATE > 0) ? 1 : 10);
            uint64_t t = now_ns();
            if (t - last_exp > 50000000ull) { expire_pass(t); last_exp = t; }
            if (deliveries >= expected && !left) { end_reason = "complete"; break; }
            if ((t - t_start) / 1e9 > TIMEOUT_S) { end_reason = "timeout"; break; }
            if ((t - t_last_progress) / 1e9 > IDLE_S) { end_reason = left ? "stalled" : "drained_incomplete"; break; }
            if (ready_cnt < ready_at_start && deliveries < expected && first_error[0]) { end_reason = "lost_connections"; break; }
        }
        t_end = now_ns();
        srv_cpu1 = read_cpu_s(SERVER_PID); my_cpu1 = self_cpu_s();
    }

    double run_s = 0, sendwall_s = 0;
    if (t_start) { uint64_t last = t_last_deliv > t_start ? t_last_deliv : t_end; run_s = (last - t_start) / 1e9; sendwall_s = (t_end - t_start) / 1e9; }
    if (nlat) qsort(lat, nlat, sizeof *lat, cmp_u64);
    double mean = 0; for (size_t k = 0; k < nlat; k++) mean += lat[k]; if (nlat) mean = mean / nlat / 1000.0;
    uint64_t expected = (uint64_t)S * M * (N - 1), expired = 0;
    for (int i = 0; i < S && M; i++) expired += cl[i].expired;
    double srv_cpu = (srv_cpu0 >= 0 && srv_cpu1 >= 0) ? srv_cpu1 - srv_cpu0 : -1;
    double my_pct = sendwall_s > 0 ? 100.0 * (my_cpu1 - my_cpu0) / sendwall_s : -1.0;
    static const char *names[] = {"ws", "ws-raw", "sio"};
    printf("{\"label\":\"%s\",\"proto\":\"%s\",\"port\":%d,\"clients\":%d,\"senders\":%d,\"msgs_per_sender\":%d,"
           "\"size\":%d,\"window\":%d,\"rate\":%g,\"end_reason\":\"%s\",\"ready_clients\":%d,"
           "\"connect_s\":%.4f,\"ready_s\":%.4f,\"sent\":%llu,\"expected\":%llu,\"delivered\":%llu,"
           "\"ratio\":%.6f,\"dup\":%llu,\"self\":%llu,\"bad_markers\":%llu,\"expired_msgs\":%llu,"
           "\"run_s\":%.4f,\"wall_s\":%.4f,\"deliveries_per_s\":%.1f,\"msgs_per_s\":%.1f,"
           "\"lat_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f,\"mean\":%.1f},"
           "\"conn_retries\":%llu,\"conn_fail\":%llu,\"disconnects\":%llu,"
           "\"server_pid\":%d,\"server_rss_kb_before\":%ld,\"server_rss_kb_after\":%ld,\"rss_per_conn_kb\":%.2f,"
           "\"server_cpu_s\":%.3f,\"server_cpu_pct\":%.1f,\"loadgen_cpu_s\":%.3f,\"loadgen_cpu_pct\":%.1f,"
           "\"loadgen_busy_max\":%.3f,\"idle_quiesced\":%d,\"idle_hold_s\":%.2f,\"tool\":\"wsgen\",\"warnings\":[%s],\"first_error\":\"",
           label, names[dialect], port, N, S, M, MSZ, W, RATE, end_reason, ready_at_start, connect_s, ready_s,
           (unsigned long long)sent_total, (unsigned long long)expected, (unsigned long long)deliveries,
           expected ? (double)deliveries / expected : 0.0, (unsigned long long)dup_deliv, (unsigned long long)self_deliv,
           (unsigned long long)bad_markers, (unsigned long long)expired, run_s, sendwall_s, run_s > 0 ? deliveries / run_s : 0.0,
           run_s > 0 ? sent_total / run_s : 0.0, pct(50), pct(90), pct(99), nlat ? lat[nlat - 1] / 1000.0 : -1.0, nlat ? mean : -1.0,
           (unsigned long long)conn_retries, (unsigned long long)conn_fail, (unsigned long long)disconnects, SERVER_PID, rss0, rss1,
           (rss0 >= 0 && rss1 >= 0 && ready_at_start) ? (double)(rss1 - rss0) / ready_at_start : -1.0,
           srv_cpu, (srv_cpu >= 0 && sendwall_s > 0) ? 100.0 * srv_cpu / sendwall_s : -1.0, my_cpu1 - my_cpu0, my_pct,
           my_pct >= 0 ? my_pct / 100.0 : -1.0, quiesced, hold_s,
           my_pct >= 90 ? "\"the generator may be the bottleneck: it was busy over 90% of the time\"" : "");
    for (char *q = first_error; *q; q++) { if (*q == '"' || *q == '\\') putchar('\\'); putchar((unsigned char)*q < 32 ? ' ' : *q); }
    printf("\"}\n");
    fflush(stdout);
    for (int i = 0; i < N; i++) if (cl[i].fd >= 0) close(cl[i].fd);
    return strcmp(end_reason, "complete") == 0 ? 0 : 1;
}
