#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make tree, pull, demo, check, and by hand
# (import, rename).
"""Turn the repository into the kernel series and back.

  series.py assemble [--ref REF] [--no-checkout]
      Build one git commit per entry of the `series` file on top of the
      pristine base in $ZCRX_CACHE/tree, then check the result out there.
      Only files whose content changed are rewritten, so builds stay
      incremental.
  series.py pull
      Copy edits made inside the assembled tree back into the repository:
      new files to their kernel path, edits of upstream files into the diff
      in patches/ of the last commit that touches them.
  series.py import [--tree DIR] REV_RANGE
      Append the commits of REV_RANGE, made in the assembled tree or in a
      worktree of it (DIR), to the series: files they add go to their
      kernel path, edits of existing files become diffs in patches/, and the
      commit messages become entries of `series`.
  series.py list
      Print the subjects, one per line.
  series.py paths
      Print every path the series adds or changes.
  series.py rename
      Give every diff in patches/ the name its commit calls for (below),
      with git mv when the repository is a git checkout, and update
      `series` to match.  Every other command refuses a series whose names
      and subjects are out of step, and says to run this.

The `series` file is a list of commits separated by lines holding only
"%%".  Each commit starts with headers, then a blank line, then the
message body:

  Subject: net: one line that says what
  Files:   new files at their kernel path (repeatable; "dir/" = all below)
  Patches: diffs in patches/ against the tree as the previous commit left it
  Maintainers: yes   (insert the repository's MAINTAINERS section)

A block before the first "%%" holds the defaults (Author:) and the cover
letter body.  Lines starting with "#" in a header block are comments.

A diff is named patches/KKKK-SLUG.diff: SLUG is its commit's whole subject
in lower case, every run of other characters than letters and digits made
one "-"; KKKK is a four-digit key that grows along the series, so that
`ls patches/` lists the diffs in the order they apply.  Keys start as the
commit's position times 100; a commit inserted later takes a key between
its neighbours' (`rename` picks one), so no other file is renamed.  A
second diff of the same commit is KKKK-SLUG-2.diff, and so on.
"""

import os
import re
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.environ.get('ZCRX_CACHE') or os.path.join(
    os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'zcrx')
TREE = os.environ.get('ZCRX_TREE') or os.path.join(CACHE, 'tree')
# Fixed dates keep commit ids stable from one assembly to the next.
DATE = '1731801600 +0000'


class SeriesError(Exception):
    pass


def git(*args, env=None, input=None, check=True):
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run(['git', '-C', TREE] + list(args), env=e, input=input,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode:
        raise SeriesError('git %s: %s' % (' '.join(args[:2]),
                                          p.stderr.decode(errors='replace').strip()))
    return p


def parse_block(text, where):
    headers = {}
    lines = text.strip('\n').split('\n')
    i = 0
    key = None
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        i += 1
        if line.startswith('#'):
            continue
        m = re.match(r'^([A-Za-z-]+):\s*(.*)$', line)
        if m:
            key = m.group(1).lower()
            headers.setdefault(key, []).append(m.group(2).strip())
        elif line[:1] in ' \t' and key:
            headers[key].append(line.strip())
        else:
            raise SeriesError('%s: cannot parse header line %r' % (where, line))
    body = '\n'.join(lines[i:]).strip('\n')
    return headers, body


def words(values):
    out = []
    for v in values:
        out.extend(v.split())
    return out


def load_series(path=None, check_names=True, check_files=True):
    path = path or os.path.join(TOP, 'series')
    with open(path) as f:
        blocks = re.split(r'^%%[ \t]*$', f.read(), flags=re.M)
    head, cover = parse_block(blocks[0], 'series header')
    author = (head.get('author') or [''])[0]
    if not author:
        raise SeriesError('series: the first block needs an Author: line')
    commits = []
    for n, text in enumerate(blocks[1:], 1):
        if not text.strip():
            continue
        h, body = parse_block(text, 'series commit %d' % n)
        subj = ' '.join(h.get('subject') or [])
        if not subj:
            raise SeriesError('series commit %d has no Subject:' % n)
        files = []
        for f in words(h.get('files', [])):
            if f.endswith('/'):
                found = tracked_below(f)
                if not found:
                    raise SeriesError('%s: directory %s holds no files' % (subj, f))
                files.extend(found)
            else:
                files.append(f)
        for f in files:
            if not os.path.isfile(os.path.join(TOP, f)):
                raise SeriesError('%s: new file %s is missing' % (subj, f))
        patches = words(h.get('patches', []))
        for p in patches if check_files else []:
            if not os.path.isfile(os.path.join(TOP, p)):
                raise SeriesError('%s: patch %s is missing' % (subj, p))
        commits.append({
            'subject': subj,
            'body': body,
            'files': files,
            'patches': patches,
            'maintainers': bool(h.get('maintainers')),
            'author': (h.get('author') or [author])[0],
        })
    if check_names:
        problems = name_problems(commits)
        if problems:
            more = len(problems) - 3
            raise SeriesError('%s%s; run "python3 scripts/tree/series.py rename"'
                              % ('; '.join(problems[:3]),
                                 ' (and %d more)' % more if more > 0 else ''))
    return {'author': author, 'cover': cover,
            'subject': ' '.join(head.get('subject') or ['']), 'commits': commits}


PATCH_RE = re.compile(r'^patches/(\d{4})-([a-z0-9-]+)\.diff$')


def slug(subject):
    return re.sub(r'[^a-z0-9]+', '-', subject.lower()).strip('-')


def patch_name(key, subject, i):
    return 'patches/%04d-%s%s.diff' % (key, slug(subject), '-%d' % (i + 1) if i else '')


def patch_key(c):
    """The key of commit c's diffs, or None if their names do not carry one."""
    m = PATCH_RE.match(c['patches'][0]) if c['patches'] else None
    return int(m.group(1)) if m else None


def name_problems(commits):
    """Every way the diffs' names and the commits' subjects are out of step."""
    problems = []
    last = 0
    used = set()
    for c in commits:
        if not c['patches']:
            continue
        key = patch_key(c)
        for i, p in enumerate(c['patches']):
            used.add(p)
            if key is None or p != patch_name(key, c['subject'], i):
                problems.append('%s is not named after "%s" (KKKK-%s%s.diff)'
                                % (p, c['subject'], slug(c['subject']),
                                   '-%d' % (i + 1) if i else ''))
        if key is not None:
            if key <= last:
                problems.append('%s comes after a diff keyed %04d in the series'
                                % (c['patches'][0], last))
            last = max(last, key)
    pdir = os.path.join(TOP, 'patches')
    for f in sorted(os.listdir(pdir)) if os.path.isdir(pdir) else []:
        if f.endswith('.diff') and 'patches/' + f not in used:
            problems.append('patches/%s belongs to no commit' % f)
    return problems


KEY_MAX = 9999


def next_key(last):
    """A key after last with room left: the next multiple of 100, or half
    way to the end of the range; None when the range is used up."""
    k = (last // 100 + 1) * 100
    if k > KEY_MAX:
        k = last + (KEY_MAX - last + 1) // 2
    return k if last < k <= KEY_MAX else None


def assign_keys(commits):
    """Keys for the commits with diffs, by position in the series.

    The largest set of the present keys that grows along the series and
    leaves room for the others between them is kept, committed diffs
    before new ones (so that a new commit moved into the middle takes a
    key between its neighbours' rather than moving one of them); the
    others get keys spread between their kept neighbours'.  Only when no key can be kept
    is every diff renumbered (position x 100, or closer when the series is
    long)."""
    rows = [c for c in commits if c['patches']]
    n = len(rows)
    keys = [patch_key(c) for c in rows]
    tracked = set()
    if os.path.exists(os.path.join(TOP, '.git')):
        p = subprocess.run(['git', '-C', TOP, 'ls-files', '--', 'patches'],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        tracked = set(p.stdout.decode().split())
    weight = [n + 1 if c['patches'][0] in tracked else 1 for c in rows]
    # best[j]: most keys kept among rows[:j + 1] when row j keeps its own.
    best, prev = [0] * n, [None] * n
    for j in range(n):
        if keys[j] is None or keys[j] < j + 1 or KEY_MAX - keys[j] < n - 1 - j:
            continue
        best[j] = weight[j]
        for i in range(j):
            if best[i] and keys[j] - keys[i] > j - i - 1 and \
               best[i] + weight[j] > best[j]:
                best[j], prev[j] = best[i] + weight[j], i
    out = [None] * n
    if n and max(best):
        j = max(range(n), key=lambda x: best[x])
        while j is not None:
            out[j] = keys[j]
            j = prev[j]
    else:
        step = min(100, KEY_MAX // (n + 1)) if n else 100
        return [step * (i + 1) for i in range(n)]
    # Fill each run of rows without a key between its kept neighbours.
    i = 0
    while i < n:
        if out[i] is not None:
            i += 1
            continue
        j = i
        while j < n and out[j] is None:
            j += 1
        lo = out[i - 1] if i else 0
        if j < n:
            hi = out[j]
            step = (hi - lo) // (j - i + 1)
            for x in range(i, j):
                out[x] = lo + step * (x - i + 1)
        else:
            for x in range(i, j):
                out[x] = next_key(lo)
                lo = out[x]
        i = j
    return out

def tracked_below(d):
    """Files below directory d of the repository (git's view, plus new ones)."""
    if not os.path.exists(os.path.join(TOP, '.git')):
        return sorted(os.path.relpath(os.path.join(root, f), TOP)
                      for root, _, names in os.walk(os.path.join(TOP, d)) for f in names)
    p = subprocess.run(['git', '-C', TOP, 'ls-files', '-co', '--exclude-standard', '--', d],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return sorted(f for f in p.stdout.decode().split('\n')
                  if f and os.path.isfile(os.path.join(TOP, f)))


def patch_paths(patch):
    """Paths a unified diff modifies (its +++ side)."""
    paths = []
    with open(os.path.join(TOP, patch), errors='replace') as f:
        for line in f:
            if line.startswith('+++ '):
                p = line[4:].strip().split('\t')[0]
                if p != '/dev/null':
                    paths.append(p[2:] if p.startswith('b/') else p)
    return paths


def maintainers_section():
    with open(os.path.join(TOP, 'MAINTAINERS')) as f:
        text = f.read()
    # The repository's MAINTAINERS holds our section after a comment header.
    lines = [line for line in text.split('\n') if not line.startswith('#')]
    sect = '\n'.join(lines).strip('\n')
    if not sect:
        raise SeriesError('MAINTAINERS holds no section')
    return sect


def insert_section(upstream, sect):
    """Insert a section into the kernel's MAINTAINERS in sorted position.

    The file is not perfectly sorted, so place the section right after the
    one whose title is the greatest that sorts before ours.
    """
    title = sect.split('\n', 1)[0].upper()
    lines = upstream.split('\n')
    start = next(i for i, line in enumerate(lines) if line.startswith('Maintainers List'))
    best = None
    for i in range(start + 1, len(lines) - 1):
        if lines[i - 1] == '' and lines[i] and re.match(r'^[A-Z]:\t', lines[i + 1]):
            t = lines[i].upper()
            if t == title:
                raise SeriesError('MAINTAINERS already has a section %s' % lines[i])
            if t < title and (best is None or t > lines[best].upper()):
                best = i
    if best is None:
        raise SeriesError('cannot place the MAINTAINERS section')
    end = best
    while end < len(lines) and lines[end] != '':
        end += 1
    return '\n'.join(lines[:end + 1] + sect.split('\n') + [''] + lines[end + 1:])


def commit_message(c):
    msg = c['subject'] + '\n\n'
    if c['body']:
        msg += c['body'].rstrip() + '\n\n'
    msg += 'Signed-off-by: %s\n' % c['author']
    return msg


def split_author(a):
    m = re.match(r'^(.*?)\s*<(.*)>$', a)
    if not m:
        raise SeriesError('bad author %r' % a)
    return m.group(1), m.group(2)


def build_commits(series, ref):
    base = git('rev-parse', 'base^{commit}').stdout.decode().strip()
    index = os.path.join(TREE, '.git', 'zcrx-index')
    env = {'GIT_INDEX_FILE': index}
    parent = base
    git('read-tree', parent, env=env)
    for n, c in enumerate(series['commits'], 1):
        for p in c['patches']:
            r = git('apply', '--cached', '--whitespace=nowarn', os.path.join(TOP, p),
                    env=env, check=False)
            if r.returncode:
                err = r.stderr.decode(errors='replace').strip().split('\n')
                m = next((re.search(r'patch failed: ([^:]+)', e) for e in err
                          if 'patch failed' in e), None)
                where = m.group(1) if m else ', '.join(patch_paths(p))
                raise SeriesError('patch %s (commit %d "%s") does not apply to %s: %s'
                                  % (p, n, c['subject'], where, err[-1]))
        for f in c['files']:
            full = os.path.join(TOP, f)
            sha = git('hash-object', '-w', full).stdout.decode().strip()
            mode = '100755' if os.access(full, os.X_OK) else '100644'
            git('update-index', '--add', '--cacheinfo', '%s,%s,%s' % (mode, sha, f), env=env)
        if c['maintainers']:
            cur = git('cat-file', 'blob', ':MAINTAINERS', env=env).stdout.decode()
            new = insert_section(cur, maintainers_section())
            sha = git('hash-object', '-w', '--stdin', input=new.encode()).stdout.decode().strip()
            git('update-index', '--cacheinfo', '100644,%s,MAINTAINERS' % sha, env=env)
        tree = git('write-tree', env=env).stdout.decode().strip()
        name, email = split_author(c['author'])
        cenv = {'GIT_AUTHOR_NAME': name, 'GIT_AUTHOR_EMAIL': email,
                'GIT_COMMITTER_NAME': name, 'GIT_COMMITTER_EMAIL': email,
                'GIT_AUTHOR_DATE': DATE, 'GIT_COMMITTER_DATE': DATE}
        parent = git('commit-tree', tree, '-p', parent, env=cenv,
                     input=commit_message(c).encode()).stdout.decode().strip()
    os.unlink(index)
    git('update-ref', ref, parent)
    return parent


def dirty_paths():
    out = git('status', '--porcelain', '-uno').stdout.decode()
    return [line[3:] for line in out.split('\n') if line.strip()]


def cmd_assemble(args):
    ref = 'refs/heads/series'
    checkout = True
    while args:
        a = args.pop(0)
        if a == '--ref':
            ref = args.pop(0)
        elif a == '--no-checkout':
            checkout = False
        else:
            raise SeriesError('assemble: unknown argument %s' % a)
    series = load_series()
    tip = build_commits(series, ref)
    if not checkout:
        print(tip)
        return
    dirty = dirty_paths()
    if dirty:
        raise SeriesError('the assembled tree has local edits (%s); run "make pull" to '
                          'keep them or "make tree-reset" to drop them' % ', '.join(dirty[:5]))
    git('checkout', '-q', '-f', '--detach', tip)
    n = len(series['commits'])
    sys.stderr.write('==> assembled %d commit%s at %s\n' % (n, 's' * (n != 1), TREE))


def cmd_pull(args):
    series = load_series()
    head = git('rev-parse', 'HEAD').stdout.decode().strip()
    changed = git('diff', '--name-only', 'HEAD').stdout.decode().split()
    if not changed:
        print('nothing to pull: the tree matches the series')
        return
    commits = git('rev-list', '--reverse', 'base..' + head).stdout.decode().split()
    if len(commits) != len(series['commits']):
        raise SeriesError('the tree is not at the assembled series; run make tree first')
    owner_file = {}
    owner_patch = {}
    for n, c in enumerate(series['commits']):
        for f in c['files']:
            owner_file[f] = n
        for p in c['patches']:
            for path in patch_paths(p):
                owner_patch[path] = (n, p)
    lost = []
    regen = {}
    for path in changed:
        if path in owner_file:
            with open(os.path.join(TREE, path), 'rb') as src:
                data = src.read()
            with open(os.path.join(TOP, path), 'wb') as dst:
                dst.write(data)
            print('pulled %s' % path)
        elif path in owner_patch:
            regen.setdefault(owner_patch[path], []).append(path)
        else:
            lost.append(path)
    for (n, patch), paths in regen.items():
        commit = commits[n]
        with tempfile.TemporaryDirectory() as tmp:
            env = {'GIT_INDEX_FILE': os.path.join(tmp, 'index')}
            git('read-tree', commit, env=env)
            for path in paths:
                sha = git('hash-object', '-w', os.path.join(TREE, path)).stdout.decode().strip()
                git('update-index', '--cacheinfo', '100644,%s,%s' % (sha, path), env=env)
            tree = git('write-tree', env=env).stdout.decode().strip()
        covered = patch_paths(patch)
        diff = git('diff', '--no-color', '--no-ext-diff', '--no-renames', commit + '^', tree,
                   '--', *covered).stdout.decode()
        diff = re.sub(r'^index [0-9a-f]+\.\.[0-9a-f]+.*\n', '', diff, flags=re.M)
        with open(os.path.join(TOP, patch), 'w') as f:
            f.write(diff)
        print('regenerated %s (%s)' % (patch, ', '.join(paths)))
    if lost:
        raise SeriesError('not part of any commit, add them to a Patches: entry first: %s'
                          % ', '.join(lost))


def cmd_import(args):
    global TREE
    if args[:1] == ['--tree']:
        TREE = os.path.abspath(args[1])
        args = args[2:]
    if len(args) != 1:
        raise SeriesError('import: give one revision range')
    head = git('symbolic-ref', '-q', 'HEAD', check=False).stdout.decode().strip()
    if head == 'refs/heads/series':
        raise SeriesError('import: %s has the branch "series" checked out, so its commits '
                          'move "series" itself and the next assembly drops them; make the '
                          'worktree with "git worktree add --detach DIR series"' % TREE)
    series = load_series()
    known = set()
    for c in series['commits']:
        known.update(c['files'])
    revs = git('rev-list', '--reverse', args[0]).stdout.decode().split()
    if not revs:
        raise SeriesError('import: %s holds no commits in %s' % (args[0], TREE))
    added_here = {}
    entries = []
    writes = []		# (path, bytes, mode): written once every commit is read
    last_key = max([patch_key(c) or 0 for c in series['commits']])
    for rev in revs:
        msg = git('log', '-1', '--format=%B', rev).stdout.decode()
        lines = [ln for ln in msg.strip().split('\n')
                 if not ln.startswith('Signed-off-by:')]
        subject = lines[0].strip()
        body = '\n'.join(lines[1:]).strip()
        status = git('diff', '--name-status', '--no-renames', rev + '^', rev).stdout.decode()
        new_files, changed = [], []
        for line in status.strip().split('\n'):
            if not line:
                continue
            st, path = line.split('\t', 1)
            if path in added_here:
                raise SeriesError('%s changes %s, which "%s" added: squash them first'
                                  % (subject, path, added_here[path]))
            if st == 'A' and path not in known:
                new_files.append(path)
                added_here[path] = subject
            elif path in known:
                raise SeriesError('%s changes %s, a new file of the series: edit it in '
                                  'the repository instead' % (subject, path))
            else:
                changed.append(path)
        for path in new_files:
            data = git('show', '%s:%s' % (rev, path)).stdout
            mode = git('ls-tree', rev, '--', path).stdout.decode().split()[0]
            writes.append((path, data, 0o755 if mode == '100755' else 0o644))
        patch = None
        if changed:
            key = next_key(last_key)
            if key is None:
                raise SeriesError('import: no key left after %04d; run "python3 '
                                  'scripts/tree/series.py rename" first' % last_key)
            last_key = key
            patch = patch_name(key, subject, 0)
            diff = git('diff', '--no-color', '--no-ext-diff', '--no-renames',
                       rev + '^', rev, '--', *changed).stdout.decode()
            diff = re.sub(r'^index [0-9a-f]+\.\.[0-9a-f]+.*\n', '', diff, flags=re.M)
            writes.append((patch, diff.encode(), 0o644))
        entry = 'Subject: %s\n' % subject
        if new_files:
            entry += 'Files: %s\n' % '\n  '.join(new_files)
        if patch:
            entry += 'Patches: %s\n' % patch
        entry += '\n%s\n' % body
        entries.append((entry, subject))
    for rel, data, mode in writes:
        dst = os.path.join(TOP, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, 'wb') as f:
            f.write(data)
        os.chmod(dst, mode)
    path = os.path.join(TOP, 'series')
    with open(path, 'rb') as f:
        f.seek(0, os.SEEK_END)
        ends_in_newline = f.tell() == 0 or (f.seek(-1, os.SEEK_END) and f.read(1) == b'\n')
    with open(path, 'a') as f:
        if not ends_in_newline:
            f.write('\n')  # or the separator would join the last line
        for e, subject in entries:
            f.write('%%\n' + e)
            print('imported: %s' % subject)


def rewrite_patches_headers(text, renames):
    """The series text with each commit's Patches: header lines (and their
    continuation lines) renamed; message bodies are left alone."""
    blocks = re.split(r'^(%%[ \t]*\n)', text, flags=re.M)
    out = []
    for k, block in enumerate(blocks):
        if k == 0 or block.startswith('%%'):
            out.append(block)	# the cover letter, the separators
            continue
        lines = block.split('\n')
        key = None
        for i, line in enumerate(lines):
            if not line.strip():
                break
            m = re.match(r'^([A-Za-z-]+):', line)
            if m:
                key = m.group(1).lower()
            elif line.startswith('#') or line[:1] not in ' \t':
                continue
            if key == 'patches':
                lines[i] = re.sub(r'(?<=[\s:])(\S+)',
                                  lambda w: renames.get(w.group(1), w.group(1)), line)
        out.append('\n'.join(lines))
    return ''.join(out)


def cmd_rename(args):
    if args:
        raise SeriesError('rename: no arguments')
    path = os.path.join(TOP, 'series')
    series = load_series(path, check_names=False)
    keys = iter(assign_keys(series['commits']))
    renames = {}
    for c in series['commits']:
        if not c['patches']:
            continue
        key = next(keys)
        for i, old in enumerate(c['patches']):
            new = patch_name(key, c['subject'], i)
            if new != old:
                renames[old] = new
    # Every check before anything moves: a target may only be a file that
    # moves away itself.
    for old, new in renames.items():
        if os.path.exists(os.path.join(TOP, new)) and new not in renames:
            raise SeriesError('rename: %s exists already' % new)
    with open(path) as f:
        text = rewrite_patches_headers(f.read(), renames)
    tmp = os.path.join(TOP, 'series.rename')
    with open(tmp, 'w') as f:
        f.write(text)
    after = load_series(tmp, check_names=False, check_files=False)['commits']
    if [renames.get(p, p) for c in series['commits'] for p in c['patches']] != \
       [p for c in after for p in c['patches']]:
        os.unlink(tmp)
        raise SeriesError('rename: could not rewrite the Patches: lines of series')
    is_git = os.path.exists(os.path.join(TOP, '.git'))

    def move(a, b):
        if is_git and subprocess.run(['git', '-C', TOP, 'ls-files', '--error-unmatch', a],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL).returncode == 0:
            subprocess.run(['git', '-C', TOP, 'mv', a, b], check=True)
        else:
            os.rename(os.path.join(TOP, a), os.path.join(TOP, b))
    # Through temporary names, so that two diffs can trade names.
    for old in renames:
        move(old, old + '.rename')
    for old, new in renames.items():
        move(old + '.rename', new)
        print('%s -> %s' % (old, new))
    os.replace(tmp, path)
    problems = name_problems(load_series(path, check_names=False)['commits'])
    if problems:
        raise SeriesError('rename: still out of step: %s' % '; '.join(problems))
    if not renames:
        print('every diff has its name already')


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    try:
        if cmd == 'assemble':
            cmd_assemble(args)
        elif cmd == 'pull':
            cmd_pull(args)
        elif cmd == 'import':
            cmd_import(args)
        elif cmd == 'rename':
            cmd_rename(args)
        elif cmd == 'list':
            for c in load_series()['commits']:
                print(c['subject'])
        elif cmd == 'paths':
            paths = set()
            for c in load_series()['commits']:
                paths.update(c['files'])
                for p in c['patches']:
                    paths.update(patch_paths(p))
            print('\n'.join(sorted(paths)))
        else:
            sys.exit(__doc__)
    except SeriesError as e:
        sys.stderr.write('series: %s\n' % e)
        sys.exit(1)


if __name__ == '__main__':
    main()
