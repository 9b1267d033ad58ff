/* Logging to stderr with a level, an identity and a real-time stamp. One
 * fprintf per line so lines from several threads do not interleave. */
#include "platform/plog.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum plog_level plog_level = PLOG_INFO;
static const char *plog_ident = "sluice";

void plog_set_level(enum plog_level level)
{
	plog_level = level;
}

void plog_set_ident(const char *ident)
{
	plog_ident = ident;
}

void plog(enum plog_level level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	char msg[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > plog_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: %s\n",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		tm.tm_sec, ts.tv_nsec / 1000000, plog_ident, names[level], msg);
}
