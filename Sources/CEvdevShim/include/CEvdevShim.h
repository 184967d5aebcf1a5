#ifndef STATION_CEVDEVSHIM_H
#define STATION_CEVDEVSHIM_H
/* evdev and termios pieces Swift cannot import: ioctl request numbers built by macros,
   and the layout of struct input_event on this ABI. Imported by StationInput only. */
#include <linux/input.h>
#include <linux/input-event-codes.h>
#include <termios.h>

unsigned long station_eviocgrab(void);
unsigned long station_eviocgname(unsigned int len);

/* One input_event flattened to fixed-width fields, so Swift need not know timeval's ABI. */
struct station_input_event {
    long long sec;
    long long usec;
    unsigned short type;
    unsigned short code;
    int value;
};
unsigned long station_input_event_size(void);
/* Decodes count events from buf (count * station_input_event_size() bytes). */
void station_decode_input_events(const void *buf, unsigned long count, struct station_input_event *out);

/* Writes one event and a SYN_REPORT to an evdev node in one write (zero timestamps: the
   kernel stamps injected events itself). Returns write()'s result, errno set on failure.
   EV_SND/SND_TONE sounds a PC speaker or beeper, EV_LED sets a keyboard LED. */
long station_write_input_event(int fd, unsigned short type, unsigned short code, int value);
unsigned short station_ev_snd(void);
unsigned short station_snd_tone(void);
unsigned short station_ev_led(void);
/* The keyboard LED a cue blinks: Scroll Lock (scanners may read Caps and Num Lock). */
unsigned short station_led_scroll(void);

int station_ioctl_int(int fd, unsigned long request, int arg);
int station_ioctl_ptr(int fd, unsigned long request, void *arg);
/* Raw mode at the given baud (e.g. 9600, 115200); returns -1 with errno set on failure
   (EINVAL for an unsupported baud). */
int station_tty_make_raw(int fd, unsigned int baud);
#endif
