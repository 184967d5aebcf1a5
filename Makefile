# Station: one debug build (`swift build --build-tests`) serves every target below.
SWIFT ?= swift
STAGE := scripts/stage
BIN := .build/debug

.PHONY: all bootstrap build test demo bench bench-hub torture hw-rules install deb image system-test

all: build

bootstrap:
	@$(STAGE) bootstrap scripts/bootstrap

build: bootstrap
	@$(STAGE) build $(SWIFT) build --build-tests

# Unit tests, the device table lint, and the end-to-end runs under umockdev.
test: build
	@$(STAGE) test-venv scripts/test-venv
	@scripts/run-tests

# Scanners replayed through umockdev into `stationd listen`; prints what it read.
demo: build
	@$(STAGE) demo scripts/demo; rc=$$?; $(STAGE) --summary; exit $$rc

# One table of figures, each beside its reference, from a release build (README, "Proof
# in numbers"); also written to .build/bench/report.json.
bench: bootstrap
	@$(STAGE) release $(SWIFT) build -c release
	@$(STAGE) bench scripts/bench.py; rc=$$?; $(STAGE) --summary; exit $$rc

# The hub at union scale (README, "Proof in numbers"): 2,000 simulated boxes and 1,000,000
# events into SQLite, PostgreSQL, and two instances on PostgreSQL; every report timed.
bench-hub: bootstrap
	@$(STAGE) release $(SWIFT) build -c release
	@$(STAGE) bench-hub scripts/bench-hub; rc=$$?; $(STAGE) --summary; exit $$rc

# Every fault scenario at its torture size, each counted by an independent checker; exits
# non-zero on any loss or duplicate (README, "Proof in numbers").
torture: build
	@$(STAGE) test-venv scripts/test-venv
	@scripts/torture; rc=$$?; $(STAGE) --summary; exit $$rc

# Debian packages (station, station-hub) in .build/deb, from the one build relinked with
# the Swift runtime inside; CONFIG=release for packages to ship.
deb: build
	@$(STAGE) deb scripts/deb

# The box's disk image (README, "A box from the image"): Debian 12, the kernel, systemd,
# the station package, cage and Chromium, booting by UEFI; .build/image/station.img.
# Needs root (mmdebstrap chroots into the tree) and Debian's package mirror.
image: build
	@$(STAGE) image scripts/image; rc=$$?; $(STAGE) --summary; exit $$rc

# That image booted under QEMU (KVM, or TCG where KVM cannot run a guest): udev and the
# unit's sandbox, enrollment by card, a morning of scans synced, SIGKILL and the
# watchdog, the kiosk screen, and 20 power cuts checked by the journal checker.
# The image is built first when there is none or it is older than the build.
system-test: build
	@$(STAGE) system scripts/system-test; rc=$$?; $(STAGE) --summary; exit $$rc

# Regenerates the udev rules from the device table (commit the result).
hw-rules: build
	$(BIN)/stationd hw-rules hw/devices.conf > hw/60-station.rules

# Installs the binaries of the one build (BIN), the unit, sysusers/tmpfiles entries, the
# udev rules, the device table, the voice prompts (rendered by scripts/voices), the
# examples, and /etc/station/station.toml and /etc/stationhub/stationhub.toml where there
# are none yet, under DESTDIR.
DESTDIR ?=
PREFIX ?= /usr/local
UNITDIR ?= /lib/systemd/system
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) $(DESTDIR)/usr/lib/sysusers.d $(DESTDIR)/usr/lib/tmpfiles.d \
		$(DESTDIR)/usr/lib/udev/rules.d $(DESTDIR)$(PREFIX)/share/station $(DESTDIR)$(PREFIX)/share/doc/station
	install -m 0755 $(BIN)/stationd $(BIN)/stationctl $(BIN)/stationhub $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|/usr/bin/stationd|$(PREFIX)/bin/stationd|' -e 's|/usr/share/doc/station|$(PREFIX)/share/doc/station|' \
		systemd/stationd.service > $(DESTDIR)$(UNITDIR)/stationd.service
	sed -e 's|/usr/bin/stationhub|$(PREFIX)/bin/stationhub|' -e 's|/usr/share/doc/station|$(PREFIX)/share/doc/station|' \
		systemd/stationhub.service > $(DESTDIR)$(UNITDIR)/stationhub.service
	install -m 0644 systemd/station-kiosk.service $(DESTDIR)$(UNITDIR)/station-kiosk.service
	install -D -m 0644 systemd/station-kiosk.chromium-policy.json $(DESTDIR)/etc/chromium/policies/managed/station-kiosk.json
	chmod 0644 $(DESTDIR)$(UNITDIR)/stationd.service $(DESTDIR)$(UNITDIR)/stationhub.service
	install -m 0644 systemd/station.sysusers $(DESTDIR)/usr/lib/sysusers.d/station.conf
	install -m 0644 systemd/station.tmpfiles $(DESTDIR)/usr/lib/tmpfiles.d/station.conf
	install -m 0644 hw/60-station.rules $(DESTDIR)/usr/lib/udev/rules.d/60-station.rules
	install -m 0644 hw/devices.conf $(DESTDIR)$(PREFIX)/share/station/devices.conf
	scripts/voices $(DESTDIR)$(PREFIX)/share/station/voices $(BIN)/stationd >/dev/null
	install -m 0644 docs/station.example.toml docs/stationhub.example.toml README.md $(DESTDIR)$(PREFIX)/share/doc/station/
	# The configs, where none is there yet (an edited one is never replaced).
	install -d $(DESTDIR)/etc/station $(DESTDIR)/etc/stationhub
	[ -e $(DESTDIR)/etc/station/station.toml ] || install -m 0644 docs/station.example.toml $(DESTDIR)/etc/station/station.toml
	[ -e $(DESTDIR)/etc/stationhub/stationhub.toml ] || install -m 0644 docs/stationhub.example.toml $(DESTDIR)/etc/stationhub/stationhub.toml
