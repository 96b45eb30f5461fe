# httpmon -- build the filters, the driver, and run the tests.
# Every src/NAME.c is one program, bin/NAME, linked with libhttpmon.a:
# common/, one archive from which each program takes what it uses.
.SECONDARY:

PREFIX	?= /usr/local
MANDIR	?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/httpmon
# Installed in SHAREDIR: example hooks (executable) and examples.
HOOKS	= scripts/hook-syslog scripts/hook-webhook
EXAMPLES = examples/httpmon.service examples/httpmon.default \
	examples/logrotate-nginx
BINDIR	?= bin
# The one version, stamped into the programs, the driver and the manuals.
VERSION	!= cat VERSION
OBJDIR	?= obj
CC	?= cc
CSTD	= -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -DLIBBSD_OPENBSD_VIS
WARN	= -Wall -Wextra -Werror
OPT	?= -O2
BSD_CFLAGS != pkg-config --cflags libbsd-overlay 2>/dev/null || echo -isystem /usr/include/bsd -DLIBBSD_OVERLAY
BSD_LIBS   != pkg-config --libs libbsd-overlay 2>/dev/null || echo -lbsd
DEFS	= -DHTTPMON_VERSION='"$(VERSION)"'
CFLAGS	+= $(CSTD) $(DEFS) $(WARN) $(OPT) $(BSD_CFLAGS) -Icommon
LDLIBS	+= $(BSD_LIBS)

PROGS	= $(patsubst src/%.c,$(BINDIR)/%,$(wildcard src/*.c))
SCRIPTS	= $(BINDIR)/httpmon.sh
COMMON_SRC = $(wildcard common/*.c)
LIB	= $(OBJDIR)/libhttpmon.a
LIBOBJ	= $(patsubst common/%.c,$(OBJDIR)/common/%.o,$(COMMON_SRC))
HEADERS	= $(wildcard common/*.h)
# The manuals as installed: man/ with the version on the .Os line.
MANOUT	= obj/man
MANS	= $(patsubst man/%,$(MANOUT)/%,$(wildcard man/*.[0-9]))

all: $(PROGS) $(SCRIPTS) $(MANS)

# Before compiling: name what the build lacks, if anything (scripts/setup
# installs it; make check and make demo run that first).
need:
	@sh scripts/setup -n build

$(OBJDIR)/common/%.o: common/%.c $(HEADERS) VERSION | need
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OBJDIR)/%.o: src/%.c $(HEADERS) VERSION | need
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

# A program that needs a library of its own names it here: LIBS_NAME.
LIBS_logview = -lncursesw
LIBS_natspub = -lnats
LIBS_natssub = -lnats

$(BINDIR)/%: $(OBJDIR)/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_$(*F)) $(LDLIBS)

$(BINDIR)/httpmon.sh: src/httpmon.sh VERSION
	@mkdir -p $(@D)
	sed 's/@VERSION@/$(VERSION)/' src/httpmon.sh > $@ && chmod +x $@

$(MANOUT)/%: man/% VERSION
	@mkdir -p $(@D)
	sed 's/^\.Os$$/.Os httpmon $(VERSION)/' $< > $@

# ASan+UBSan build of every program in san/bin; the suite runs on it too.
sanitize:
	$(MAKE) BINDIR=san/bin OBJDIR=san/obj \
	    OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"

# The README's test command: install what is missing, build, run every test.
check:
	sh scripts/setup
	$(MAKE) all
	$(MAKE) test
	$(MAKE) sanitize
	$(MAKE) test-sanitize
	$(MAKE) fuzz-smoke

test: all
	@sh scripts/setup -n test
	bats tests

test-sanitize: sanitize
	@sh scripts/setup -n test
	HTTPMON_BIN=$(CURDIR)/san/bin bats tests

# libFuzzer targets fuzz/fuzz_NAME.c under ASan+UBSan (clang), compiled
# with common/ but for jetstream.c (it needs -lnats).  make fuzz FUZZTIME=S
# runs each for S/(number of targets) seconds; make fuzz-smoke is CI's
# minute in all; make fuzz-merge adds the inputs a run found (fuzz/new/NAME)
# that reach new code to fuzz/corpus/NAME.
FUZZCC	?= clang
FUZZTIME ?= 60
FUZZ_TARGETS = $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BINS = $(patsubst %,fuzz/bin/%,$(FUZZ_TARGETS))
FUZZ_SRC = $(filter-out common/jetstream.c,$(COMMON_SRC))
FUZZ_FLAGS = -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

fuzz/bin/%: fuzz/%.c fuzz/memout.h $(FUZZ_SRC) $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZCC) $(CSTD) $(DEFS) $(WARN) $(FUZZ_FLAGS) $(BSD_CFLAGS) -Icommon \
	    -o $@ $< $(FUZZ_SRC) $(LDLIBS)

fuzz: $(FUZZ_BINS)
	sh fuzz/run $(FUZZTIME) $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_BINS)
	sh fuzz/run -s 60 $(FUZZ_TARGETS)

fuzz-merge: $(FUZZ_BINS)
	for t in $(FUZZ_TARGETS); do mkdir -p fuzz/new/$$t; \
	    fuzz/bin/$$t -merge=1 fuzz/corpus/$$t fuzz/new/$$t || exit 1; done

# The README's demo: the monitor live on a simulated log, nothing to set up.
demo:
	sh scripts/setup
	$(MAKE) all
	sh scripts/demo

# The same over a generated hour of CSV log, replayed at full speed.
replay:
	sh scripts/setup
	$(MAKE) all
	sh scripts/demo replay

# Speed and memory beside cat | cat, GoAccess and mawk (README: Speed and
# memory); BENCH_ARGS="--lines 5000000 --runs 3" for more.
bench:
	sh scripts/setup
	$(MAKE) all
	scripts/bench $(BENCH_ARGS)

# make install [PREFIX=/usr] [DESTDIR=staging]: programs and the driver in
# bin, manuals in share/man, the example hooks, systemd unit and logrotate
# file in share/httpmon; the driver finds its stages beside itself.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SHAREDIR)
	install -m 755 $(PROGS) $(SCRIPTS) $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(filter %.1,$(MANS)) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(filter %.5,$(MANS)) $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(HOOKS) $(DESTDIR)$(SHAREDIR)
	install -m 644 $(EXAMPLES) $(DESTDIR)$(SHAREDIR)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(PROGS) $(SCRIPTS))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard man/*.5))) \
	    $(addprefix $(DESTDIR)$(SHAREDIR)/,$(notdir $(HOOKS) $(EXAMPLES)))
	rmdir $(DESTDIR)$(SHAREDIR) 2>/dev/null || :

clean:
	rm -rf bin obj san fuzz/bin

.PHONY: all need install uninstall sanitize check test test-sanitize fuzz fuzz-smoke fuzz-merge demo replay bench clean
