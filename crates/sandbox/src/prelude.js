// The sandbox's own globals, evaluated once per runtime before any rule. It is called with the
// host's log sink and the rules' `configuration` (as JSON) and returns the driver that
// `rules_runtime` calls; the driver is not reachable from rule code.
(function (hostLog, configurationJson) {
  'use strict';
  const g = globalThis;
  // The builtins that walk `this.length` loop inside the engine, where the deadline is polled
  // only between bytecodes: `Array.prototype.indexOf.call({ length: 2 ** 53 - 1 }, 1)` would
  // run for days. Past this length (16 MiB of values, a quarter of the default memory limit)
  // they refuse, so one call is short and the interrupt comes soon after the deadline.
  const MAX_LENGTH = 1 << 20;
  // Kept before any rule runs: a rule that replaces them must not turn the guard off.
  const ArrayProto = Array.prototype;
  const ToNumber = Number;
  const ToObject = Object;
  const isArray = Array.isArray;
  const apply = Reflect.apply;
  const spreadKey = Symbol.isConcatSpreadable;
  const iteratorKey = Symbol.iterator;
  const lengthOf = (o) => {
    if (o === null || o === undefined) return 0;
    const n = ToNumber(ToObject(o).length);
    return n > 0 ? n : 0;
  };
  const tooLong = (n) =>
    new RangeError(`a length of ${n} is past the sandbox's limit of ${MAX_LENGTH} elements`);
  const spreadable = (v) =>
    v !== null &&
    typeof v === 'object' &&
    (v[spreadKey] !== undefined ? !!v[spreadKey] : isArray(v));
  for (const key of Object.getOwnPropertyNames(ArrayProto)) {
    const d = Object.getOwnPropertyDescriptor(ArrayProto, key);
    if (key === 'constructor' || typeof d.value !== 'function') continue;
    const original = d.value;
    const guarded = {
      [key](...args) {
        const n = lengthOf(this);
        if (n > MAX_LENGTH) throw tooLong(n);
        if (key === 'concat') {
          let total = n;
          for (let i = 0; i < args.length; i++) total += spreadable(args[i]) ? lengthOf(args[i]) : 1;
          if (total > MAX_LENGTH) throw tooLong(total);
        }
        return apply(original, this, args);
      },
    }[key];
    Object.defineProperty(guarded, 'length', { value: original.length });
    Object.defineProperty(ArrayProto, key, { ...d, value: guarded });
  }
  for (const key of ['from']) {
    const original = Array[key];
    Object.defineProperty(Array, key, {
      value: function from(items) {
        if (items !== null && items !== undefined && items[iteratorKey] === undefined) {
          const n = lengthOf(items);
          if (n > MAX_LENGTH) throw tooLong(n);
        }
        return apply(original, this, arguments);
      },
      writable: true,
      configurable: true,
    });
  }
  // Kept before any rule runs, so a rule that replaces JSON cannot fool the driver.
  const stringify = JSON.stringify;
  const parse = JSON.parse;

  const show = (v) => {
    if (typeof v === 'string') return v;
    if (v instanceof Error) return `${v.name}: ${v.message}`;
    try {
      const s = stringify(v);
      return s === undefined ? String(v) : s;
    } catch (e) {
      return String(v);
    }
  };
  const log = (...args) => hostLog(args.map(show).join(' '));
  g.console = { log, info: log, warn: log, error: log, debug: log };

  class UnauthorizedError extends Error {
    constructor(message) {
      super(message);
      this.name = 'UnauthorizedError';
    }
  }
  g.UnauthorizedError = UnauthorizedError;
  g.global = g;
  g.configuration = parse(configurationJson);

  // Timers run in virtual time: a rule that waits 2 s for a timer does not make the test wait,
  // but a timer due after the case's timeout never fires.
  let now = 0;
  let seq = 0;
  const timers = new Map();
  g.setTimeout = (fn, ms, ...args) => {
    if (typeof fn !== 'function') throw new TypeError('setTimeout needs a function');
    const delay = Number(ms) > 0 ? Number(ms) : 0;
    const id = ++seq;
    timers.set(id, { at: now + delay, id, fn, args });
    return id;
  };
  g.clearTimeout = (id) => {
    timers.delete(id);
  };
  g.setImmediate = (fn, ...args) => g.setTimeout(fn, 0, ...args);
  g.clearImmediate = g.clearTimeout;

  // The only modules `require` knows: small, pure stubs.
  const format = (f, ...args) => {
    if (typeof f !== 'string') return [f, ...args].map(show).join(' ');
    let i = 0;
    const out = f.replace(/%[sdijo%]/g, (m) => {
      if (m === '%%') return '%';
      if (i >= args.length) return m;
      const a = args[i++];
      if (m === '%d' || m === '%i') return String(m === '%i' ? parseInt(a, 10) : Number(a));
      if (m === '%s') return typeof a === 'string' ? a : show(a);
      return show(a);
    });
    return [out, ...args.slice(i).map(show)].join(' ');
  };
  const modules = {
    util: Object.freeze({ format, inspect: show, isArray: Array.isArray }),
  };
  g.require = (name) => {
    if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(modules, name)) {
      return modules[name];
    }
    throw new Error(
      `Cannot find module '${name}': a0ctl's rule sandbox provides only ${Object.keys(modules)
        .map((m) => `'${m}'`)
        .join(', ')}`,
    );
  };

  // Without a prototype, so what a script puts on `Object.prototype` (a `toJSON`) cannot
  // change what the host reads.
  const createBare = Object.create;
  const errorInfo = (e) => {
    const info = createBare(null);
    if (e instanceof Error || (e && typeof e === 'object' && 'message' in e)) {
      info.name = String(e.name || 'Error');
      info.message = String(e.message);
      info.stack = typeof e.stack === 'string' ? e.stack : '';
    } else {
      info.name = 'Error';
      info.message = String(e);
      info.stack = '';
      info.null = e === null;
    }
    return info;
  };

  let user;
  let context;
  let run = null;
  // What the rules asked `auth0.users` to write: each metadata merged key by key as the
  // Management API merges it (a null removes the key).
  let written = createBare(null);
  const update = (which) =>
    function (id, metadata, cb) {
      if (!user || id !== user.user_id) {
        throw new Error(`auth0.users.${which}: a0ctl's sandbox updates only the user logging in`);
      }
      const copy = parse(stringify(metadata === undefined ? {} : metadata));
      if (copy === null || typeof copy !== 'object' || isArray(copy)) {
        throw new TypeError(`auth0.users.${which}: the metadata is not an object`);
      }
      const key = which === 'updateAppMetadata' ? 'app_metadata' : 'user_metadata';
      const into = written[key] || createBare(null);
      for (const k of Object.keys(copy)) into[k] = copy[k];
      written[key] = into;
      if (typeof cb === 'function') {
        g.setTimeout(() => cb(null, user), 0);
        return undefined;
      }
      return Promise.resolve(user);
    };
  // Rules' alone (`init`): actions have no `auth0`.
  const auth0 = Object.freeze({
    users: Object.freeze({
      updateAppMetadata: update('updateAppMetadata'),
      updateUserMetadata: update('updateUserMetadata'),
    }),
  });
  return {
    // What the actions driver (`actions.js`) builds on: the same timers, logs and modules.
    internals: {
      stringify,
      parse,
      errorInfo,
      builtins: modules,
      setCurrent(r) {
        run = r;
      },
    },
    init(userJson, contextJson) {
      user = parse(userJson);
      context = parse(contextJson);
      written = createBare(null);
      g.auth0 = auth0;
    },
    start(fn) {
      timers.clear();
      const mine = { calls: 0, error: null, thrown: null };
      run = mine;
      const callback = function (err, newUser, newContext) {
        mine.calls += 1;
        if (mine.calls > 1) return;
        if (err !== null && err !== undefined) {
          mine.error = errorInfo(err);
          return;
        }
        if (newUser !== undefined) user = newUser;
        if (newContext !== undefined) context = newContext;
      };
      try {
        const r = fn(user, context, callback);
        if (r && typeof r.then === 'function') {
          r.then(undefined, (e) => {
            if (!mine.thrown) mine.thrown = errorInfo(e);
          });
        }
      } catch (e) {
        mine.thrown = errorInfo(e);
      }
    },
    // 0: no timer left; 1: one ran; 2: only timers due after `limit` remain.
    runTimer(limit) {
      let next = null;
      for (const t of timers.values()) {
        if (next === null || t.at < next.at || (t.at === next.at && t.id < next.id)) next = t;
      }
      if (next === null) return 0;
      if (next.at > limit) return 2;
      timers.delete(next.id);
      if (next.at > now) now = next.at;
      try {
        next.fn(...next.args);
      } catch (e) {
        if (run && !run.thrown) run.thrown = errorInfo(e);
      }
      return 1;
    },
    status() {
      return stringify(run);
    },
    result() {
      return stringify({ user, context, written });
    },
  };
});
