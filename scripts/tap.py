#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by scripts/check.sh (and scripts/tests/check-
# accounting.sh).
"""Count the TAP of a VM run of make check; print "ok|fail|skip<TAB>name".

  tap.py [--expect SUITE:PROG]... [--expected-from TOP]
         [--not-expect SUITE:PROG]... [--skips-fail]
         [--vm-log FILE --vm-rc N] <TAP

The TAP is what run_kselftest.sh prints, and scripts/guest/upstream-tests.sh and
liburing-zc/test/vm/run.sh print alike: "# selftests: SUITE: PROG" before a
program runs, its own (nested) TAP prefixed with "# ", then one line
"ok|not ok N selftests: SUITE: PROG".

A program whose harness printed nested results counts as those results; a
program that printed none counts as one test.  A program that failed
although all its nested results passed (a crash, a timeout), or that
printed fewer results than its plan, adds a failure.  A program that
started but has no result line (the output ends in its middle) fails.

--expect names a program that must report; --expected-from TOP derives the
list from the sources: TEST_GEN_PROGS and TEST_PROGS of
tools/testing/selftests/zcrx/Makefile, "scripts/guest/upstream-tests.sh --list",
"liburing-zc/test/vm/run.sh --list", "scripts/guest/bench.sh --list" and
"scripts/guest/bench-fwd.sh --list" (make bench's receivers and relays, each
run once) and "scripts/guest/kunit.sh --list" (the
KUnit suites); --not-expect takes a program off the
list (one whose run another count expects).  Every expected program without a
result fails, so a VM step that died early or printed nothing is a failure
by name.  With --skips-fail, a skip is a failure: the VM runs the series'
own kernel and configuration, which provide everything these tests need.
--vm-log and --vm-rc add one result for the VM run itself (kernel log
clean, or why the run failed).
"""
import os
import re
import subprocess
import sys

top_re = re.compile(r'^(ok|not ok) \d+ selftests: (\S+): (\S+)(.*)$')
start_re = re.compile(r'^# selftests: (\S+): (\S+)\s*$')
sub_re = re.compile(r'^# (ok|not ok) \d+ (.+?)(\s+#\s*(SKIP|XFAIL|TODO)\b\s*(.*))?$')
plan_re = re.compile(r'^# 1\.\.(\d+)')


def make_var_values(path, names):
    """Words assigned to the make variables @names (=, :=, += ; continued lines)."""
    with open(path) as f:
        text = f.read().replace('\\\n', ' ')
    words = []
    for line in text.split('\n'):
        m = re.match(r'^\s*(\w+)\s*(:?=|\+=)\s*(.*)$', line)
        if not m or m.group(1) not in names:
            continue
        val = re.sub(r'#.*', '', m.group(3))
        if m.group(2) != '+=':
            words = [w for w in words if w[0] != m.group(1)]
        words += [(m.group(1), w) for w in val.split() if '$' not in w]
    return [w for _, w in words]


def script_list(path):
    p = subprocess.run(['bash', path, '--list'], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode:
        raise RuntimeError('%s --list: exit %d: %s' % (path, p.returncode,
                                                       p.stderr.decode().strip()))
    return p.stdout.decode().split()


def expected_from(top):
    exp = []
    mk = os.path.join(top, 'tools/testing/selftests/zcrx/Makefile')
    exp += ['zcrx:' + p for p in make_var_values(mk, ('TEST_GEN_PROGS', 'TEST_PROGS'))]
    exp += ['netdevsim:' + p for p in script_list(os.path.join(top, 'scripts/guest/upstream-tests.sh'))]
    exp += ['liburing-zc:' + p for p in
            script_list(os.path.join(top, 'liburing-zc/test/vm/run.sh'))]
    exp += ['bench:' + p for p in
            script_list(os.path.join(top, 'scripts/guest/bench.sh'))]
    exp += ['bench:' + p for p in
            script_list(os.path.join(top, 'scripts/guest/bench-fwd.sh'))]
    exp += ['kunit:' + p for p in
            script_list(os.path.join(top, 'scripts/guest/kunit.sh'))]
    return exp


class Counter:
    def __init__(self, skips_fail=False):
        self.skips_fail = skips_fail
        self.out = []
        self.seen = set()
        self.reset()

    def reset(self):
        self.nested = []
        self.plan = None
        self.started = None

    def emit(self, res, name, why=''):
        if res == 'skip' and self.skips_fail:
            res = 'fail'
            name += ' (skipped%s)' % (': ' + why if why else '')
        self.out.append((res, name))

    def line(self, line):
        m = sub_re.match(line)
        if m:
            res = 'ok' if m.group(1) == 'ok' else 'fail'
            if m.group(4) == 'SKIP':
                res = 'skip' if m.group(1) == 'ok' else 'fail'
            elif m.group(4) == 'XFAIL':
                res = 'ok'
            self.nested.append((res, m.group(2), (m.group(5) or '').strip()))
            return
        m = plan_re.match(line)
        if m:
            self.plan = int(m.group(1))
            return
        m = start_re.match(line)
        if m:
            self.finish_unreported()
            self.started = (m.group(1), m.group(2))
            return
        m = top_re.match(line)
        if m:
            self.top(m.group(1) == 'ok', m.group(2), m.group(3), m.group(4))

    def top(self, ok, suite, prog, rest):
        self.seen.add('%s:%s' % (suite, prog))
        for res, name, why in self.nested:
            self.emit(res, '%s: %s' % (prog, name), why)
        reason = rest.strip(' #')
        if not self.nested:
            if re.match(r'^\s*#\s*SKIP\b', rest):
                self.emit('skip', prog, re.sub(r'^SKIP\s*', '', reason))
            else:
                self.emit('ok' if ok else 'fail', prog)
        elif not ok and all(r != 'fail' for r, _, _ in self.nested):
            self.emit('fail', '%s (%s)' % (prog, reason or 'exit status'))
        elif self.plan is not None and len(self.nested) < self.plan:
            self.emit('fail', '%s (%d of %d results)' % (prog, len(self.nested), self.plan))
        self.reset()

    def finish_unreported(self):
        """A program started (or printed results) but has no result line."""
        if self.started is None and not self.nested:
            return
        suite, prog = self.started or ('?', '?')
        self.seen.add('%s:%s' % (suite, prog))
        for res, name, why in self.nested:
            self.emit(res, '%s: %s' % (prog, name), why)
        self.emit('fail', '%s (no result: its output ends after %d results)'
                  % (prog, len(self.nested)))
        self.reset()

    def end(self, expected):
        self.finish_unreported()
        for e in expected:
            if e not in self.seen:
                self.emit('fail', '%s (no result)' % e.split(':', 1)[1])


def vm_result(log, rc):
    try:
        with open(log, errors='replace') as f:
            lines = [ln.rstrip('\n') for ln in f]
    except OSError as e:
        return ('fail', 'kernel: no log of the VM run (%s)' % e.strerror)
    why = [ln[len('vm-run: '):] for ln in lines
           if ln.startswith('vm-run: ') and not re.match(r'^vm-run: exit \d+ after', ln)]
    if why:
        return ('fail', 'kernel: %s' % why[0])
    if rc != 0:
        last = next((ln for ln in reversed(lines) if ln.strip()), 'no message')
        return ('fail', 'kernel: the VM run failed (exit %d): %s' % (rc, last))
    return ('ok', 'kernel log clean')


def main(argv):
    expected, errors, skips_fail, vm_log, vm_rc = [], [], False, None, 0
    not_expected = set()
    args = list(argv)
    try:
        while args:
            a = args.pop(0)
            if a == '--expect':
                expected.append(args.pop(0))
            elif a == '--expected-from':
                top = args.pop(0)
                try:
                    found = expected_from(top)
                except (OSError, RuntimeError) as e:
                    found = []
                    errors.append('expected tests: cannot list them: %s' % e)
                if not found and not errors:
                    errors.append('expected tests: none found in %s' % top)
                expected += found
            elif a == '--not-expect':
                not_expected.add(args.pop(0))
            elif a == '--skips-fail':
                skips_fail = True
            elif a == '--vm-log':
                vm_log = args.pop(0)
            elif a == '--vm-rc':
                vm_rc = int(args.pop(0))
            else:
                sys.exit(__doc__)
    except (IndexError, ValueError):
        sys.exit(__doc__)
    c = Counter(skips_fail)
    c.out += [('fail', e) for e in errors]
    for line in sys.stdin:
        c.line(line.rstrip('\n'))
    c.end([e for e in expected if e not in not_expected])
    if vm_log is not None:
        c.out.append(vm_result(vm_log, vm_rc))
    for res, name in c.out:
        print('%s\t%s' % (res, name))


if __name__ == '__main__':
    main(sys.argv[1:])
