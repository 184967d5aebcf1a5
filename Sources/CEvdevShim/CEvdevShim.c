#include "CEvdevShim.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <sys/ioctl.h>

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
