// The actions driver, evaluated after the prelude with its internals, in a runtime of its own
// for each action (so no action reaches another's secrets, `api` or globals). It is called with
// the trigger's id, the handler's name, the event and the flow's cache (as JSON) and the hint for
// a module without a stub, and returns the driver `actions.rs` calls; the driver is not
// reachable from action code. What it records is kept in objects without a prototype, so an
// action that changes `Object.prototype` (a setter, a `toJSON`) cannot reach it.
(function (internals, trigger, handlerName, eventJson, cacheJson, stubHint) {
  'use strict';
  const { stringify, parse, errorInfo, builtins, setCurrent } = internals;
  const g = globalThis;
  const ObjectProto = Object.prototype;
  const hasOwnProperty = ObjectProto.hasOwnProperty;
  const apply = Reflect.apply;
  const create = Object.create;
  const freeze = Object.freeze;
  const defineProperty = Object.defineProperty;
  const keysOf = Object.keys;
  const isArray = Array.isArray;
  const now = Date.now;
  const hasOwn = (o, k) => apply(hasOwnProperty, o, [k]);
  const bare = () => create(null);
  // A copy of JSON data in objects without a prototype.
  const data = (v) => {
    if (v === null || typeof v !== 'object') return v;
    if (isArray(v)) {
      const out = [];
      for (let i = 0; i < v.length; i++) defineProperty(out, i, { value: data(v[i]), enumerable: true, writable: true, configurable: true });
      return out;
    }
    const out = bare();
    const ks = keysOf(v);
    for (let i = 0; i < ks.length; i++) out[ks[i]] = data(v[ks[i]]);
    return out;
  };
  // Rules' globals are not the actions runtime's.
  delete g.configuration;
  delete g.UnauthorizedError;

  // What the action asked for, in the shape `a0ctl test` and the emulator read.
  const effects = bare();
  effects.denied = null;
  effects.idToken = bare();
  effects.accessToken = bare();
  effects.scopes = bare();
  effects.scopes.added = [];
  effects.scopes.removed = [];
  effects.app_metadata = bare();
  effects.user_metadata = bare();
  effects.redirect = null;
  effects.multifactor = null;
  effects.validation = null;
  effects.cache = data(parse(cacheJson));

  // Stub modules by name: functions `(exports, require, module)` compiled by the host.
  const stubs = new Map();
  const loaded = new Map();
  const requireModule = (name) => {
    if (typeof name !== 'string') throw new TypeError('require needs a module name');
    if (loaded.has(name)) return loaded.get(name).exports;
    if (stubs.has(name)) {
      const module = { exports: {} };
      loaded.set(name, module);
      stubs.get(name)(module.exports, requireModule, module);
      return module.exports;
    }
    const bare = name.startsWith('node:') ? name.slice(5) : name;
    if (hasOwn(builtins, bare)) return builtins[bare];
    throw new Error(`Cannot find module '${name}': ${stubHint.replace('{name}', name)}`);
  };
  g.require = requireModule;

  const str = (v, what) => {
    if (typeof v !== 'string') throw new TypeError(`${what} must be a string`);
    return v;
  };
  // A value as JSON carries it (what JSON cannot carry is dropped, as a token would).
  const json = (value) => (value === undefined ? null : data(parse(stringify(value) ?? 'null')));
  const claim = (target, what) => (name, value) => {
    str(name, `${what}.setCustomClaim's name`);
    target[name] = json(value);
    return api;
  };
  const without = (list, scope) => {
    const out = [];
    for (let i = 0; i < list.length; i++) if (list[i] !== scope) out[out.length] = list[i];
    return out;
  };
  const scopeList = (mine, other) => (scope) => {
    str(scope, 'a scope');
    effects.scopes[mine] = without(effects.scopes[mine], scope);
    const list = effects.scopes[mine];
    list[list.length] = scope;
    effects.scopes[other] = without(effects.scopes[other], scope);
    return api;
  };
  const metadata = (which) => (key, value) => {
    str(key, `api.user.set${which === 'app_metadata' ? 'App' : 'User'}Metadata's key`);
    effects[which][key] = json(value);
    return api;
  };
  const cache = {
    get(key) {
      str(key, 'a cache key');
      const r = hasOwn(effects.cache, key) ? effects.cache[key] : undefined;
      return r === undefined ? undefined : { value: r.value, expires_at: r.expires_at };
    },
    set(key, value, options) {
      str(key, 'a cache key');
      str(value, 'a cached value');
      const ttl = options && Number(options.ttl) > 0 ? Number(options.ttl) : 86400000;
      const expires_at =
        options && Number(options.expires_at) > 0 ? Number(options.expires_at) : now() + ttl;
      const record = bare();
      record.value = value;
      record.expires_at = expires_at;
      effects.cache[key] = record;
      return { type: 'success', record: { value, expires_at } };
    },
    delete(key) {
      str(key, 'a cache key');
      delete effects.cache[key];
      return { type: 'success' };
    },
  };
  // `deny(reason)`, `deny(code, reason)` (credentials-exchange) or `deny(reason, userMessage)`
  // (pre-user-registration).
  const deny = (shape) => (a, b) => {
    const d = bare();
    if (shape === 'code') {
      d.code = String(a);
      d.reason = b === undefined ? '' : String(b);
    } else {
      d.reason = a === undefined ? '' : String(a);
      if (shape === 'message' && b !== undefined) d.user_message = String(b);
    }
    effects.denied = d;
    return api;
  };
  const unavailable = (what) => () => {
    throw new Error(`${what} is not available in a0ctl's sandbox`);
  };

  // Each trigger's `api`, as `@auth0/actions` describes it for the version the emulator runs.
  const shapes = {
    'post-login': () => ({
      access: { deny: deny('reason') },
      idToken: { setCustomClaim: claim(effects.idToken, 'api.idToken') },
      accessToken: {
        setCustomClaim: claim(effects.accessToken, 'api.accessToken'),
        addScope: scopeList('added', 'removed'),
        removeScope: scopeList('removed', 'added'),
      },
      user: {
        setAppMetadata: metadata('app_metadata'),
        setUserMetadata: metadata('user_metadata'),
      },
      redirect: {
        sendUserTo(url, options) {
          str(url, 'api.redirect.sendUserTo\'s url');
          const query = options && options.query ? parse(stringify(options.query)) : {};
          const r = bare();
          r.url = url;
          r.query = query;
          effects.redirect = r;
          return api;
        },
        encodeToken: unavailable('api.redirect.encodeToken'),
        validateToken: unavailable('api.redirect.validateToken'),
      },
      multifactor: {
        enable(provider, options) {
          str(provider, 'api.multifactor.enable\'s provider');
          const m = bare();
          m.provider = provider;
          m.options = options ? json(options) : bare();
          effects.multifactor = m;
          return api;
        },
      },
      cache,
    }),
    'credentials-exchange': () => ({
      access: { deny: deny('code') },
      accessToken: { setCustomClaim: claim(effects.accessToken, 'api.accessToken') },
      cache,
    }),
    'pre-user-registration': () => ({
      access: { deny: deny('message') },
      user: {
        setAppMetadata: metadata('app_metadata'),
        setUserMetadata: metadata('user_metadata'),
      },
      validation: {
        error(code, message) {
          const v = bare();
          v.code = String(code);
          v.message = String(message);
          effects.validation = v;
          return api;
        },
      },
      cache,
    }),
    'post-user-registration': () => ({ cache }),
    'post-change-password': () => ({ cache }),
    'send-phone-message': () => ({ cache }),
    'password-reset-post-challenge': () => ({ access: { deny: deny('reason') }, cache }),
  };
  const build = shapes[trigger];
  if (!build) throw new Error(`a0ctl's sandbox does not run actions of the trigger ${trigger}`);
  // A member the sandbox does not have is named, not `undefined is not a function`; what every
  // object has (`toString`, `toJSON`, `then`) is not such a member. The `api` cannot be changed.
  const shape = build();
  for (const k of keysOf(shape)) freeze(shape[k]);
  const api = new Proxy(freeze(shape), {
    get(target, key) {
      if (typeof key === 'symbol' || hasOwn(target, key)) return target[key];
      if (key === 'then' || key === 'toJSON' || key in ObjectProto) return ObjectProto[key];
      throw new TypeError(`api.${key} is not in a0ctl's sandbox for the ${trigger} trigger`);
    },
  });

  let handler = null;
  let run = null;
  return {
    stub(name, fn) {
      stubs.set(name, fn);
    },
    // Run a module's top level; `false` when it exports no handler for the trigger.
    load(moduleFn) {
      const mine = bare();
      mine.settled = true;
      mine.thrown = null;
      run = mine;
      setCurrent(mine);
      handler = null;
      loaded.clear();
      const module = { exports: {} };
      try {
        moduleFn(module.exports, requireModule, module);
      } catch (e) {
        mine.thrown = errorInfo(e);
        return true;
      }
      const exported = module.exports && module.exports[handlerName];
      if (typeof exported !== 'function') return false;
      handler = exported;
      return true;
    },
    start(secretsJson) {
      const mine = bare();
      mine.settled = false;
      mine.thrown = null;
      run = mine;
      setCurrent(mine);
      const own = parse(eventJson);
      defineProperty(own, 'secrets', {
        value: parse(secretsJson),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      try {
        const r = handler(own, api);
        if (r && typeof r.then === 'function') {
          r.then(
            () => {
              mine.settled = true;
            },
            (e) => {
              mine.settled = true;
              if (!mine.thrown) mine.thrown = errorInfo(e);
            },
          );
        } else {
          mine.settled = true;
        }
      } catch (e) {
        mine.settled = true;
        mine.thrown = errorInfo(e);
      }
    },
    status() {
      return stringify(run);
    },
    result() {
      return stringify(effects);
    },
  };
});
