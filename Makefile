# The two commands a newcomer runs: `make run` and `make test`.
SWIFT        ?= swift
DEV_DATA     ?= .roost-dev
FUZZ_TIME    ?= 60
FUZZ_TARGETS ?= FuzzJournalRecord FuzzEventDecode FuzzMessageParse FuzzIMAPViews FuzzPOP3Session FuzzManageSieveSession FuzzSMTPSession FuzzIMAPCommand FuzzDKIMTags FuzzSPFRecord FuzzDNSReply

.PHONY: deps build run test fuzz bench bench-compare bench-big-mailbox clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

run: build
	@scripts/run-dev.sh "$(DEV_DATA)"

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	@scripts/test-cli.sh
	@scripts/test-serve.sh
	@scripts/test-smtp.sh
	@scripts/test-pipeline.sh
	@scripts/test-tls.sh
	@scripts/test-mailflow.sh
	@scripts/test-qresync.sh
	@scripts/test-managesieve.py
	@scripts/compare-dovecot.sh
	@scripts/compare-search-dovecot.sh
	@scripts/test-loadgen.sh
	@scripts/test-dmarc.sh

# libFuzzer targets live in their own package (Fuzz/) so normal builds never link libFuzzer.
fuzz: deps
	cd Fuzz && $(SWIFT) build -c release --scratch-path ../.build-fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build-fuzz/corpus/$$t; \
	  echo "== $$t for $(FUZZ_TIME)s"; \
	  .build-fuzz/release/$$t -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix=.build-fuzz/ \
	    .build-fuzz/corpus/$$t Fuzz/seeds/$$t || exit 1; \
	done

# Benchmarks live in their own package (Benchmarks/) so product builds never compile them.
bench: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark

# Roost against Postfix -> Dovecot and Dovecot on loopback, same run (root; installs the peers).
bench-compare: deps
	@Benchmarks/Tools/compare-classic.sh

# A 100 000-message mailbox over IMAP, Roost against Dovecot (root; issue 11).
bench-big-mailbox: deps
	@Benchmarks/Tools/big-mailbox.sh

clean:
	rm -rf .build .build-fuzz Benchmarks/.build Fuzz/.build
