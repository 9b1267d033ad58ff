/* Privilege drop with libcap: resolve, chown the state, keep capabilities
 * across setuid, then set exactly the kept ones. */
#include "platform/privdrop.h"

#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#define PRIVDROP_NAME_BUF 4096
#define PRIVDROP_DEPTH 2
#define PRIVDROP_FDS 16

int privdrop_resolve(const char *user, const char *group, uid_t *uid, gid_t *gid, char *err,
		     size_t err_size)
{
	char buf[PRIVDROP_NAME_BUF];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	int rc;

	rc = getpwnam_r(user, &pw, buf, sizeof(buf), &pwp);
	if (rc || !pwp) {
		snprintf(err, err_size, "--user '%s': no such user", user);
		return rc ? -rc : -ENOENT;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	if (!group || !*group)
		return 0;
	rc = getgrnam_r(group, &gr, buf, sizeof(buf), &grp);
	if (rc || !grp) {
		snprintf(err, err_size, "--group '%s': no such group", group);
		return rc ? -rc : -ENOENT;
	}
	*gid = gr.gr_gid;
	return 0;
}

static uid_t chown_uid;
static gid_t chown_gid;
static int chown_err;

static int privdrop_chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > PRIVDROP_DEPTH)
		return 0;
	if (lchown(path, chown_uid, chown_gid) < 0 && errno != ENOENT) {
		chown_err = -errno;
		return 1;
	}
	return 0;
}

int privdrop_chown_tree(const char *dir, uid_t uid, gid_t gid)
{
	chown_uid = uid;
	chown_gid = gid;
	chown_err = 0;
	if (nftw(dir, privdrop_chown_one, PRIVDROP_FDS, FTW_PHYS | FTW_MOUNT) < 0)
		return -errno;
	return chown_err;
}

/* Everything not kept leaves the bounding set: an exec could not get it back. */
static int privdrop_bound(cap_t keep)
{
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		cap_flag_value_t v = CAP_CLEAR;

		if (cap_get_flag(keep, c, CAP_PERMITTED, &v) < 0)
			return -errno;
		if (v == CAP_CLEAR && CAP_IS_SUPPORTED(c) && cap_drop_bound(c) < 0)
			return -errno;
	}
	return 0;
}

int privdrop_become(uid_t uid, gid_t gid, const char *keep, char *err, size_t err_size)
{
	char text[512];
	cap_t caps = NULL;
	int rc = 0;

	/* "= cap_x,cap_y+ep": exactly those, permitted and effective. */
	snprintf(text, sizeof(text), "=%s%s%s", *keep ? " " : "", keep, *keep ? "+ep" : "");
	caps = cap_from_text(text);
	if (!caps) {
		snprintf(err, err_size, "capabilities '%s': not understood", keep);
		return -EINVAL;
	}
	rc = privdrop_bound(caps);
	if (rc < 0) {
		snprintf(err, err_size, "dropping the bounding set: %s", strerror(-rc));
		goto out;
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
		rc = -errno;
		snprintf(err, err_size, "becoming uid %u gid %u: %s", (unsigned)uid, (unsigned)gid,
			 strerror(errno));
		goto out;
	}
	if (cap_set_proc(caps) < 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
		rc = -errno;
		snprintf(err, err_size, "keeping capabilities '%s': %s", keep, strerror(errno));
		goto out;
	}
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, err_size, "root could be taken back after the drop");
		rc = -EPERM;
	}
out:
	cap_free(caps);
	return rc;
}

int privdrop_run(const char *user, const char *group, const char *state_dir, const char *keep,
		 char *err, size_t err_size)
{
	uid_t uid;
	gid_t gid;
	int rc = privdrop_resolve(user, group, &uid, &gid, err, err_size);

	if (rc < 0)
		return rc;
	if (geteuid() != 0) {
		if (geteuid() == uid && getegid() == gid)
			return 0;
		snprintf(err, err_size, "--user '%s': sluiced runs as uid %u, not root: it cannot "
			 "become uid %u", user, (unsigned)geteuid(), (unsigned)uid);
		return -EPERM;
	}
	rc = privdrop_chown_tree(state_dir, uid, gid);
	if (rc < 0) {
		snprintf(err, err_size, "handing %s to uid %u gid %u: %s", state_dir, (unsigned)uid,
			 (unsigned)gid, strerror(-rc));
		return rc;
	}
	rc = privdrop_become(uid, gid, keep, err, err_size);
	if (rc < 0)
		return rc;
	/* The folder is theirs; its parents must let them in, too. */
	if (access(state_dir, R_OK | W_OK | X_OK) < 0) {
		rc = -errno;
		snprintf(err, err_size, "as user '%s', %s is out of reach (%s): a folder above it "
			 "is closed to that user", user, state_dir, strerror(errno));
	}
	return rc;
}
