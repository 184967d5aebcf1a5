#include "CSystemShim.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <string.h>
#include <sys/timex.h>
#include <sys/resource.h>
#include <sys/syscall.h>

int station_clock_synchronized(void) {
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    int state = adjtimex(&tx);
    if (state == -1) return -1;
    return state == TIME_ERROR ? 0 : 1;
}

static int signal_pipe_write = -1;

static void on_signal(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (signal_pipe_write >= 0) { ssize_t r = write(signal_pipe_write, &b, 1); (void)r; }
    errno = saved;
}

int station_signal_pipe(const int *signals, int count) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    }
    signal_pipe_write = fds[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < count; i++) {
        if (sigaction(signals[i], &sa, NULL) != 0) return -1;
    }
    return fds[0];
}

#include <sys/eventfd.h>

int station_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

int station_netlink_route_socket(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return -1;
    struct sockaddr_nl addr = {0};
    addr.nl_family = AF_NETLINK;
    addr.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int station_netlink_route_appeared(const unsigned char *buffer, long length) {
    long offset = 0;
    while (length - offset >= (long)sizeof(struct nlmsghdr)) {
        const struct nlmsghdr *h = (const struct nlmsghdr *)(buffer + offset);
        if (h->nlmsg_len < sizeof(struct nlmsghdr) || (long)h->nlmsg_len > length - offset) break;
        if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_NEWROUTE) return 1;
        offset += NLMSG_ALIGN(h->nlmsg_len);
    }
    return 0;
}

/* ioprio_set(2) has no glibc wrapper; the constants are the kernel's (linux/ioprio.h). */
#define STATION_IOPRIO_WHO_PROCESS 1
#define STATION_IOPRIO_CLASS_SHIFT 13
#define STATION_IOPRIO_CLASS_IDLE 3

int station_thread_lowest_priority(void) {
    pid_t tid = (pid_t)syscall(SYS_gettid);
    int cpu = setpriority(PRIO_PROCESS, (id_t)tid, 19);
    int io = (int)syscall(SYS_ioprio_set, STATION_IOPRIO_WHO_PROCESS, tid, STATION_IOPRIO_CLASS_IDLE << STATION_IOPRIO_CLASS_SHIFT);
    return cpu == 0 && io == 0 ? 0 : -1;
}

void station_thread_priority(int *nice, int *io_class) {
    pid_t tid = (pid_t)syscall(SYS_gettid);
    errno = 0;
    int n = getpriority(PRIO_PROCESS, (id_t)tid);
    *nice = (n == -1 && errno != 0) ? -1 : n;
    int io = (int)syscall(SYS_ioprio_get, STATION_IOPRIO_WHO_PROCESS, tid);
    *io_class = io < 0 ? -1 : io >> STATION_IOPRIO_CLASS_SHIFT;
}

extern void *swift_task_enqueueGlobal_hook;

void **station_swift_enqueue_global_hook(void) {
    return &swift_task_enqueueGlobal_hook;
}
