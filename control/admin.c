/* Admin socket server and client. */
#include "control/admin.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "platform/path.h"

#define ADMIN_IO_TIMEOUT_MS 1000

struct admin {
	int fd;
	bool read_only;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int admin_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	strcpy(sun->sun_path, path);
	return 0;
}

/* The group's id, or -ESRCH. */
static int admin_group(const char *name, gid_t *gid)
{
	char buf[4096];
	struct group gr, *res = NULL;

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || !res)
		return -ESRCH;
	*gid = gr.gr_gid;
	return 0;
}

int admin_open(struct admin **out, const char *path, const char *group, bool read_only)
{
	struct sockaddr_un sun;
	char dir[sizeof(sun.sun_path)];
	const char *folder;
	struct admin *a;
	gid_t gid = (gid_t)-1;
	mode_t mode;
	int rc;

	rc = admin_addr(&sun, path);
	if (rc < 0)
		return rc;
	if (group[0] && admin_group(group, &gid) < 0)
		return -ESRCH;
	strcpy(dir, path);
	folder = dirname(dir);
	rc = path_mkdir_p(folder, 0750);
	if (rc < 0)
		return rc;
	rc = path_check_private(folder, &mode);
	if (rc < 0)
		return rc;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	strcpy(a->path, path);
	a->read_only = read_only;
	a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (a->fd < 0) {
		rc = -errno;
		free(a);
		return rc;
	}
	/* A socket file left by a daemon that died: nobody answers on it. */
	if (admin_request(path, "ping", NULL, 200) == 0) {
		close(a->fd);
		free(a);
		return -EADDRINUSE;
	}
	unlink(path);
	/* Owner and group only, whatever the umask: a client that can connect
	 * can pause replication. */
	if (bind(a->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0660) < 0 ||
	    (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) || listen(a->fd, 16) < 0) {
		rc = -errno;
		close(a->fd);
		free(a);
		return rc;
	}
	*out = a;
	return 0;
}

int admin_fd(const struct admin *a)
{
	return a->fd;
}

static int admin_write_all(int fd, const char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EAGAIN) {
			if (poll(&p, 1, ADMIN_IO_TIMEOUT_MS) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one line into buf, within the timeout. */
static int admin_read_line(int fd, char *buf, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t used = 0;

	while (used < size - 1) {
		ssize_t n = read(fd, buf + used, size - 1 - used);

		if (n < 0 && errno == EAGAIN) {
			if (poll(&p, 1, ADMIN_IO_TIMEOUT_MS) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += (size_t)n;
		if (memchr(buf, '\n', used))
			break;
	}
	buf[used] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int admin_serve(struct admin *a, admin_handler_fn fn, void *ctx)
{
	char req[ADMIN_REQUEST_MAX], *resp = NULL;
	size_t resp_len = 0;
	FILE *out;
	int c, rc;

	c = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c < 0)
		return errno == EAGAIN ? 0 : -errno;
	rc = admin_read_line(c, req, sizeof(req));
	if (rc == 0) {
		out = open_memstream(&resp, &resp_len);
		if (!out) {
			rc = -ENOMEM;
		} else {
			if (strcmp(req, "ping") == 0)
				fputs("pong\n", out);
			else if (fn(ctx, req, a->read_only, out) < 0)
				fputs("\n", out);
			fclose(out);
			rc = admin_write_all(c, resp, resp_len);
			free(resp);
		}
	}
	close(c);
	return rc;
}

void admin_close(struct admin *a)
{
	if (!a)
		return;
	close(a->fd);
	unlink(a->path);
	free(a);
}

int admin_request(const char *path, const char *request, FILE *out, int timeout_ms)
{
	struct sockaddr_un sun;
	struct pollfd p;
	char buf[4096];
	int fd, rc;

	rc = admin_addr(&sun, path);
	if (rc < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = -errno;
		goto out;
	}
	rc = admin_write_all(fd, request, strlen(request));
	if (rc == 0)
		rc = admin_write_all(fd, "\n", 1);
	p.fd = fd;
	p.events = POLLIN;
	while (rc == 0) {
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		if (n <= 0)
			break;
		if (out)
			fwrite(buf, 1, (size_t)n, out);
	}
out:
	close(fd);
	return rc;
}
