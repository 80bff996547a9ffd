#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read the TAP of run_kselftest.sh; print "ok|fail|skip<TAB>name" per test.

A program whose harness printed nested results counts as those results; a
program that printed none counts as one test.  A program that failed
although all its nested results passed (a crash, a timeout) adds a failure.
"""
import re
import sys

top_re = re.compile(r'^(ok|not ok) \d+ selftests: (\S+): (\S+)(.*)$')
sub_re = re.compile(r'^# (ok|not ok) \d+ (.+?)(\s+#\s*(SKIP|XFAIL|TODO).*)?$')

nested = []
for line in sys.stdin:
    line = line.rstrip('\n')
    m = sub_re.match(line)
    if m:
        res = 'ok' if m.group(1) == 'ok' else 'fail'
        if m.group(4) == 'SKIP':
            res = 'skip'
        elif m.group(4) == 'XFAIL':
            res = 'ok'
        nested.append((res, m.group(2)))
        continue
    m = top_re.match(line)
    if m:
        prog = m.group(3)
        skip = '# SKIP' in m.group(4)
        for res, name in nested:
            print('%s\t%s: %s' % (res, prog, name))
        if not nested:
            print('%s\t%s' % ('skip' if skip else ('ok' if m.group(1) == 'ok' else 'fail'), prog))
        elif m.group(1) != 'ok' and all(r != 'fail' for r, _ in nested):
            print('fail\t%s (%s)' % (prog, m.group(4).strip(' #') or 'exit status'))
        nested = []
