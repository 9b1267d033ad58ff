/* The socket source: one SO_REUSEPORT UDP socket per worker and listen
 * address, drained with recvmmsg; SO_RXQ_OVFL reports what the kernel
 * dropped for want of buffer. Buffers are allocated once at open. */
#include "dataplane/source.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/sock_diag.h>

#include "platform/addr.h"
#include "platform/clock.h"
#include "platform/counter.h"

/* A UDP payload can be 65507 bytes over IPv4; one more shows truncation. */
#define SOCKET_BUF_BYTES 65536u
#define SOCKET_IDLE_POLL_MS 100  /* an idle worker's wait; also when it sees stop */

struct socket_queue {
	int fds[SOURCE_LISTEN_MAX];
	unsigned next_fd;            /* round-robin start, for fairness */
	uint32_t kernel_drops[SOURCE_LISTEN_MAX];
	struct mmsghdr msgs[SOURCE_BURST_MAX];
	struct iovec iovs[SOURCE_BURST_MAX];
	struct sockaddr_storage peers[SOURCE_BURST_MAX];
	char cmsg[SOURCE_BURST_MAX][CMSG_SPACE(sizeof(uint32_t))];
	uint8_t *bufs;               /* SOURCE_BURST_MAX * SOCKET_BUF_BYTES */
	bool idle;                   /* the last wait came back empty */
	struct {
		counter_t datagrams, bytes, missed, truncated, errors, not_allowed;
	} st;                        /* written by the worker, read by control */
};

struct source {
	struct source_config cfg;
	struct socket_queue *queues;
};

/* *no_ovfl: the kernel (or an emulator: qemu-user) refused SO_RXQ_OVFL;
 * the socket still works, its drops are then read through SO_MEMINFO only. */
static int socket_open_one(const struct source_config *cfg,
			   const struct sockaddr_storage *addr, bool *no_ovfl)
{
	socklen_t alen = addr_len(addr);
	int one = 1, fd, rc;

	fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto err;
	if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) < 0) {
		if (errno != ENOPROTOOPT)
			goto err;
		*no_ovfl = true;
	}
	/* FORCE passes rmem_max as root; fall back to the capped request. */
	if (cfg->rcvbuf_bytes > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &cfg->rcvbuf_bytes,
		       sizeof(cfg->rcvbuf_bytes)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cfg->rcvbuf_bytes,
			   sizeof(cfg->rcvbuf_bytes));
	if (bind(fd, (const struct sockaddr *)addr, alen) < 0)
		goto err;
	return fd;
err:
	rc = -errno;
	close(fd);
	return rc;
}

static void socket_close(struct source *src)
{
	if (!src)
		return;
	for (unsigned q = 0; src->queues && q < src->cfg.queues; q++) {
		for (unsigned l = 0; l < src->cfg.listen_count; l++)
			if (src->queues[q].fds[l] >= 0)
				close(src->queues[q].fds[l]);
		free(src->queues[q].bufs);
	}
	free(src->queues);
	free(src);
}

static int socket_open(struct source **out, const struct source_config *cfg, char *err,
		       size_t err_size)
{
	struct source *src;
	bool no_ovfl = false;
	unsigned l = 0;
	int rc = 0;

	if (cfg->queues == 0 || cfg->queues > SOURCE_QUEUES_MAX ||
	    cfg->listen_count == 0 || cfg->listen_count > SOURCE_LISTEN_MAX) {
		snprintf(err, err_size, "%u queues, %u listen addresses: out of range",
			 cfg->queues, cfg->listen_count);
		return -EINVAL;
	}
	src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	src->cfg = *cfg;
	src->queues = calloc(cfg->queues, sizeof(*src->queues));
	if (!src->queues) {
		free(src);
		return -ENOMEM;
	}
	/* Every fd starts closed, so a failure part-way closes only what opened. */
	for (unsigned q = 0; q < cfg->queues; q++)
		for (unsigned i = 0; i < SOURCE_LISTEN_MAX; i++)
			src->queues[q].fds[i] = -1;
	for (unsigned q = 0; q < cfg->queues; q++) {
		struct socket_queue *sq = &src->queues[q];

		sq->bufs = malloc((size_t)SOURCE_BURST_MAX * SOCKET_BUF_BYTES);
		if (!sq->bufs) {
			l = cfg->listen_count;
			rc = -ENOMEM;
			goto err;
		}
		for (l = 0; l < cfg->listen_count; l++) {
			rc = socket_open_one(cfg, &cfg->listen[l], &no_ovfl);
			if (rc < 0)
				goto err;
			sq->fds[l] = rc;
		}
		for (unsigned i = 0; i < SOURCE_BURST_MAX; i++) {
			sq->iovs[i].iov_base = sq->bufs + (size_t)i * SOCKET_BUF_BYTES;
			sq->iovs[i].iov_len = SOCKET_BUF_BYTES;
		}
	}
	*out = src;
	if (no_ovfl)  /* opened, with a notice for the operator */
		snprintf(err, err_size, "SO_RXQ_OVFL refused: datagrams the kernel drops are "
			 "counted only as SO_MEMINFO reports them (rx_missed_packets)");
	return 0;
err:
	if (l < cfg->listen_count)
		snprintf(err, err_size, "listen address %u: %s", l + 1, strerror(-rc));
	else
		snprintf(err, err_size, "%s", strerror(-rc));
	socket_close(src);
	return rc;
}

static void socket_prepare(struct socket_queue *sq, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct msghdr *h = &sq->msgs[i].msg_hdr;

		h->msg_name = &sq->peers[i];
		h->msg_namelen = sizeof(sq->peers[i]);
		h->msg_iov = &sq->iovs[i];
		h->msg_iovlen = 1;
		h->msg_control = sq->cmsg[i];
		h->msg_controllen = sizeof(sq->cmsg[i]);
		h->msg_flags = 0;
	}
}

/* Reads the socket's cumulative drop count from the last message's cmsg. */
static void socket_note_drops(struct socket_queue *sq, unsigned l, struct msghdr *h)
{
	struct cmsghdr *c;
	uint32_t drops;

	for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL)
			continue;
		memcpy(&drops, CMSG_DATA(c), sizeof(drops));
		if (drops != sq->kernel_drops[l]) {
			counter_add(&sq->st.missed, (uint32_t)(drops - sq->kernel_drops[l]));
			sq->kernel_drops[l] = drops;
		}
	}
}

static uint16_t socket_rx_one(struct source *src, struct socket_queue *sq,
			      unsigned l, struct rx_pkt *pkts, uint16_t n,
			      uint64_t now_ns)
{
	uint16_t out = 0;
	int got;

	socket_prepare(sq, n);
	got = recvmmsg(sq->fds[l], sq->msgs, n, MSG_DONTWAIT, NULL);
	if (got <= 0) {
		if (got < 0 && errno != EAGAIN && errno != EINTR)
			counter_add(&sq->st.errors, 1);
		return 0;
	}
	socket_note_drops(sq, l, &sq->msgs[got - 1].msg_hdr);
	for (int i = 0; i < got; i++) {
		struct msghdr *h = &sq->msgs[i].msg_hdr;
		uint32_t len = sq->msgs[i].msg_len;

		if (h->msg_flags & MSG_TRUNC) {
			counter_add(&sq->st.truncated, 1);
			continue;
		}
		if (!allow_sockaddr(&src->cfg.allow, &sq->peers[i])) {
			counter_add(&sq->st.not_allowed, 1);
			continue;
		}
		counter_add(&sq->st.datagrams, 1);
		counter_add(&sq->st.bytes, len);
		pkts[out].data = sq->iovs[i].iov_base;
		pkts[out].len = len;
		pkts[out].peer_id = source_peer_hash(&sq->peers[i]);
		pkts[out].arrival_ns = now_ns;
		out++;
	}
	return out;
}

static uint16_t socket_rx_burst(struct source *src, unsigned queue,
				struct rx_pkt *pkts, uint16_t n)
{
	struct socket_queue *sq = &src->queues[queue];
	unsigned count = src->cfg.listen_count;
	struct pollfd pfd[SOURCE_LISTEN_MAX];
	uint16_t got;
	uint64_t now = clock_real_ns();

	if (n > SOURCE_BURST_MAX)
		n = SOURCE_BURST_MAX;
	/* One socket per call keeps each packet's buffer distinct. */
	for (unsigned k = 0; k < count; k++) {
		unsigned l = (sq->next_fd + k) % count;

		got = socket_rx_one(src, sq, l, pkts, n, now);
		if (got) {
			sq->next_fd = (l + 1) % count;
			sq->idle = false;  /* the worker may hold a partial batch again */
			return got;
		}
	}
	for (unsigned l = 0; l < count; l++) {
		pfd[l].fd = sq->fds[l];
		pfd[l].events = POLLIN;
	}
	/* Idle: sleep in the kernel instead of spinning a shared core. A
	 * short wait first, so a partial batch goes out within it; once a
	 * wait has come back empty (the worker has flushed since), a long one:
	 * a datagram still wakes it at once, and an idle box is not woken a
	 * thousand times a second. */
	if (poll(pfd, count, sq->idle ? SOCKET_IDLE_POLL_MS : src->cfg.poll_timeout_ms) <= 0) {
		sq->idle = true;
		return 0;
	}
	sq->idle = false;
	for (unsigned l = 0; l < count; l++)
		if (pfd[l].revents & POLLIN)
			return socket_rx_one(src, sq, l, pkts, n, clock_real_ns());
	return 0;
}

/* The kernel's drop count of one socket, read directly: SO_RXQ_OVFL only
 * reports it on the next datagram that arrives, so drops at the end of a
 * burst would wait for more traffic to be seen. Control thread only. */
static uint64_t socket_kernel_drops(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len < sizeof(uint32_t) * (SK_MEMINFO_DROPS + 1))
		return 0;
	return mem[SK_MEMINFO_DROPS];
}

static void socket_stats(const struct source *src, unsigned queue,
			 struct source_queue_stats *st)
{
	const struct socket_queue *sq = &src->queues[queue];
	uint64_t kernel = 0;

	for (unsigned l = 0; l < src->cfg.listen_count; l++)
		kernel += socket_kernel_drops(sq->fds[l]);

	uint64_t missed = counter_get(&sq->st.missed);

	st->packets += counter_get(&sq->st.datagrams) + counter_get(&sq->st.truncated);
	st->datagrams += counter_get(&sq->st.datagrams);
	st->bytes += counter_get(&sq->st.bytes);
	st->missed += kernel > missed ? kernel : missed;  /* both count the same drops */
	st->drops[SOURCE_DROP_TRUNCATED] += counter_get(&sq->st.truncated);
	st->drops[SOURCE_DROP_NOT_ALLOWED] += counter_get(&sq->st.not_allowed);
	st->errors += counter_get(&sq->st.errors);
}

static void socket_info(const struct source *src, struct source_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->driver, sizeof(info->driver), "kernel UDP sockets");
	info->port_id = -1;
	info->numa_socket = -1;
	info->link_up = -1;
	info->rss = -1;
	info->queues = src->cfg.queues;
}

const struct source_ops source_socket_ops = {
	.name = "socket",
	.open = socket_open,
	.rx_burst = socket_rx_burst,
	.stats = socket_stats,
	.info = socket_info,
	.close = socket_close,
};
