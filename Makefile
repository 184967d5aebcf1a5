# Station: one debug build (`swift build --build-tests`) serves every target below.
SWIFT ?= swift
STAGE := scripts/stage
BIN := .build/debug

.PHONY: all bootstrap build test demo hw-rules check-hw-rules

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

# Regenerates the udev rules from the device table (commit the result).
hw-rules: build
	$(BIN)/stationd hw-rules hw/devices.conf > hw/60-station.rules
