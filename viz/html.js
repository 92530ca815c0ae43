/*
 * lockstep's interactive page (viz/html.c puts this script in it): walk
 * the run with the slider or the arrow keys, hover or click an event to
 * see its happens-before past and future (from the vector clocks of the
 * trace), show or hide the races and the wait-for cycle, search by
 * process or object. The diagram is Graphviz's SVG, whose elements carry
 * ids: ev:STEP (marks), label:STEP, step:STEP, blocked:STEP, hb:K
 * (arrows), hb-label:K, race:K, race-label:K, waitfor:P:Q, stuck:P.
 * Text from the trace is only ever set with textContent.
 */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('lk-data').textContent);
  var evs = data.events;
  var byStep = {};
  var steps = [];
  var slider = document.getElementById('lk-slider');
  var stepOut = document.getElementById('lk-step');
  var info = document.getElementById('lk-info');
  var search = document.getElementById('lk-search');
  var toggles = document.getElementById('lk-toggles');
  var selected = null;
  var current = null;

  function el(id) { return document.getElementById(id); }

  /* The elements drawn for event e: its mark, step number, label. */
  function parts(e) {
    var out = [];
    ['ev:', 'label:', 'step:', 'blocked:'].forEach(function (p) {
      var x = el(p + e.s);
      if (x) out.push(x);
    });
    return out;
  }

  evs.forEach(function (e) {
    byStep[e.s] = e;
    e.parts = parts(e);
    /* The slider walks the steps drawn as marks (a child's first
     * step is its box). */
    if (el('ev:' + e.s)) steps.push(e.s);
    e.parts.forEach(function (x) { x.setAttribute('data-step', e.s); });
  });
  data.edges.forEach(function (h) {
    h.parts = [el('hb:' + h.k), el('hb-label:' + h.k)].filter(Boolean);
  });
  data.races.forEach(function (r) {
    r.parts = [el('race:' + r.k), el('race-label:' + r.k)].filter(Boolean);
  });
  /* What the run's end shows: the outcome, the caption, the stuck bars
   * and the wait-for arrows. */
  var ending = Array.prototype.slice.call(document.querySelectorAll(
      '[id="outcome"], [id^="caption:"], [id^="stuck:"], ' +
      '[id^="label:stuck:"], .waitfor, .waitfor-label'));
  var waits = Array.prototype.slice.call(document.querySelectorAll(
      '.waitfor, .waitfor-label, [id^="stuck:"], [id^="label:stuck:"]'));

  /* a happens before b: a's own counter reached b's clock. */
  function hb(a, b) {
    return a !== b && a.vc[a.p] <= b.vc[a.p];
  }

  function mark(list, cls, on) {
    list.forEach(function (x) { x.classList.toggle(cls, on); });
  }

  /* The run up to step index k: that step highlighted, later ones dim. */
  function setStep(k) {
    k = Math.max(0, Math.min(steps.length - 1, k));
    slider.value = String(k);
    var cur = steps[k];
    current = byStep[cur];
    stepOut.textContent = String(cur);
    evs.forEach(function (e) {
      mark(e.parts, 'lk-current', e.s === cur);
      mark(e.parts, 'lk-later', e.s > cur);
    });
    data.edges.forEach(function (h) { mark(h.parts, 'lk-later', h.b > cur); });
    data.races.forEach(function (r) {
      mark(r.parts, 'lk-later', Math.max(r.a, r.b) > cur);
    });
    mark(ending, 'lk-later', cur < data.last);
    if (!selected) describe(current, 'at this step');
  }

  function where(e) {
    return e.src ? ' \u2014 source ' + e.src : '';
  }

  /* Say what e is in the info line (text only). */
  function describe(e, what) {
    if (!e) { info.textContent = ''; return; }
    var past = 0, future = 0;
    evs.forEach(function (f) {
      if (hb(f, e)) past++;
      if (hb(e, f)) future++;
    });
    info.textContent = 'step ' + e.s + ' (' + what + '): ' +
        data.procs[e.p] + ': ' + e.l + where(e) + ' \u2014 ' + past +
        ' before it, ' + future + ' after it';
  }

  /* Highlight e's happens-before past and future; null: none. */
  function focus(e) {
    var on = !!e;
    document.body.classList.toggle('lk-focus', on);
    evs.forEach(function (f) {
      mark(f.parts, 'lk-selected', on && f === e);
      mark(f.parts, 'lk-past', on && hb(f, e));
      mark(f.parts, 'lk-future', on && hb(e, f));
    });
    data.edges.forEach(function (h) {
      var a = byStep[h.a], b = byStep[h.b];
      mark(h.parts, 'lk-past', on && (b === e || hb(b, e)));
      mark(h.parts, 'lk-future', on && (a === e || hb(e, a)));
    });
    if (on) describe(e, e === selected ? 'selected' : 'pointed at');
    else describe(current, 'at this step');
  }

  function eventOf(target) {
    for (var x = target; x && x !== document; x = x.parentNode) {
      var s = x.getAttribute && x.getAttribute('data-step');
      if (s !== null && s !== undefined && byStep[s]) return byStep[s];
    }
    return null;
  }

  var svg = document.querySelector('#lk-diagram svg');
  svg.addEventListener('click', function (ev) {
    var e = eventOf(ev.target);
    selected = e && e !== selected ? e : null;
    focus(selected);
  });
  svg.addEventListener('mouseover', function (ev) {
    var e = eventOf(ev.target);
    if (e) focus(e);
  });
  svg.addEventListener('mouseout', function (ev) {
    if (eventOf(ev.target)) focus(selected);
  });

  slider.max = String(Math.max(0, steps.length - 1));
  slider.addEventListener('input', function () {
    setStep(Number(slider.value));
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.target === search) return;
    var k = Number(slider.value);
    if (ev.key === 'ArrowRight' || ev.key === 'ArrowDown') k++;
    else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowUp') k--;
    else if (ev.key === 'Home') k = 0;
    else if (ev.key === 'End') k = steps.length - 1;
    else if (ev.key === 'Escape') { selected = null; focus(null); return; }
    else return;
    ev.preventDefault();
    setStep(k);
  });

  /* A checkbox in the bar that shows or hides the elements list. */
  function toggle(id, words, list) {
    var label = document.createElement('label');
    var box = document.createElement('input');
    box.type = 'checkbox';
    box.id = id;
    box.checked = true;
    box.addEventListener('change', function () {
      mark(list, 'lk-hidden', !box.checked);
    });
    label.appendChild(box);
    label.appendChild(document.createTextNode(' ' + words));
    toggles.appendChild(label);
  }
  var raceParts = [];
  data.races.forEach(function (r) { raceParts = raceParts.concat(r.parts); });
  if (raceParts.length > 0) toggle('lk-races', 'races', raceParts);
  if (waits.length > 0 || data.cycle.length > 0)
    toggle('lk-cycle', data.cycle.length > 0 ? 'wait-for cycle' :
           'wait-for', waits);

  /* Search: the events of the processes or objects whose name holds
   * the text stay, the others dim. */
  search.addEventListener('input', function () {
    var q = search.value.trim().toLowerCase();
    var n = 0;
    evs.forEach(function (e) {
      var hit = q !== '' &&
          (data.procs[e.p].toLowerCase().indexOf(q) >= 0 ||
           (e.o !== null && e.o.toLowerCase().indexOf(q) >= 0));
      n += hit ? 1 : 0;
      mark(e.parts, 'lk-match', hit);
    });
    document.body.classList.toggle('lk-searching', q !== '');
    if (q !== '')
      info.textContent = n + (n === 1 ? ' event' : ' events') +
          ' of a process or object matching \u201c' + search.value +
          '\u201d';
    else focus(selected);
  });

  setStep(steps.length - 1);
  document.body.setAttribute('data-ready', '1');
})();
