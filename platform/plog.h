/* Logging for the control plane and start-up; never called on the hot path. */
#ifndef SLUICE_PLATFORM_PLOG_H
#define SLUICE_PLATFORM_PLOG_H

enum plog_level { PLOG_ERR, PLOG_WARN, PLOG_INFO, PLOG_DEBUG };

void plog_set_level(enum plog_level level);
void plog_set_ident(const char *ident);
void plog(enum plog_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define plog_err(...) plog(PLOG_ERR, __VA_ARGS__)
#define plog_warn(...) plog(PLOG_WARN, __VA_ARGS__)
#define plog_info(...) plog(PLOG_INFO, __VA_ARGS__)
#define plog_debug(...) plog(PLOG_DEBUG, __VA_ARGS__)

#endif
