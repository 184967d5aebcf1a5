#include "CCrashVFS.h"
#include <sqlite3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Image {
    char *path;
    unsigned char *data;
    sqlite3_int64 size;
    struct Image *next;
} Image;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static Image *images;
static long syncs;
static sqlite3_vfs *base;
static sqlite3_vfs crash_vfs;

typedef struct CrashFile {
    sqlite3_file file;
    char *path;
    sqlite3_file *real; /* follows this struct in the same allocation */
} CrashFile;

static Image *find(const char *path) {
    for (Image *i = images; i; i = i->next)
        if (strcmp(i->path, path) == 0) return i;
    return NULL;
}

static void forget(const char *path) {
    Image **p = &images;
    while (*p) {
        if (strcmp((*p)->path, path) == 0) {
            Image *dead = *p;
            *p = dead->next;
            free(dead->path);
            free(dead->data);
            free(dead);
            return;
        }
        p = &(*p)->next;
    }
}

/* After this many syncs the power is off: later syncs reach no durable image (-1: never). */
static long power_off_after = -1;

/* The file as it is now becomes its durable image. */
static int snapshot(CrashFile *f) {
    sqlite3_int64 size = 0;
    int rc = f->real->pMethods->xFileSize(f->real, &size);
    if (rc != SQLITE_OK) return rc;
    unsigned char *data = size > 0 ? malloc((size_t)size) : NULL;
    if (size > 0 && !data) return SQLITE_NOMEM;
    if (size > 0) {
        rc = f->real->pMethods->xRead(f->real, data, (int)size, 0);
        if (rc != SQLITE_OK) { free(data); return rc; }
    }
    pthread_mutex_lock(&lock);
    if (power_off_after >= 0 && syncs >= power_off_after) {
        syncs++;
        pthread_mutex_unlock(&lock);
        free(data);
        return SQLITE_OK;
    }
    Image *i = find(f->path);
    if (!i) {
        i = calloc(1, sizeof *i);
        i->path = strdup(f->path);
        i->next = images;
        images = i;
    }
    free(i->data);
    i->data = data;
    i->size = size;
    syncs++;
    pthread_mutex_unlock(&lock);
    return SQLITE_OK;
}

#define REAL(f) (((CrashFile *)(f))->real)

static int xClose(sqlite3_file *f) {
    CrashFile *c = (CrashFile *)f;
    int rc = c->real->pMethods ? c->real->pMethods->xClose(c->real) : SQLITE_OK;
    free(c->path);
    return rc;
}
static int xRead(sqlite3_file *f, void *b, int n, sqlite3_int64 o) { return REAL(f)->pMethods->xRead(REAL(f), b, n, o); }
static int xWrite(sqlite3_file *f, const void *b, int n, sqlite3_int64 o) { return REAL(f)->pMethods->xWrite(REAL(f), b, n, o); }
static int xTruncate(sqlite3_file *f, sqlite3_int64 s) { return REAL(f)->pMethods->xTruncate(REAL(f), s); }
static int xSync(sqlite3_file *f, int flags) {
    int rc = REAL(f)->pMethods->xSync(REAL(f), flags);
    return rc == SQLITE_OK ? snapshot((CrashFile *)f) : rc;
}
static int xFileSize(sqlite3_file *f, sqlite3_int64 *s) { return REAL(f)->pMethods->xFileSize(REAL(f), s); }
static int xLock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int xUnlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int xCheckReservedLock(sqlite3_file *f, int *r) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r); }
static int xFileControl(sqlite3_file *f, int op, void *a) { return REAL(f)->pMethods->xFileControl(REAL(f), op, a); }
static int xSectorSize(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int xDeviceCharacteristics(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int xShmMap(sqlite3_file *f, int i, int s, int e, void volatile **p) { return REAL(f)->pMethods->xShmMap(REAL(f), i, s, e, p); }
static int xShmLock(sqlite3_file *f, int o, int n, int fl) { return REAL(f)->pMethods->xShmLock(REAL(f), o, n, fl); }
static void xShmBarrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int xShmUnmap(sqlite3_file *f, int d) { return REAL(f)->pMethods->xShmUnmap(REAL(f), d); }
static int xFetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p) { *p = 0; return SQLITE_OK; }
static int xUnfetch(sqlite3_file *f, sqlite3_int64 o, void *p) { return SQLITE_OK; }

static const sqlite3_io_methods methods = {
    3, xClose, xRead, xWrite, xTruncate, xSync, xFileSize, xLock, xUnlock, xCheckReservedLock, xFileControl,
    xSectorSize, xDeviceCharacteristics, xShmMap, xShmLock, xShmBarrier, xShmUnmap, xFetch, xUnfetch,
};

static int xOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *outFlags) {
    CrashFile *c = (CrashFile *)f;
    memset(c, 0, sizeof *c);
    c->real = (sqlite3_file *)(c + 1);
    int rc = base->xOpen(base, name, c->real, flags, outFlags);
    if (rc != SQLITE_OK) return rc;
    c->path = strdup(name ? name : "");
    c->file.pMethods = &methods;
    return SQLITE_OK;
}

static int xDelete(sqlite3_vfs *vfs, const char *name, int syncDir) {
    int rc = base->xDelete(base, name, syncDir);
    pthread_mutex_lock(&lock);
    forget(name);
    pthread_mutex_unlock(&lock);
    return rc;
}
static int xAccess(sqlite3_vfs *v, const char *n, int f, int *r) { return base->xAccess(base, n, f, r); }
static int xFullPathname(sqlite3_vfs *v, const char *n, int o, char *out) { return base->xFullPathname(base, n, o, out); }
static void *xDlOpen(sqlite3_vfs *v, const char *f) { return base->xDlOpen(base, f); }
static void xDlError(sqlite3_vfs *v, int n, char *m) { base->xDlError(base, n, m); }
static void (*xDlSym(sqlite3_vfs *v, void *h, const char *s))(void) { return base->xDlSym(base, h, s); }
static void xDlClose(sqlite3_vfs *v, void *h) { base->xDlClose(base, h); }
static int xRandomness(sqlite3_vfs *v, int n, char *o) { return base->xRandomness(base, n, o); }
static int xSleep(sqlite3_vfs *v, int us) { return base->xSleep(base, us); }
static int xCurrentTime(sqlite3_vfs *v, double *t) { return base->xCurrentTime(base, t); }
static int xGetLastError(sqlite3_vfs *v, int n, char *m) { return base->xGetLastError ? base->xGetLastError(base, n, m) : 0; }
static int xCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *t) { return base->xCurrentTimeInt64(base, t); }

int crashvfs_register(void) {
    if (crash_vfs.zName) return SQLITE_OK;
    base = sqlite3_vfs_find(NULL);
    if (!base) return SQLITE_ERROR;
    crash_vfs.iVersion = 2;
    crash_vfs.szOsFile = (int)sizeof(CrashFile) + base->szOsFile;
    crash_vfs.mxPathname = base->mxPathname;
    crash_vfs.zName = "crashvfs";
    crash_vfs.xOpen = xOpen;
    crash_vfs.xDelete = xDelete;
    crash_vfs.xAccess = xAccess;
    crash_vfs.xFullPathname = xFullPathname;
    crash_vfs.xDlOpen = xDlOpen;
    crash_vfs.xDlError = xDlError;
    crash_vfs.xDlSym = xDlSym;
    crash_vfs.xDlClose = xDlClose;
    crash_vfs.xRandomness = xRandomness;
    crash_vfs.xSleep = xSleep;
    crash_vfs.xCurrentTime = xCurrentTime;
    crash_vfs.xGetLastError = xGetLastError;
    crash_vfs.xCurrentTimeInt64 = xCurrentTimeInt64;
    return sqlite3_vfs_register(&crash_vfs, 1);
}

void crashvfs_reset(void) {
    pthread_mutex_lock(&lock);
    while (images) forget(images->path);
    syncs = 0;
    power_off_after = -1;
    pthread_mutex_unlock(&lock);
}

void crashvfs_power_off_after(long n) {
    pthread_mutex_lock(&lock);
    power_off_after = n;
    pthread_mutex_unlock(&lock);
}

long crashvfs_sync_count(void) {
    pthread_mutex_lock(&lock);
    long n = syncs;
    pthread_mutex_unlock(&lock);
    return n;
}

int crashvfs_cut(const char *dest_dir) {
    int written = 0;
    pthread_mutex_lock(&lock);
    for (Image *i = images; i; i = i->next) {
        const char *slash = strrchr(i->path, '/');
        const char *name = slash ? slash + 1 : i->path;
        char out[4096];
        snprintf(out, sizeof out, "%s/%s", dest_dir, name);
        FILE *fp = fopen(out, "wb");
        if (!fp) { written = -1; break; }
        if (i->size > 0 && fwrite(i->data, 1, (size_t)i->size, fp) != (size_t)i->size) { fclose(fp); written = -1; break; }
        fclose(fp);
        written++;
    }
    pthread_mutex_unlock(&lock);
    return written;
}
