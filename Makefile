# vlog: the two commands a newcomer needs are `make demo` and `make test`.
PREFIX ?= /usr/local
SWIFT_FLAGS ?=

.PHONY: demo test check build release install dist deps clean bench-transcode format lint

demo:                     ## install packages, build, create demo-site/ and run the main job on it
	scripts/install-deps.sh
	scripts/swiftpm.sh build -c release $(SWIFT_FLAGS)
	scripts/demo.sh

test:                     ## install packages, check the formatting, build (and the packages), run the whole test suite
	scripts/install-deps.sh test
	$(MAKE) lint
	scripts/swiftpm.sh build $(SWIFT_FLAGS)
	@# The packages first: DistTests runs them, and their release build never competes with the
	@# tests that play video in real time.
	$(MAKE) dist
	@# scripts/swiftpm.sh: SwiftPM itself sometimes dies of a signal on Linux; it runs it again then.
	scripts/swiftpm.sh test $(SWIFT_FLAGS)

check:                    ## the fast tier: no ffmpeg, browser, server or cluster (under a minute once built)
	$(MAKE) lint
	swift build --build-tests $(SWIFT_FLAGS)
	VLOG_TESTS=fast swift test $(SWIFT_FLAGS)

format:                   ## reformat the code with swift-format (.swift-format: 4 spaces, 120 columns)
	swift format format -i -r Sources Tests Package.swift

lint:                     ## fail on code that `make format` would change
	@if swift format --version >/dev/null 2>&1; then swift format lint --strict -r Sources Tests Package.swift; \
	else echo "warning: swift-format is not in this Swift toolchain; formatting not checked"; fi

build:
	swift build $(SWIFT_FLAGS)

release:
	scripts/swiftpm.sh build -c release $(SWIFT_FLAGS)

install: release          ## vlog in $(PREFIX)/bin, its man page, shell completions, default templates and assets
	install -d $(PREFIX)/bin $(PREFIX)/share/vlog $(PREFIX)/share/man/man1 \
	  $(PREFIX)/share/bash-completion/completions $(PREFIX)/share/zsh/site-functions \
	  $(PREFIX)/share/fish/vendor_completions.d
	install -m 755 .build/release/vlog $(PREFIX)/bin/vlog
	scripts/swiftpm.sh package plugin generate-manual >/dev/null
	install -m 644 .build/plugins/GenerateManual/outputs/vlog/vlog.1 $(PREFIX)/share/man/man1/vlog.1
	.build/release/vlog --generate-completion-script bash > $(PREFIX)/share/bash-completion/completions/vlog
	.build/release/vlog --generate-completion-script zsh > $(PREFIX)/share/zsh/site-functions/_vlog
	.build/release/vlog --generate-completion-script fish > $(PREFIX)/share/fish/vendor_completions.d/vlog.fish
	cp -R templates public $(PREFIX)/share/vlog/

dist:                     ## dist/: a relocatable tarball and a .deb (no Swift toolchain needed to run them)
	scripts/dist.sh

deps:
	scripts/install-deps.sh test

clean:
	rm -rf .build demo-site dist
