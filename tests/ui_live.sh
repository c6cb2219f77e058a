#!/bin/sh
# `spikelab ui` while runs record (issue 16, done-when 3): four training
# runs write into one database while the UI is asked, again and again,
# for the runs table, the running runs' pages, progress and curves, and
# /api/runs; every answer must come within 1 s, and the runs must finish
# with every epoch's loss recorded (readers never block the writers).
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
# the sanitizer build: fontconfig's and libltdl's own allocations that
# PLplot's cairo drivers keep (tests/plplot_lsan.supp)
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top_srcdir/tests/plplot_lsan.supp:print_suppressions=0}
export LSAN_OPTIONS
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
tmp=$(mktemp -d /tmp/sl-uilive-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sl="$top_builddir/core/spikelab" exp="$top_srcdir/experiments/frozen_noise_dynapsim.cfg" \
tmp="$tmp" python3 - <<'PY'
import http.client, json, os, signal, subprocess, sys, time

sl, exp, tmp = os.environ['sl'], os.environ['exp'], os.environ['tmp']
db = os.path.join(tmp, 'runs.db')
EPOCHS = 1500
def fail(msg):
    print('FAIL:', msg)
    sys.exit(1)
p = subprocess.run([sl, 'run', exp, 'train.epochs=10', '--db', db, '--quiet'],
                   capture_output=True, text=True)
if p.returncode:
    fail('first run: ' + p.stderr)
srv = subprocess.Popen([sl, 'ui', '--db', db, '--port', '0'], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
line = srv.stdout.readline()
port = int(line.split('http://127.0.0.1:')[1].split('/')[0])
runs = [subprocess.Popen([sl, 'run', exp, 'train.epochs=%d' % EPOCHS, 'seed=%d' % i,
                          'evaluate.0.every=1000', '--db', db, '--quiet'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for i in range(4)]
worst, n, seen_running = 0.0, 0, set()
try:
    while any(r.poll() is None for r in runs):
        c = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
        t0 = time.time()
        c.request('GET', '/api/runs?status=running')
        body = c.getresponse().read()
        running = [r['id'] for r in json.loads(body)]
        paths = ['/', '/api/runs']
        for i in running:
            seen_running.add(i)
            paths += ['/run/%d' % i, '/api/runs/%d/progress' % i,
                      '/api/runs/%d/curves' % i, '/api/runs/%d' % i]
        dt = time.time() - t0
        worst, n = max(worst, dt), n + 1
        for path in paths:
            t0 = time.time()
            c.request('GET', path)
            r = c.getresponse()
            r.read()
            dt = time.time() - t0
            n += 1
            if r.status != 200:
                fail('%s: %d while runs record' % (path, r.status))
            if dt > 1.0:
                fail('%s took %.2f s while runs record' % (path, dt))
            worst = max(worst, dt)
        c.close()
finally:
    srv.send_signal(signal.SIGTERM)
    srv.communicate(timeout=10)
for r in runs:
    err = r.stderr.read()
    if r.wait() != 0:
        fail('a run failed: ' + err)
if len(seen_running) < 2:
    fail('saw only %d runs running: the UI was not asked while they recorded' % len(seen_running))
for i in range(2, 6):
    show = json.loads(subprocess.run([sl, 'show', str(i), '--json', '--db', db],
                                     capture_output=True, text=True).stdout)
    steps = [m['step'] for m in show['metrics']['loss']]
    if show['status'] != 'finished' or steps != list(range(1, EPOCHS + 1)):
        fail('run %d: %s with %d loss values' % (i, show['status'], len(steps)))
print('ui_live: %d requests while %d runs recorded, slowest %.3f s; every run complete'
      % (n, len(seen_running), worst))
PY
