/* The admin socket: a Unix stream socket; a client sends one line
 * ("stats json\n"), the daemon answers and closes. Main thread only. */
#ifndef SLUICE_CONTROL_ADMIN_H
#define SLUICE_CONTROL_ADMIN_H

#include <stdio.h>

#define ADMIN_REQUEST_MAX 256

/* Writes the answer to a request line (without its newline) into out.
 * Returns 0, or -EINVAL for an unknown command (the text says why). */
typedef int (*admin_handler_fn)(void *ctx, const char *request, FILE *out);

struct admin;

/* Binds path (replacing a stale socket, creating its folder) with mode
 * 0660. A folder every user can write to (without the sticky bit) is
 * refused: -EPERM. */
int admin_open(struct admin **out, const char *path);
int admin_fd(const struct admin *a);
/* Serves one waiting client, if any. Returns 0 or -errno. */
int admin_serve(struct admin *a, admin_handler_fn fn, void *ctx);
void admin_close(struct admin *a);

/* Client side, for sluicectl and tests: sends request, copies the answer to
 * out. Returns 0 or -errno (-ENOENT/-ECONNREFUSED: no daemon). */
int admin_request(const char *path, const char *request, FILE *out, int timeout_ms);

#endif
