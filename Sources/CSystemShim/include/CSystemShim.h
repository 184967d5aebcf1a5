#ifndef STATION_CSYSTEMSHIM_H
#define STATION_CSYSTEMSHIM_H
/* System pieces Swift cannot import or should not do itself: a signal handler that writes
   to a pipe, eventfd and rtnetlink sockets, the kernel's clock state, a thread's CPU and
   I/O priority. Imported by
   StationSystem only. */
#include <sys/epoll.h>
#include <sys/timerfd.h>

/* Installs a handler for each of the given signals that writes the signal number (one
   byte) to a non-blocking pipe, and returns the pipe's reading end (-1 with errno on
   failure). Whichever thread receives the signal, the loop watching the pipe sees it. */
int station_signal_pipe(const int *signals, int count);

/// An eventfd (non-blocking, close-on-exec): wakes the input loop from another thread.
int station_eventfd(void);

/// A non-blocking rtnetlink socket subscribed to address and route changes (IPv4, IPv6).
int station_netlink_route_socket(void);

/// 1 when the messages in `buffer` announce a new address or route (the network is back).
int station_netlink_route_appeared(const unsigned char *buffer, long length);

/* 1 when the kernel says the wall clock is synchronised (adjtimex not TIME_ERROR), 0 when
   not, -1 with errno on failure. */
int station_clock_synchronized(void);

/* Lowers the calling thread to nice 19 and the idle I/O class (each best effort); 0 when
   both took, -1 with errno otherwise. */
int station_thread_lowest_priority(void);

/* The calling thread's nice value and I/O class (-1 when it cannot be read). */
void station_thread_priority(int *nice, int *io_class);

/* Swift's global-executor hook (libswift_Concurrency's swift_task_enqueueGlobal_hook):
   where it is stored, resolved by the linker, so that a binary with the Swift runtime
   linked in finds it too (its symbols are not exported, so dlsym cannot). */
void **station_swift_enqueue_global_hook(void);
#endif
