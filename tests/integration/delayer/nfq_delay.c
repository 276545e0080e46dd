/*
 * nfq_delay: holds every packet of an NFQUEUE for delay +/- jitter (uniform) and then releases it
 * with NF_ACCEPT, in release-time order (so jitter reorders packets). Many packets in flight;
 * single-threaded poll() loop, one verdict per packet. Used by synscan's reliability lab
 * (tests/integration/reliability_*.py) because the lab kernel has no netem.
 *
 *   nfq_delay --queue N --delay-ms 50 --jitter-ms 20 [--seed S] [--stats FILE]
 *
 * Run it inside the namespace whose nftables ruleset has `queue num N` (nfqueue is per netns).
 * Prints "ready" on stdout once bound; on SIGTERM/SIGINT releases every held packet at once,
 * prints counters on stderr (and to --stats) and exits 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    uint64_t due_ns;
    uint64_t seq; /* tie-break: FIFO among equal due times */
    uint32_t id;
} held_t;

static held_t *heap;
static size_t heap_len, heap_cap;
static uint64_t seq_counter;
static uint64_t delay_ns, jitter_ns;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static volatile sig_atomic_t stop_flag;

static struct {
    uint64_t received, released, reordered, max_in_flight, late_ns_max, verdict_errors, enobufs;
    uint64_t min_delay_ns, max_delay_ns, sum_delay_ns;
} st = {.min_delay_ns = UINT64_MAX};
static uint64_t last_released_seq;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rng(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int before(const held_t *a, const held_t *b) {
    return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void heap_push(held_t h) {
    if (heap_len == heap_cap) {
        heap_cap = heap_cap ? heap_cap * 2 : 4096;
        heap = realloc(heap, heap_cap * sizeof *heap);
        if (!heap) { perror("realloc"); exit(1); }
    }
    size_t i = heap_len++;
    heap[i] = h;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&heap[i], &heap[p])) break;
        held_t t = heap[i]; heap[i] = heap[p]; heap[p] = t;
        i = p;
    }
}

static held_t heap_pop(void) {
    held_t top = heap[0];
    heap[0] = heap[--heap_len];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < heap_len && before(&heap[l], &heap[m])) m = l;
        if (r < heap_len && before(&heap[r], &heap[m])) m = r;
        if (m == i) break;
        held_t t = heap[i]; heap[i] = heap[m]; heap[m] = t;
        i = m;
    }
    return top;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
    (void)qh; (void)msg; (void)data;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    if (!ph) return 0;
    uint64_t d = delay_ns;
    if (jitter_ns) {
        uint64_t span = 2 * jitter_ns + 1;
        d = delay_ns - jitter_ns + rng() % span; /* uniform in [delay - jitter, delay + jitter] */
    }
    held_t h = {now_ns() + d, seq_counter++, ntohl(ph->packet_id)};
    heap_push(h);
    st.received++;
    if (heap_len > st.max_in_flight) st.max_in_flight = heap_len;
    if (d < st.min_delay_ns) st.min_delay_ns = d;
    if (d > st.max_delay_ns) st.max_delay_ns = d;
    st.sum_delay_ns += d;
    return 0;
}

static void release(struct nfq_q_handle *qh, held_t h, uint64_t now) {
    if (nfq_set_verdict(qh, h.id, NF_ACCEPT, 0, NULL) < 0) st.verdict_errors++;
    st.released++;
    if (st.released > 1 && h.seq < last_released_seq) st.reordered++;
    last_released_seq = h.seq;
    if (now > h.due_ns && now - h.due_ns > st.late_ns_max) st.late_ns_max = now - h.due_ns;
}

static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static void print_stats(FILE *f) {
    fprintf(f,
            "nfq_delay: received %llu released %llu reordered %llu max_in_flight %llu "
            "delay_ms min %.1f avg %.1f max %.1f worst_lateness_ms %.2f verdict_errors %llu enobufs %llu\n",
            (unsigned long long)st.received, (unsigned long long)st.released,
            (unsigned long long)st.reordered, (unsigned long long)st.max_in_flight,
            st.received ? st.min_delay_ns / 1e6 : 0.0,
            st.received ? (double)st.sum_delay_ns / st.received / 1e6 : 0.0,
            st.max_delay_ns / 1e6, st.late_ns_max / 1e6, (unsigned long long)st.verdict_errors,
            (unsigned long long)st.enobufs);
}

int main(int argc, char **argv) {
    int queue = 0;
    double delay_ms = 50, jitter_ms = 20;
    const char *stats_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--queue") && v) queue = atoi(argv[++i]);
        else if (!strcmp(a, "--delay-ms") && v) delay_ms = atof(argv[++i]);
        else if (!strcmp(a, "--jitter-ms") && v) jitter_ms = atof(argv[++i]);
        else if (!strcmp(a, "--seed") && v) rng_state = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(a, "--stats") && v) stats_path = argv[++i];
        else {
            fprintf(stderr, "usage: %s --queue N --delay-ms D --jitter-ms J [--seed S] [--stats FILE]\n", argv[0]);
            return 2;
        }
    }
    if (delay_ms < 0 || jitter_ms < 0 || jitter_ms > delay_ms) {
        fprintf(stderr, "nfq_delay: need 0 <= jitter <= delay\n");
        return 2;
    }
    delay_ns = (uint64_t)(delay_ms * 1e6);
    jitter_ns = (uint64_t)(jitter_ms * 1e6);

    struct nfq_handle *h = nfq_open();
    if (!h) { perror("nfq_open"); return 1; }
    struct nfq_q_handle *qh = nfq_create_queue(h, (uint16_t)queue, on_packet, NULL);
    if (!qh) { perror("nfq_create_queue"); return 1; }
    /* only the metadata (packet id) is needed: the verdict carries no payload */
    if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) { perror("nfq_set_mode"); return 1; }
    nfq_set_queue_maxlen(qh, 1 << 20);
    nfnl_rcvbufsiz(nfq_nfnlh(h), 64 << 20);
    int fd = nfq_fd(h);
    int one = 1;
    setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    printf("ready\n");
    fflush(stdout);

    static char buf[65536] __attribute__((aligned));
    while (!stop_flag) {
        uint64_t now = now_ns();
        while (heap_len && heap[0].due_ns <= now) release(qh, heap_pop(), now);
        struct timespec ts, *tsp = NULL;
        if (heap_len) {
            uint64_t wait = heap[0].due_ns - now;
            ts.tv_sec = (time_t)(wait / 1000000000ull);
            ts.tv_nsec = (long)(wait % 1000000000ull);
            tsp = &ts;
        }
        struct pollfd pfd = {fd, POLLIN, 0};
        int n = ppoll(&pfd, 1, tsp, NULL);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("poll");
            break;
        }
        if (n == 0) continue;
        /* drain the socket (bounded, so releases are not starved) */
        for (int k = 0; k < 256; k++) {
            ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (r < 0) {
                if (errno == ENOBUFS) { st.enobufs++; continue; }
                break;
            }
            nfq_handle_packet(h, buf, (int)r);
        }
    }
    uint64_t now = now_ns();
    while (heap_len) release(qh, heap_pop(), now);
    print_stats(stderr);
    if (stats_path) {
        FILE *f = fopen(stats_path, "w");
        if (f) { print_stats(f); fclose(f); }
    }
    nfq_destroy_queue(qh);
    nfq_close(h);
    return 0;
}
