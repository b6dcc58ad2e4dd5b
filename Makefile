# vlog: the two commands a newcomer needs are `make demo` and `make test`.
PREFIX ?= /usr/local
SWIFT_FLAGS ?=

.PHONY: demo test build release install deps clean bench-transcode

demo:                     ## install packages, build, create demo-site/ and run the main job on it
	scripts/install-deps.sh
	swift build -c release $(SWIFT_FLAGS)
	scripts/demo.sh

test:                     ## install packages, build and run the whole test suite
	scripts/install-deps.sh test
	swift build $(SWIFT_FLAGS)
	swift test $(SWIFT_FLAGS)

build:
	swift build $(SWIFT_FLAGS)

release:
	swift build -c release $(SWIFT_FLAGS)

install: release          ## vlog in $(PREFIX)/bin, default templates and assets in $(PREFIX)/share/vlog
	install -d $(PREFIX)/bin $(PREFIX)/share/vlog
	install -m 755 .build/release/vlog $(PREFIX)/bin/vlog
	cp -R templates public $(PREFIX)/share/vlog/

deps:
	scripts/install-deps.sh test

clean:
	rm -rf .build demo-site
