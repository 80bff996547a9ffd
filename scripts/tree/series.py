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


def load_series(path=None, check_names=True):
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
        for p in patches:
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


def assign_keys(commits):
    """Keys for the commits with diffs: kept where they still grow along the
    series, chosen between the neighbours' where not, all renumbered as
    position x 100 only when there is no room."""
    with_patches = [(n, c) for n, c in enumerate(commits, 1) if c['patches']]
    keys = {}
    last = 0
    for n, c in with_patches:
        k = patch_key(c)
        later = [patch_key(d) for m, d in with_patches if m > n and patch_key(d)]
        # Keep a key that grows and leaves room below the next kept one.
        if k is not None and k > last and all(k < x for x in later[:1]):
            keys[n] = k
            last = k
    pending = []
    prev = 0
    for n, c in with_patches + [(None, None)]:
        if n is not None and n not in keys:
            pending.append(n)
            continue
        nxt = keys[n] if n is not None else max(prev, 0) + 100 * (len(pending) + 1)
        if pending:
            step = (nxt - prev) // (len(pending) + 1)
            if step < 1 or nxt > 9999:
                return {n: 100 * n for n, _ in with_patches}
            for j, m in enumerate(pending, 1):
                keys[m] = prev + step * j
            pending = []
        if n is not None:
            prev = keys[n]
    return keys


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
    last_key = 0
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
            dst = os.path.join(TOP, path)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, 'wb') as f:
                f.write(data)
            mode = git('ls-tree', rev, '--', path).stdout.decode().split()[0]
            os.chmod(dst, 0o755 if mode == '100755' else 0o644)
        patch = None
        if changed:
            last = max([patch_key(c) or 0 for c in series['commits']] + [last_key])
            last_key = (last // 100 + 1) * 100
            patch = patch_name(last_key, subject, 0)
            if not PATCH_RE.match(patch):
                raise SeriesError('import: no key left after %04d; run "python3 '
                                  'scripts/tree/series.py rename" first' % last)
            diff = git('diff', '--no-color', '--no-ext-diff', '--no-renames',
                       rev + '^', rev, '--', *changed).stdout.decode()
            diff = re.sub(r'^index [0-9a-f]+\.\.[0-9a-f]+.*\n', '', diff, flags=re.M)
            with open(os.path.join(TOP, patch), 'w') as f:
                f.write(diff)
        entry = 'Subject: %s\n' % subject
        if new_files:
            entry += 'Files: %s\n' % '\n  '.join(new_files)
        if patch:
            entry += 'Patches: %s\n' % patch
        entry += '\n%s\n' % body
        entries.append(entry)
        print('imported: %s' % subject)
    path = os.path.join(TOP, 'series')
    with open(path, 'rb') as f:
        f.seek(0, os.SEEK_END)
        ends_in_newline = f.tell() == 0 or (f.seek(-1, os.SEEK_END) and f.read(1) == b'\n')
    with open(path, 'a') as f:
        if not ends_in_newline:
            f.write('\n')  # or the separator would join the last line
        for e in entries:
            f.write('%%\n' + e)


def cmd_rename(args):
    if args:
        raise SeriesError('rename: no arguments')
    path = os.path.join(TOP, 'series')
    series = load_series(path, check_names=False)
    keys = assign_keys(series['commits'])
    with open(path) as f:
        text = f.read()
    is_git = os.path.exists(os.path.join(TOP, '.git'))
    renamed = 0
    for n, c in enumerate(series['commits'], 1):
        for i, old in enumerate(c['patches']):
            new = patch_name(keys[n], c['subject'], i)
            if new == old:
                continue
            if os.path.exists(os.path.join(TOP, new)):
                raise SeriesError('rename: %s exists already' % new)
            if is_git and subprocess.run(['git', '-C', TOP, 'ls-files', '--error-unmatch', old],
                                         stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL).returncode == 0:
                subprocess.run(['git', '-C', TOP, 'mv', old, new], check=True)
            else:
                os.rename(os.path.join(TOP, old), os.path.join(TOP, new))
            text, count = re.subn(r'(?m)^(Patches:.*?|\s+)(?<![\w/.-])%s(?![\w.-])'
                                  % re.escape(old), lambda m: m.group(1) + new, text)
            if count != 1:
                raise SeriesError('rename: %s is named %d times in series' % (old, count))
            print('%s -> %s' % (old, new))
            renamed += 1
    with open(path, 'w') as f:
        f.write(text)
    problems = name_problems(load_series(path, check_names=False)['commits'])
    if problems:
        raise SeriesError('rename: still out of step: %s' % '; '.join(problems))
    if not renamed:
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
