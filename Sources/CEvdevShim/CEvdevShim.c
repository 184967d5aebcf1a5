#include "CEvdevShim.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timex.h>

unsigned long station_eviocgrab(void) { return EVIOCGRAB; }
unsigned long station_eviocgname(unsigned int len) { return EVIOCGNAME(len); }
unsigned long station_input_event_size(void) { return sizeof(struct input_event); }

void station_decode_input_events(const void *buf, unsigned long count, struct station_input_event *out) {
    const struct input_event *in = buf;
    for (unsigned long i = 0; i < count; i++) {
        struct input_event ev;
        memcpy(&ev, &in[i], sizeof ev);
        out[i].sec = (long long)ev.input_event_sec;
        out[i].usec = (long long)ev.input_event_usec;
        out[i].type = ev.type;
        out[i].code = ev.code;
        out[i].value = ev.value;
    }
}

long station_write_input_event(int fd, unsigned short type, unsigned short code, int value) {
    struct input_event ev[2];
    memset(ev, 0, sizeof ev);
    ev[0].type = type;
    ev[0].code = code;
    ev[0].value = value;
    ev[1].type = EV_SYN;
    ev[1].code = SYN_REPORT;
    return (long)write(fd, ev, sizeof ev);
}
unsigned short station_ev_snd(void) { return EV_SND; }
unsigned short station_snd_tone(void) { return SND_TONE; }
unsigned short station_ev_led(void) { return EV_LED; }
unsigned short station_led_scroll(void) { return LED_SCROLLL; }

int station_ioctl_int(int fd, unsigned long request, int arg) { return ioctl(fd, request, arg); }
int station_ioctl_ptr(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }

static speed_t baud_constant(unsigned int baud) {
    switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return 0;
    }
}

int station_tty_make_raw(int fd, unsigned int baud) {
    speed_t speed = baud_constant(baud);
    if (speed == 0) { errno = EINVAL; return -1; }
    struct termios t;
    if (tcgetattr(fd, &t) != 0) return -1;
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (cfsetispeed(&t, speed) != 0 || cfsetospeed(&t, speed) != 0) return -1;
    return tcsetattr(fd, TCSANOW, &t);
}

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
