/* The admin socket: a Unix stream socket; a client sends one line
 * ("stats json\n"), the daemon answers and closes. Main thread only.
 * Access is the file's: mode 0660 and a group of the operator's choice. A
 * daemon may have two, as HAProxy's stats sockets have levels: the admin
 * one takes every command, a read-only one (for monitoring users) only
 * those that change nothing. */
#ifndef SLUICE_CONTROL_ADMIN_H
#define SLUICE_CONTROL_ADMIN_H

#include <stdbool.h>
#include <stdio.h>

#define ADMIN_REQUEST_MAX 256

/* Writes the answer to a request line (without its newline) into out;
 * read_only: it came on the read-only socket, and a command that changes
 * the daemon is refused. Returns 0, or -EINVAL for an unknown or refused
 * command (the text says why). */
typedef int (*admin_handler_fn)(void *ctx, const char *request, bool read_only, FILE *out);

struct admin;

/* Binds path (replacing a stale socket, creating its folder) with mode
 * 0660 and, when group is not empty, that group. A folder every user can
 * write to (without the sticky bit) is refused: -EPERM; an unknown group:
 * -ESRCH. */
int admin_open(struct admin **out, const char *path, const char *group, bool read_only);
int admin_fd(const struct admin *a);
/* Serves one waiting client, if any. Returns 0 or -errno. */
int admin_serve(struct admin *a, admin_handler_fn fn, void *ctx);
void admin_close(struct admin *a);

/* Client side, for sluicectl and tests: sends request, copies the answer to
 * out. Returns 0 or -errno (-ENOENT/-ECONNREFUSED: no daemon). */
int admin_request(const char *path, const char *request, FILE *out, int timeout_ms);

#endif
