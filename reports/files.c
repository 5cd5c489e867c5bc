/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Output files written whole (files.h): a temporary name, fsync, rename;
 * the report's plots/ folder staged, swapped in, and cleared of what
 * resetlab made and nothing else.
 * May call: libc (pthreads). */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PLOTS "plots"
#define PLOTS_NEW ".plots.new"
#define PLOTS_OLD ".plots.old"
#define MANIFEST ".resetlab-plots"
#define PAGE "index.html"

__attribute__((noinline)) /* its callers pass buffers of every size: it cuts its line to err_len */
static int too_long(char *err, size_t err_len, const char *dir, const char *name)
{
    if (snprintf(err, err_len, "%.200s.../%s: path longer than %d bytes", dir, name, FILES_MAX_PATH - 1) >= (int)err_len)
        err[err_len - 1] = '\0'; /* the caller's line has its size */
    return -1;
}

static int join(char *out, const char *dir, const char *name, char *err, size_t err_len)
{
    int n = snprintf(out, FILES_MAX_PATH, "%s/%s", dir, name);
    return n >= 0 && n < FILES_MAX_PATH ? 0 : too_long(err, err_len, dir, name);
}

/* ------------------------------------------------------------- a file -- */

FILE *files_begin(struct out_file *o, const char *dir, const char *name, char *err, size_t err_len)
{
    char tmp_name[256];
    o->f = NULL;
    snprintf(tmp_name, sizeof tmp_name, ".%s.tmp", name);
    if (join(o->path, dir, name, err, err_len) != 0 || join(o->tmp, dir, tmp_name, err, err_len) != 0)
        return NULL;
    o->f = fopen(o->tmp, "w");
    if (o->f == NULL)
        snprintf(err, err_len, "%s: %s", o->tmp, strerror(errno));
    return o->f;
}

void files_dir_of(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(buf, len, ".");
    else
        snprintf(buf, len, "%.*s", (int)(slash - path) + (slash == path), path);
}

FILE *files_begin_path(struct out_file *o, const char *path, char *err, size_t err_len)
{
    char dir[FILES_MAX_PATH];
    files_dir_of(path, dir, sizeof dir);
    const char *slash = strrchr(path, '/');
    return files_begin(o, dir, slash ? slash + 1 : path, err, err_len);
}

int files_sync(FILE *f)
{
    if (fflush(f) != 0)
        return -1;
    return fsync(fileno(f)) == 0 || errno == EINVAL ? 0 : -1; /* EINVAL: a file that cannot be synced (a pipe) */
}

int files_commit(struct out_file *o, char *err, size_t err_len)
{
    errno = 0;
    int failed = ferror(o->f) || files_sync(o->f) != 0, e = errno;
    if (fclose(o->f) != 0 && !failed)
        failed = 1, e = errno;
    o->f = NULL;
    if (!failed && rename(o->tmp, o->path) != 0)
        failed = 1, e = errno;
    if (failed) {
        snprintf(err, err_len, "%s: write failed (%s)", o->path, strerror(e ? e : EIO));
        unlink(o->tmp);
        return -1;
    }
    return 0;
}

void files_discard(struct out_file *o)
{
    if (o->f == NULL)
        return;
    fclose(o->f);
    o->f = NULL;
    unlink(o->tmp);
}

static int sync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int files_sync_dir(const char *dir, char *err, size_t err_len)
{
    if (sync_path(dir, O_RDONLY | O_DIRECTORY) == 0)
        return 0;
    snprintf(err, err_len, "%s: cannot sync the folder: %s", dir, strerror(errno));
    return -1;
}

/* ------------------------------------------------------------ manifest -- */

/* The names a folder's manifest lists (sorted), or none. */
struct names {
    char **v;
    int n;
    int found; /* the folder had a manifest */
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(struct names *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->v[i]);
    free(m->v);
    *m = (struct names){0};
}

static int names_add(struct names *m, const char *name)
{
    if ((m->n & (m->n - 1)) == 0) { /* 0, 1, 2, 4, ...: doubled at each power of two */
        char **v = realloc(m->v, sizeof *v * (size_t)(m->n ? 2 * m->n : 1));
        if (v == NULL)
            return -1;
        m->v = v;
    }
    return (m->v[m->n] = strdup(name)) != NULL ? (m->n++, 0) : -1;
}

static int names_have(const struct names *m, const char *name)
{
    return m->n > 0 && bsearch(&name, m->v, (size_t)m->n, sizeof *m->v, by_name) != NULL;
}

static void names_read(const char *folder, struct names *m)
{
    char path[FILES_MAX_PATH + 32], line[512];
    *m = (struct names){0};
    snprintf(path, sizeof path, "%s/" MANIFEST, folder);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    m->found = 1;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] != '\0' && names_add(m, line) != 0)
            break;
    }
    fclose(f);
    if (m->n > 0)
        qsort(m->v, (size_t)m->n, sizeof *m->v, by_name);
}

static int is_dot(const char *name)
{
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* --------------------------------------------------------- the folders -- */

/* Empties `from` of what resetlab made (its manifest's files; every file
 * when it has no manifest and all_ours), moves anything else into `to`
 * (made when needed; NULL: left where it is), then removes the manifest
 * and the folder when it is empty. A file whose name `to` already has
 * stays where it is. */
static void retire(const char *from, const char *to, int all_ours)
{
    struct names ours;
    DIR *d = opendir(from);
    if (d == NULL)
        return;
    names_read(from, &ours);
    struct dirent *e;
    char a[FILES_MAX_PATH + 300], b[FILES_MAX_PATH + 300];
    while ((e = readdir(d)) != NULL) {
        if (is_dot(e->d_name) || strcmp(e->d_name, MANIFEST) == 0)
            continue;
        snprintf(a, sizeof a, "%s/%s", from, e->d_name);
        if (ours.found ? names_have(&ours, e->d_name) : all_ours) {
            unlink(a);
            continue;
        }
        if (to == NULL)
            continue;
        snprintf(b, sizeof b, "%s/%s", to, e->d_name);
        if (mkdir(to, 0777) != 0 && errno != EEXIST)
            continue;
        if (!exists(b))
            rename(a, b);
    }
    closedir(d);
    names_free(&ours);
    snprintf(a, sizeof a, "%s/" MANIFEST, from);
    unlink(a); /* last: until now it told ours from theirs */
    rmdir(from);
}

struct folders {
    char dir[FILES_MAX_PATH], live[FILES_MAX_PATH], staged[FILES_MAX_PATH], old[FILES_MAX_PATH];
};

static int folders_of(const char *dir, struct folders *f, char *err, size_t err_len)
{
    snprintf(f->dir, sizeof f->dir, "%s", dir);
    return join(f->live, dir, PLOTS, err, err_len) != 0 || join(f->staged, dir, PLOTS_NEW, err, err_len) != 0 ||
                   join(f->old, dir, PLOTS_OLD, err, err_len) != 0
               ? -1
               : 0;
}

/* What a killed report left: killed between its two renames, the old
 * plots come back whole; a staged folder goes (its own plots removed, any
 * file carried into it put back); old plots already replaced go. */
static void tidy(const struct folders *f)
{
    char page_tmp[FILES_MAX_PATH + 32];
    if (!exists(f->live) && exists(f->old))
        rename(f->old, f->live);
    retire(f->staged, f->live, 1);
    retire(f->old, f->live, 0);
    snprintf(page_tmp, sizeof page_tmp, "%s/." PAGE ".tmp", f->dir);
    unlink(page_tmp);
}

int files_plots_stage(const char *dir, char *staged, size_t staged_len, char *err, size_t err_len)
{
    struct folders f;
    if (folders_of(dir, &f, err, err_len) != 0)
        return -1;
    tidy(&f);
    if (mkdir(f.staged, 0777) != 0) {
        snprintf(err, err_len, "%s: %s%s", f.staged, strerror(errno),
                 errno == EEXIST ? " (left by a report that was killed, with files resetlab did not make: move them)"
                                 : "");
        return -1;
    }
    snprintf(staged, staged_len, "%s", f.staged);
    return 0;
}

void files_plots_abandon(const char *dir)
{
    struct folders f;
    char err[64];
    if (folders_of(dir, &f, err, sizeof err) == 0)
        retire(f.staged, f.live, 1);
}

/* fsync of many files by FILES_SYNC_THREADS threads at once: the
 * filesystem's journal then commits them together. One after another,
 * each fsync waited for a commit of its own: 1,108 files of 30 KB took
 * 0.12-1.4 s on this project's machine, 0.07-0.09 s this way. */
struct sync_share {
    const char *folder;
    const struct names *files;
    int first, failed_errno;
    const char *failed; /* the first file that could not be synced */
};

static void *sync_share(void *arg)
{
    struct sync_share *sh = arg;
    char path[FILES_MAX_PATH + 300];
    for (int i = sh->first; i < sh->files->n && sh->failed == NULL; i += FILES_SYNC_THREADS) {
        snprintf(path, sizeof path, "%s/%s", sh->folder, sh->files->v[i]);
        if (sync_path(path, O_RDONLY) != 0) {
            sh->failed_errno = errno;
            sh->failed = sh->files->v[i];
        }
    }
    return NULL;
}

static int sync_files(const char *folder, const struct names *files, char *err, size_t err_len)
{
    struct sync_share sh[FILES_SYNC_THREADS];
    pthread_t thread[FILES_SYNC_THREADS];
    int started[FILES_SYNC_THREADS];
    sigset_t all, old; /* signals stay with the calling thread: its handlers ask for a stop */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (int k = 0; k < FILES_SYNC_THREADS; k++) {
        sh[k] = (struct sync_share){folder, files, k, 0, NULL};
        started[k] = pthread_create(&thread[k], NULL, sync_share, &sh[k]) == 0;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    int rc = 0;
    for (int k = 0; k < FILES_SYNC_THREADS; k++) {
        if (started[k])
            pthread_join(thread[k], NULL);
        else
            sync_share(&sh[k]); /* no thread: this one does its share */
        if (sh[k].failed && rc == 0) {
            snprintf(err, err_len, "%s/%s: %s", folder, sh[k].failed, strerror(sh[k].failed_errno));
            rc = -1;
        }
    }
    return rc;
}

/* The staged folder's manifest: every file in it now is a plot of the
 * report; each is fsync'd, and so is the manifest and the folder. */
static int write_manifest(const struct folders *f, char *err, size_t err_len)
{
    struct names plots = {0};
    DIR *d = opendir(f->staged);
    struct dirent *e;
    int failed = d == NULL;
    while (!failed && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') /* nor the manifest's temporary file */
            failed = names_add(&plots, e->d_name) != 0;
    if (d)
        closedir(d);
    struct out_file m;
    FILE *out = failed ? NULL : files_begin(&m, f->staged, MANIFEST, err, err_len);
    if (failed)
        snprintf(err, err_len, "%s: %s", f->staged, d ? "out of memory" : strerror(errno));
    for (int i = 0; out && i < plots.n; i++)
        fprintf(out, "%s\n", plots.v[i]);
    if (out)
        failed = sync_files(f->staged, &plots, err, err_len) != 0;
    names_free(&plots);
    if (out && failed)
        files_discard(&m);
    if (out == NULL || failed || files_commit(&m, err, err_len) != 0)
        return -1;
    return files_sync_dir(f->staged, err, err_len);
}

/* Files of plots/ that resetlab did not make go into the staged folder,
 * so the swap keeps them; one named like a new plot gives way to it. */
static void carry_theirs(const struct folders *f)
{
    struct names ours;
    DIR *d = opendir(f->live);
    if (d == NULL)
        return;
    names_read(f->live, &ours);
    struct dirent *e;
    char a[FILES_MAX_PATH + 300], b[FILES_MAX_PATH + 300];
    while ((e = readdir(d)) != NULL) {
        if (is_dot(e->d_name) || strcmp(e->d_name, MANIFEST) == 0 || names_have(&ours, e->d_name))
            continue;
        snprintf(a, sizeof a, "%s/%s", f->live, e->d_name);
        snprintf(b, sizeof b, "%s/%s", f->staged, e->d_name);
        if (exists(b))
            unlink(a);
        else
            rename(a, b);
    }
    closedir(d);
    names_free(&ours);
}

int files_plots_swap(const char *dir, struct out_file *page, char *err, size_t err_len)
{
    struct folders f;
    if (folders_of(dir, &f, err, err_len) != 0 || write_manifest(&f, err, err_len) != 0) {
        files_discard(page);
        return -1;
    }
    carry_theirs(&f);
    int had_live = exists(f.live);
    if (had_live && rename(f.live, f.old) != 0) {
        snprintf(err, err_len, "%s: %s", f.live, strerror(errno));
        files_discard(page);
        return -1;
    }
    if (rename(f.staged, f.live) != 0) {
        snprintf(err, err_len, "%s: %s", f.staged, strerror(errno));
        if (had_live)
            rename(f.old, f.live);
        files_discard(page);
        return -1;
    }
    if (files_commit(page, err, err_len) != 0) { /* the old page is still there: its plots go back */
        rename(f.live, f.staged);
        if (had_live)
            rename(f.old, f.live);
        retire(f.staged, f.live, 1);
        return -1;
    }
    int rc = files_sync_dir(dir, err, err_len);
    retire(f.old, f.live, 0);
    return rc;
}

void files_report_remove(const char *dir)
{
    struct folders f;
    char err[64], page[FILES_MAX_PATH + 32];
    if (folders_of(dir, &f, err, sizeof err) != 0)
        return;
    tidy(&f);
    snprintf(page, sizeof page, "%s/" PAGE, dir);
    unlink(page);
    retire(f.live, NULL, 0);
}
