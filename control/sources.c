/* Listing the source tables (see sources.h). */
#include "control/sources.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon.h"
#include "dataplane/srcstat.h"
#include "platform/clock.h"
#include "platform/num.h"

static const char *const sources_sort_names[SOURCES_SORTS] = {
	"gaps", "dups", "late", "skew", "rate",
};

int sources_parse(const char *const *args, unsigned n, struct sources_req *rq, char *err,
		  size_t err_size)
{
	*rq = (struct sources_req){ .top = SOURCES_TOP_DEFAULT, .sort = SOURCES_BY_GAPS };
	for (unsigned i = 0; i < n; i++) {
		const char *a = args[i];

		if (strncmp(a, "top=", 4) == 0) {
			uint64_t v;

			if (!num_u64(a + 4, &v) || v < 1 || v > SOURCES_TOP_MAX) {
				snprintf(err, err_size, "top '%s': want 1 to %u", a + 4, SOURCES_TOP_MAX);
				return -EINVAL;
			}
			rq->top = (unsigned)v;
		} else if (strncmp(a, "sort=", 5) == 0) {
			int k = -1;

			for (int s = 0; s < SOURCES_SORTS; s++)
				if (strcmp(a + 5, sources_sort_names[s]) == 0)
					k = s;
			if (k < 0) {
				snprintf(err, err_size, "sort '%s': want gaps, dups, late, skew or rate",
					 a + 5);
				return -EINVAL;
			}
			rq->sort = (enum sources_sort)k;
		} else if (strcmp(a, "silent") == 0) {
			rq->silent = true;
		} else {
			snprintf(err, err_size, "unexpected '%s' (top=N, sort=K, silent)", a);
			return -EINVAL;
		}
	}
	return 0;
}

static uint64_t sources_abs(int64_t v)
{
	return v < 0 ? (uint64_t)-v : (uint64_t)v;
}

/* Events per second, x1000, between first and last seen. */
static uint64_t sources_rate_milli(const struct srcstat_source *s)
{
	uint64_t span = s->last_ns > s->first_ns ? s->last_ns - s->first_ns : 0;

	return span ? (uint64_t)((double)(s->events - 1) * 1e12 / (double)span) : 0;
}

static uint64_t sources_key(const struct srcstat_source *s, enum sources_sort k)
{
	switch (k) {
	case SOURCES_BY_DUPS: return s->dups;
	case SOURCES_BY_LATE: return s->late;
	case SOURCES_BY_SKEW: return sources_abs(s->offset_ns);
	case SOURCES_BY_RATE: return sources_rate_milli(s);
	default: return s->gaps;
	}
}

struct sources_heap {
	struct srcstat_source *e;    /* a min-heap by key of at most cap */
	uint64_t *key;
	unsigned n, cap;
};

static void sources_swap(struct sources_heap *h, unsigned a, unsigned b)
{
	struct srcstat_source t = h->e[a];
	uint64_t k = h->key[a];

	h->e[a] = h->e[b];
	h->key[a] = h->key[b];
	h->e[b] = t;
	h->key[b] = k;
}

static void sources_down(struct sources_heap *h, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->n && h->key[l] < h->key[m])
			m = l;
		if (r < h->n && h->key[r] < h->key[m])
			m = r;
		if (m == i)
			return;
		sources_swap(h, i, m);
		i = m;
	}
}

/* Keeps the cap largest keys seen. */
static void sources_offer(struct sources_heap *h, const struct srcstat_source *s, uint64_t key)
{
	unsigned i;

	if (h->n == h->cap) {
		if (key <= h->key[0])
			return;
		h->e[0] = *s;
		h->key[0] = key;
		sources_down(h, 0);
		return;
	}
	i = h->n++;
	h->e[i] = *s;
	h->key[i] = key;
	while (i && h->key[(i - 1) / 2] > h->key[i]) {
		sources_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

/* Sorts the heap most first (popping the least to the end sorts a
 * min-heap descending); returns the count. */
static unsigned sources_heap_sort(struct sources_heap *h)
{
	unsigned count = h->n;

	for (unsigned n = h->n; n > 1; n--) {
		sources_swap(h, 0, n - 1);
		h->n--;
		sources_down(h, 0);
	}
	h->n = count;
	return count;
}

/* The text table's column names, the same for a listing and one device. */
static void sources_print_header(FILE *out)
{
	fprintf(out, "%20s %10s %8s %8s %8s %8s %8s %10s %9s %7s\n", "source", "events", "gaps",
		"dups", "reorder", "late", "ahead", "offset_ms", "rate/s", "quiet_s");
}

static void sources_print(const struct srcstat_source *s, uint64_t now_ns, FILE *out, bool json)
{
	uint64_t quiet_s = now_ns > s->last_ns ? (now_ns - s->last_ns) / 1000000000ull : 0;
	uint64_t rate = sources_rate_milli(s);

	if (json) {
		fprintf(out, "{\"source_id\":%" PRIu64 ",\"events\":%" PRIu64 ",\"bytes\":%" PRIu64
			",\"seq_high\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"dups\":%" PRIu64
			",\"reordered\":%" PRIu64 ",\"stale\":%" PRIu64 ",\"late\":%" PRIu64
			",\"ahead\":%" PRIu64 ",\"offset_ms\":%.3f,\"rate_per_s\":%.3f"
			",\"first_seen_ns\":%" PRIu64 ",\"last_seen_ns\":%" PRIu64
			",\"quiet_s\":%" PRIu64 "}\n", s->source_id, s->events, s->bytes, s->seq_high,
			s->gaps, s->dups, s->reordered, s->stale, s->late, s->ahead,
			(double)s->offset_ns / 1e6, (double)rate / 1000.0, s->first_ns, s->last_ns,
			quiet_s);
		return;
	}
	fprintf(out, "%20" PRIu64 " %10" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64
		" %8" PRIu64 " %10.1f %9.1f %7" PRIu64 "\n", s->source_id, s->events, s->gaps,
		s->dups, s->reordered, s->late, s->ahead, (double)s->offset_ns / 1e6,
		(double)rate / 1000.0, quiet_s);
}

/* A walk over every worker's table, a device at a time. */
struct sources_walk {
	unsigned w;          /* worker */
	uint32_t i;          /* slot */
	uint64_t torn;       /* devices the worker kept writing while read: left out */
};

/* The next device of the walk copied into *s; false after the last. */
static bool sources_next(const struct daemon *d, struct sources_walk *c, struct srcstat_source *s)
{
	for (; c->w < d->worker_count; c->w++, c->i = 0) {
		const struct srcstat *t = d->workers[c->w]->sources;

		while (t && c->i < srcstat_slots(t)) {
			int rc = srcstat_read(t, c->i++, s);

			c->torn += rc == -EAGAIN;
			if (rc == 0)
				return true;
		}
	}
	return false;
}

/* Quiet for silence_ns or longer (an arrival in the future is not). */
static bool sources_silent(const struct srcstat_source *s, uint64_t now, uint64_t silence_ns)
{
	return now >= s->last_ns && now - s->last_ns >= silence_ns;
}

int sources_render(const struct daemon *d, const struct sources_req *rq, FILE *out, bool json)
{
	struct sources_heap h = { .cap = rq->top };
	struct srcstat_source s;
	uint64_t now = clock_real_ns(), silence = d->cfg.source_silence_s * 1000000000ull;
	struct sources_walk walk = { 0 };

	h.e = malloc(sizeof(*h.e) * h.cap);
	h.key = malloc(sizeof(*h.key) * h.cap);
	if (!h.e || !h.key) {
		free(h.e);
		free(h.key);
		return -ENOMEM;
	}
	while (sources_next(d, &walk, &s))
		if (!rq->silent || sources_silent(&s, now, silence))
			sources_offer(&h, &s, sources_key(&s, rq->sort));
	unsigned count = sources_heap_sort(&h);

	if (!json)
		sources_print_header(out);
	for (unsigned i = 0; i < count; i++)
		sources_print(&h.e[i], now, out, json);
	if (!json && walk.torn)
		fprintf(out, "(%" PRIu64 " devices changed while read, left out)\n", walk.torn);
	free(h.e);
	free(h.key);
	return 0;
}

uint64_t sources_watermark(const struct daemon *d, uint16_t schema)
{
	uint64_t low = 0, late = d->cfg.late_ms * 1000000;

	for (unsigned w = 0; w < d->worker_count; w++) {
		uint64_t v;

		if (!d->workers[w]->schema_newest_ns)
			continue;
		v = counter_get(&d->workers[w]->schema_newest_ns[schema]);
		if (v && (!low || v < low))
			low = v;
	}
	return low > late ? low - late : 0;
}

void sources_render_watermarks(const struct daemon *d, FILE *out)
{
	bool said = false;

	for (uint32_t schema = 0; schema <= UINT16_MAX; schema++) {
		uint64_t wm = sources_watermark(d, (uint16_t)schema);

		if (!wm)
			continue;
		if (!said)
			fputs("# HELP sluice_watermark_seconds event time before which all events "
			      "of the schema are believed in (newest on time, less --late-ms)\n"
			      "# TYPE sluice_watermark_seconds gauge\n", out);
		said = true;
		fprintf(out, "sluice_watermark_seconds{schema=\"%u\"} %" PRIu64 ".%09" PRIu64 "\n",
			schema, wm / 1000000000u, wm % 1000000000u);
	}
}

static const struct {
	enum sources_sort by;
	const char *name, *help;
	bool seconds;        /* the key is |offset| in ns; print the signed offset in s */
} sources_tops[] = {
	{ SOURCES_BY_GAPS, "gaps", "sequence numbers skipped and not received since", false },
	{ SOURCES_BY_DUPS, "dups", "sequence numbers received again", false },
	{ SOURCES_BY_LATE, "late", "events that arrived more than --late-ms after their time", false },
	{ SOURCES_BY_SKEW, "offset_seconds",
	  "arrival - event time, smoothed (positive: the device's clock behind)", true },
};

void sources_render_metrics(const struct daemon *d, FILE *out)
{
	enum { TOPS = sizeof(sources_tops) / sizeof(sources_tops[0]) };
	struct srcstat_source e[TOPS][SOURCES_METRICS_TOP], s;
	uint64_t key[TOPS][SOURCES_METRICS_TOP], silent = 0, now = clock_real_ns();
	uint64_t silence = d->cfg.source_silence_s * 1000000000ull;
	struct sources_heap h[TOPS];
	struct sources_walk walk = { 0 };

	for (unsigned k = 0; k < TOPS; k++)
		h[k] = (struct sources_heap){ .e = e[k], .key = key[k], .cap = SOURCES_METRICS_TOP };
	while (sources_next(d, &walk, &s)) {
		silent += sources_silent(&s, now, silence);
		for (unsigned k = 0; k < TOPS; k++) {
			uint64_t v = sources_key(&s, sources_tops[k].by);

			if (v)
				sources_offer(&h[k], &s, v);
		}
	}
	fprintf(out, "# HELP sluice_sources_silent devices quiet for --source-silence-s or longer\n"
		"# TYPE sluice_sources_silent gauge\nsluice_sources_silent %" PRIu64 "\n", silent);
	for (unsigned k = 0; k < TOPS; k++) {
		unsigned n = sources_heap_sort(&h[k]);

		fprintf(out, "# HELP sluice_source_top_%s the %u devices with the most: %s "
			"(rank 1 the most; no other label per device)\n"
			"# TYPE sluice_source_top_%s gauge\n", sources_tops[k].name,
			SOURCES_METRICS_TOP, sources_tops[k].help, sources_tops[k].name);
		for (unsigned r = 0; r < n; r++) {
			fprintf(out, "sluice_source_top_%s{rank=\"%u\",source_id=\"%" PRIu64 "\"} ",
				sources_tops[k].name, r + 1, e[k][r].source_id);
			if (sources_tops[k].seconds)
				fprintf(out, "%.6f\n", (double)e[k][r].offset_ns / 1e9);
			else
				fprintf(out, "%" PRIu64 "\n", key[k][r]);
		}
	}
}

int source_render(const struct daemon *d, uint64_t source_id, FILE *out, bool json)
{
	struct srcstat_source s;
	uint64_t now = clock_real_ns();
	struct sources_walk walk = { 0 };

	while (sources_next(d, &walk, &s))
		if (s.source_id == source_id) {
			if (!json)
				sources_print_header(out);
			sources_print(&s, now, out, json);
			return 0;
		}
	fprintf(out, "error: source %" PRIu64 ": not in the source tables (never seen, or "
		     "evicted; --sources-max)\n", source_id);
	return -ENOENT;
}
