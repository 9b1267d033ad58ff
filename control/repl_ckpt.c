/* Checkpoint writer thread (see repl_ckpt.h). */
#include "control/repl_ckpt.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform/plog.h"
#include "storage/checkpoint.h"
#include "storage/log_segment.h"

#define REPL_CKPT_RETRY_NS 1000000000ull  /* after a failed write */

struct repl_ckpt {
	char paths[LOG_KINDS][LOG_PATH_MAX];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	uint64_t posted[LOG_KINDS];      /* under lock */
	bool stop;                       /* under lock */
	uint64_t written[LOG_KINDS];  /* what each file holds; this thread's */
	int last_error;
};

/* Writes every log whose posted offset is ahead of its file. Returns false
 * when a write failed (the caller waits before trying again). */
static bool repl_ckpt_write_due(struct repl_ckpt *c, const uint64_t posted[LOG_KINDS])
{
	bool ok = true;

	for (int k = 0; k < LOG_KINDS; k++) {
		int rc;

		if (posted[k] == c->written[k])
			continue;
		rc = ckpt_write(c->paths[k], posted[k]);
		if (rc < 0) {
			if (rc != c->last_error)  /* once per kind of failure */
				plog_err("replication: writing checkpoint %s: %s", c->paths[k],
					 strerror(-rc));
			c->last_error = rc;
			ok = false;
			continue;
		}
		if (c->last_error)
			plog_info("replication: checkpoint %s written again", c->paths[k]);
		c->last_error = 0;
		c->written[k] = posted[k];
	}
	return ok;
}

static void *repl_ckpt_thread(void *arg)
{
	struct repl_ckpt *c = arg;
	uint64_t posted[LOG_KINDS];
	bool stop, ok = true;

	for (;;) {
		pthread_mutex_lock(&c->lock);
		for (;;) {
			bool due = false;

			for (int k = 0; k < LOG_KINDS; k++)
				due |= c->posted[k] != c->written[k];
			if (c->stop || (due && ok))
				break;
			if (due) {  /* the last write failed: try again in a while */
				struct timespec ts;

				clock_gettime(CLOCK_MONOTONIC, &ts);
				ts.tv_sec += REPL_CKPT_RETRY_NS / 1000000000ull;
				pthread_cond_timedwait(&c->wake, &c->lock, &ts);
				ok = true;
				continue;
			}
			pthread_cond_wait(&c->wake, &c->lock);
		}
		memcpy(posted, c->posted, sizeof(posted));
		stop = c->stop;
		pthread_mutex_unlock(&c->lock);
		ok = repl_ckpt_write_due(c, posted);
		if (stop)
			return NULL;
	}
}

int repl_ckpt_start(struct repl_ckpt **out, const char *const paths[LOG_KINDS],
		    const uint64_t written[LOG_KINDS])
{
	struct repl_ckpt *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;
	int rc;

	if (!c)
		return -ENOMEM;
	for (int k = 0; k < LOG_KINDS; k++) {
		if (strlen(paths[k]) >= LOG_PATH_MAX - 8) {
			free(c);
			return -ENAMETOOLONG;
		}
		strcpy(c->paths[k], paths[k]);
		c->posted[k] = written[k];
		c->written[k] = written[k];
	}
	pthread_mutex_init(&c->lock, NULL);
	/* The retry wait's deadline by the monotonic clock: a wall-clock
	 * deadline would stretch by any step of the clock back. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &ca);
	pthread_condattr_destroy(&ca);
	rc = -pthread_create(&c->thread, NULL, repl_ckpt_thread, c);
	if (rc < 0) {
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void repl_ckpt_post(struct repl_ckpt *c, int k, uint64_t offset)
{
	pthread_mutex_lock(&c->lock);
	if (offset > c->posted[k]) {
		c->posted[k] = offset;
		pthread_cond_signal(&c->wake);
	}
	pthread_mutex_unlock(&c->lock);
}

void repl_ckpt_stop(struct repl_ckpt *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
