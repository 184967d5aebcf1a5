#ifndef STATION_CCRASHVFS_H
#define STATION_CCRASHVFS_H
/* A crash-simulating SQLite VFS for the tests, in the spirit of SQLite's own crash
   harness: it wraps the default VFS, and every xSync records what the file holds at that
   moment as its durable image. A simulated power cut writes out only those images: every
   write not yet synced is lost, as after a real cut. */

/* Registers the VFS (name "crashvfs") and makes it the default. Returns SQLITE_OK. */
int crashvfs_register(void);
/* Forgets every durable image (between test rounds). */
void crashvfs_reset(void);
/* The power is cut now: writes each tracked file's durable image into dest_dir under its
   base name (files never synced are left out). Returns the number of files written, or -1. */
int crashvfs_cut(const char *dest_dir);
/* The power goes off right after the n-th sync from now on (counted since the reset): the
   durable images stay as they were then, whatever is written and synced later, so that a
   cut can fall between any two syncs, inside a sequence of transactions. */
void crashvfs_power_off_after(long n);
/* How many xSync calls reached the VFS (to show what synchronous=OFF does). */
long crashvfs_sync_count(void);
#endif
