# httpmon -- build the filters, the driver, and run the tests.
# Every src/NAME.c is one program, bin/NAME; common/ is linked into all.
.SECONDARY:

PREFIX	?= /usr/local
BINDIR	?= bin
OBJDIR	?= obj
CC	?= cc
CSTD	= -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -DLIBBSD_OPENBSD_VIS
WARN	= -Wall -Wextra -Werror
OPT	?= -O2
BSD_CFLAGS != pkg-config --cflags libbsd-overlay 2>/dev/null || echo -isystem /usr/include/bsd -DLIBBSD_OVERLAY
BSD_LIBS   != pkg-config --libs libbsd-overlay 2>/dev/null || echo -lbsd
CFLAGS	+= $(CSTD) $(WARN) $(OPT) $(BSD_CFLAGS) -Icommon
LDLIBS	+= $(BSD_LIBS)

PROGS	= $(patsubst src/%.c,$(BINDIR)/%,$(wildcard src/*.c))
SCRIPTS	= $(BINDIR)/httpmon.sh
COMMON_SRC = $(wildcard common/*.c)
COMMON_OBJ = $(patsubst common/%.c,$(OBJDIR)/common/%.o,$(COMMON_SRC))
HEADERS	= $(wildcard common/*.h)

all: $(PROGS) $(SCRIPTS)

$(OBJDIR)/common/%.o: common/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OBJDIR)/%.o: src/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# A program that needs a library of its own names it here: LIBS_NAME.
LIBS_logview = -lncursesw

$(BINDIR)/%: $(OBJDIR)/%.o $(COMMON_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_$(*F)) $(LDLIBS)

$(BINDIR)/httpmon.sh: src/httpmon.sh
	@mkdir -p $(@D)
	cp src/httpmon.sh $@ && chmod +x $@

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

test: all
	bats tests

test-sanitize: sanitize
	HTTPMON_BIN=$(CURDIR)/san/bin bats tests

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

clean:
	rm -rf bin obj san

.PHONY: all sanitize check test test-sanitize demo replay clean
