// SPDX-License-Identifier: GPL-2.0
/*
 * Runs in the guest as PID 1; built on the host and booted by scripts/vm-run.
 *
 * PID 1 of a scripts/vm-run guest, built statically by vm-run so that the
 * guest reaches the command without loading a single shared library.
 *
 * The root file system is the host's / over 9p, read-only.  Mount the
 * pseudo file systems, the writable results share (zcrx.results= on the
 * kernel command line) at the same path as on the host, and tmpfs scratch
 * space on /run, /tmp and /var/tmp without hiding the directories listed in
 * $results/keep (the checkout, the build cache); then run
 * "bash $results/job.sh", write its exit status to $results/rc, and reboot.
 * The kernel log and the leak scan are saved by $results/finish.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define KEEP_ROOT	"/dev/.zcrx-keep"
#define MAX_KEEP	16

static char results[4096];
static char *keep[MAX_KEEP];
static int nkeep;

static void say(const char *fmt, const char *arg)
{
	fprintf(stderr, "vm-init: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
}

static void do_mount(const char *src, const char *dst, const char *type,
		     unsigned long flags, const char *data)
{
	if (mount(src, dst, type, flags, data))
		fprintf(stderr, "vm-init: mount %s on %s: %s\n", type ? type : src,
			dst, strerror(errno));
}

static void mkdir_p(const char *path)
{
	char buf[4096];
	char *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	mkdir(buf, 0755);
}

/* Is @path equal to @dir or below it? */
static int below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* Mount tmpfs on @dir, binding back any kept path below it. */
static void scratch(const char *dir)
{
	char saved[4096], target[4096], from[4096];
	int i, hidden = 0;

	for (i = 0; i < nkeep; i++)
		hidden |= below(keep[i], dir) && strcmp(keep[i], dir);
	if (hidden) {
		snprintf(saved, sizeof(saved), KEEP_ROOT "%s", dir);
		mkdir_p(saved);
		do_mount(dir, saved, NULL, MS_BIND | MS_REC, NULL);
	}
	do_mount("tmpfs", dir, "tmpfs", 0, "mode=1777");
	for (i = 0; hidden && i < nkeep; i++) {
		const char *rel;
		size_t len;

		if (!below(keep[i], dir) || !strcmp(keep[i], dir))
			continue;
		/* Bind the first component below @dir, e.g. /tmp/clone.X. */
		rel = keep[i] + strlen(dir) + 1;
		len = strcspn(rel, "/");
		snprintf(target, sizeof(target), "%s/%.*s", dir, (int)len, rel);
		snprintf(from, sizeof(from), "%s%s", saved, target + strlen(dir));
		if (!access(target, F_OK))
			continue;
		mkdir_p(target);
		do_mount(from, target, NULL, MS_BIND | MS_REC, NULL);
	}
}

static void read_cmdline(void)
{
	char buf[4096], *tok, *save;
	ssize_t n;
	int fd;

	fd = open("/proc/cmdline", O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strncmp(tok, "zcrx.results=", 13))
			snprintf(results, sizeof(results), "%s", tok + 13);
}

static void read_keep(void)
{
	char path[4200], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/keep", results);
	f = fopen(path, "r");
	if (!f)
		return;
	while (nkeep < MAX_KEEP && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '/')
			keep[nkeep++] = strdup(line);
	}
	fclose(f);
	if (nkeep < MAX_KEEP)
		keep[nkeep++] = results;
}

static int run(const char *script, const char *out)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		setsid();
		execl("/bin/bash", "bash", script, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return 127;
	/* PID 1 reaps every orphan; stop when the job itself is done. */
	for (;;) {
		pid_t w = wait(&status);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return 127;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void)
{
	char path[4200], out[4200], buf[64];
	FILE *f;
	int rc;

	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	do_mount("proc", "/proc", "proc", 0, NULL);
	read_cmdline();
	do_mount("sysfs", "/sys", "sysfs", 0, NULL);
	do_mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	/* devtmpfs lacks what udev would add; kselftest's runner uses them. */
	symlink("/proc/self/fd", "/dev/fd");
	symlink("/proc/self/fd/0", "/dev/stdin");
	symlink("/proc/self/fd/1", "/dev/stdout");
	symlink("/proc/self/fd/2", "/dev/stderr");
	mkdir("/dev/shm", 01777);
	do_mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777");
	if (!results[0]) {
		say("%s", "no zcrx.results= on the kernel command line");
		reboot(RB_AUTOBOOT);
	}
	if (mount("results", results, "9p", 0, "trans=virtio,version=9p2000.L,msize=262144")) {
		say("cannot mount the results share at %s", results);
		reboot(RB_AUTOBOOT);
	}
	read_keep();
	scratch("/run");
	scratch("/tmp");
	scratch("/var/tmp");
	mkdir("/run/netns", 0755);
	mkdir("/run/lock", 01777);
	sethostname("zcrx-vm", 7);

	snprintf(path, sizeof(path), "%s/booted", results);
	f = fopen(path, "w");
	if (f) {
		int fd = open("/proc/uptime", O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		fputs(buf, f);
		fclose(f);
		if (fd >= 0)
			close(fd);
	}

	snprintf(path, sizeof(path), "%s/job.sh", results);
	snprintf(out, sizeof(out), "%s/output.log", results);
	rc = run(path, out);

	snprintf(path, sizeof(path), "%s/finish.sh", results);
	snprintf(out, sizeof(out), "%s/finish.log", results);
	run(path, out);

	snprintf(path, sizeof(path), "%s/rc", results);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%d\n", rc);
		fclose(f);
	}
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
