/* core/ui/ui.js — the script of `spikelab ui`'s pages (served as
 * /static/ui.js; the server's Content-Security-Policy allows no other).
 * Data come inline as <script type="application/json"> blocks or from
 * /api/; text goes into the page through textContent, and into dygraphs
 * (which writes labels as HTML) escaped first. */
'use strict';

function slData(id) {
  var e = document.getElementById(id);
  return e ? JSON.parse(e.textContent) : null;
}

function slEsc(s) {
  return String(s).replace(/[&<>"']/g, function (c) {
    return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;',
            "'": '&#39;'}[c];
  });
}

/* JSON numbers, or "nan"/"inf" strings: dygraphs wants numbers or null */
function slNum(v) {
  return typeof v === 'number' && isFinite(v) ? v : null;
}

function slRows(points) {
  return points.map(function (p) {
    return p.map(function (v, i) { return i === 0 ? v : slNum(v); });
  });
}

/* One metric: a dygraph (zoom by dragging, double-click to reset, values
 * on hover), or the server's SVG when dygraphs is not installed. */
function slCurve(parent, key, title, labels, rows, plotQuery) {
  var div = document.createElement('div');
  div.className = 'metric-curve';
  div.id = 'curve-' + key.replace(/[^A-Za-z0-9_-]/g, '_');
  div.setAttribute('data-metric', key);
  parent.appendChild(div);
  if (typeof Dygraph === 'undefined' || rows.length === 0) {
    var img = document.createElement('img');
    img.src = '/plot?' + plotQuery + '&format=svg';
    img.alt = title;
    div.appendChild(img);
    return null;
  }
  var box = document.createElement('div');
  box.className = 'dygraph-box';
  div.appendChild(box);
  return new Dygraph(box, rows, {
    labels: labels, /* the legend escapes them itself */
    title: slEsc(title),
    xlabel: 'epoch',
    ylabel: slEsc(key),
    connectSeparatedPoints: true,
    legend: 'always',
    labelsSeparateLines: false,
    animatedZooms: false,
    width: 720,
    height: 300
  });
}

function slRunPage(run) {
  var id = run.getAttribute('data-id');
  var box = document.getElementById('curves');
  var graphs = {};
  function draw(curves) {
    Object.keys(curves).forEach(function (name) {
      var c = curves[name], rows = slRows(c.points);
      var title = name + (c.total > c.points.length ?
          ' (' + c.points.length + ' of ' + c.total + ' points: min/max)' : '');
      if (graphs[name]) {
        graphs[name].updateOptions({file: rows, title: slEsc(title)});
      } else if (!(name in graphs)) {
        graphs[name] = slCurve(box, name, title, ['epoch', name], rows,
            'ids=' + id + '&what=' + encodeURIComponent('metric:' + name));
      }
    });
  }
  draw(slData('sl-curves') || {});
  var prog = slData('sl-progress'), line = document.getElementById('progress');
  function showProgress(p) {
    if (line && p) line.textContent = p.line;
  }
  showProgress(prog);
  if (prog && prog.status === 'running') {
    var timer = setInterval(function () {
      fetch('/api/runs/' + id + '/progress').then(function (r) {
        return r.json();
      }).then(function (p) {
        showProgress(p);
        if (p.status !== 'running') {
          clearInterval(timer);
          location.reload();
          return;
        }
        return fetch('/api/runs/' + id + '/curves').then(function (r) {
          return r.json();
        }).then(draw);
      }).catch(function () {});
    }, 2000);
  }
  Array.prototype.forEach.call(document.querySelectorAll('form.write'),
    function (f) {
      f.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var body = new URLSearchParams(new FormData(f)).toString();
        fetch('/api/runs/' + id + '/' + f.getAttribute('data-action'), {
          method: 'POST',
          headers: {'X-Spikelab': '1',
                    'Content-Type': 'application/x-www-form-urlencoded'},
          body: body
        }).then(function (r) {
          return r.json().then(function (j) {
            if (!r.ok) throw new Error(j.error || r.statusText);
            location.reload();
          });
        }).catch(function (e) { alert(e.message); });
      });
    });
}

function slCell(tr, text, cls) {
  var td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '-' : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
}

function slTable(id, head, rows) {
  var t = document.getElementById(id);
  if (!t) return;
  var thead = document.createElement('thead'), tr = document.createElement('tr');
  head.forEach(function (h) {
    var th = document.createElement('th');
    th.textContent = h;
    tr.appendChild(th);
  });
  thead.appendChild(tr);
  t.appendChild(thead);
  var tb = document.createElement('tbody');
  rows.forEach(function (r) {
    var tr = document.createElement('tr');
    r.forEach(function (c, i) { slCell(tr, c, i ? 'num' : ''); });
    tb.appendChild(tr);
  });
  t.appendChild(tb);
}

function slComparePage() {
  var cc = slData('sl-compare-curves'), cmp = slData('sl-compare');
  var box = document.getElementById('curves');
  if (cc) {
    var labels = ['epoch'].concat(cc.runs.map(function (r) {
      return r.id + ' ' + r.name;
    }));
    var ids = cc.runs.map(function (r) { return r.id; }).join(',');
    Object.keys(cc.metrics).forEach(function (name) {
      slCurve(box, name, name, labels, slRows(cc.metrics[name]),
              'ids=' + ids + '&what=' + encodeURIComponent('metric:' + name));
    });
  }
  if (cmp) {
    var head = ['key'].concat(cmp.runs.map(function (r) {
      return r.id + ' ' + r.name;
    }));
    function rows(list, onlyDiff) {
      return list.filter(function (x) { return !onlyDiff || x.differs; })
        .map(function (x) {
          return [x.key || x.name].concat(x.values.map(function (v) {
            return v === null ? '-' : v;
          }));
        });
    }
    slTable('differing', head, rows(cmp.config, true));
    slTable('finals', head, rows(cmp.final_metrics, false));
    slTable('cmp-results', head, rows(cmp.results, false));
  }
}

function slRunsPage(table) {
  var running = table.querySelector('tr[data-status="running"]');
  if (!running) return;
  setInterval(function () {
    fetch('/api/runs' + location.search).then(function (r) {
      return r.json();
    }).then(function (runs) {
      var changed = false;
      runs.forEach(function (r) {
        var tr = table.querySelector('tr[data-id="' + Number(r.id) + '"]');
        var st = r.status === 'running' && r.process_alive === false ?
            'died' : r.status;
        if (!tr || tr.getAttribute('data-status') !== st) {
          changed = true;
          return;
        }
        var loss = tr.querySelector('.loss'), fm = r.final_metrics || {};
        if (loss && 'loss' in fm) loss.textContent = String(fm.loss);
        var dur = tr.querySelector('.duration');
        if (dur && typeof r.duration_s === 'number')
          dur.textContent = r.duration_s.toFixed(1) + 's';
      });
      if (changed) location.reload();
    }).catch(function () {});
  }, 2000);
}

document.addEventListener('DOMContentLoaded', function () {
  var run = document.getElementById('run');
  if (run) slRunPage(run);
  if (document.getElementById('compare')) slComparePage();
  var runs = document.getElementById('runs');
  if (runs) slRunsPage(runs);
});
