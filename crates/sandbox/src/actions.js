// The actions driver, evaluated after the prelude with its internals. It is called with the
// trigger's id, the handler's name, the event (as JSON), the list of known triggers' `api`
// shapes and the hint for a module without a stub, and returns the driver `actions.rs` calls;
// the driver is not reachable from action code.
(function (internals, trigger, handlerName, eventJson, stubHint) {
  'use strict';
  const { stringify, parse, errorInfo, builtins, setCurrent } = internals;
  const g = globalThis;
  const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
  // Rules' globals are not the actions runtime's.
  delete g.configuration;
  delete g.UnauthorizedError;

  const event = parse(eventJson);
  // What the actions asked for, in the shape `a0ctl test` and the emulator read.
  const effects = {
    denied: null,
    idToken: {},
    accessToken: {},
    scopes: { added: [], removed: [] },
    app_metadata: {},
    user_metadata: {},
    redirect: null,
    multifactor: null,
    validation: null,
    cache: {},
  };

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
  const claim = (target, what) => (name, value) => {
    str(name, `${what}.setCustomClaim's name`);
    // Claims are JSON in a token: what JSON cannot carry is dropped, as a token would.
    target[name] = value === undefined ? null : parse(stringify(value) ?? 'null');
    return api;
  };
  const scopeList = (list, other) => (scope) => {
    str(scope, 'a scope');
    if (!list.includes(scope)) list.push(scope);
    const i = other.indexOf(scope);
    if (i >= 0) other.splice(i, 1);
    return api;
  };
  const metadata = (which) => (key, value) => {
    str(key, `api.user.set${which === 'app_metadata' ? 'App' : 'User'}Metadata's key`);
    const v = value === undefined ? null : parse(stringify(value) ?? 'null');
    effects[which][key] = v;
    return api;
  };
  const cache = {
    get(key) {
      str(key, 'a cache key');
      const r = effects.cache[key];
      return r === undefined ? undefined : { value: r.value, expires_at: r.expires_at };
    },
    set(key, value, options) {
      str(key, 'a cache key');
      str(value, 'a cached value');
      const ttl = options && Number(options.ttl) > 0 ? Number(options.ttl) : 86400000;
      const expires_at = options && Number(options.expires_at) > 0 ? Number(options.expires_at) : ttl;
      effects.cache[key] = { value, expires_at };
      return { type: 'success', record: { value, expires_at } };
    },
    delete(key) {
      str(key, 'a cache key');
      delete effects.cache[key];
      return { type: 'success' };
    },
  };
  const deny = (withCode) =>
    withCode
      ? (code, reason) => {
          effects.denied = { code: String(code), reason: reason === undefined ? '' : String(reason) };
          return api;
        }
      : (reason) => {
          effects.denied = { reason: reason === undefined ? '' : String(reason) };
          return api;
        };
  const unavailable = (what) => () => {
    throw new Error(`${what} is not available in a0ctl's sandbox`);
  };

  // Each trigger's `api`, as `@auth0/actions` describes it for the version the emulator runs.
  const shapes = {
    'post-login': () => ({
      access: { deny: deny(false) },
      idToken: { setCustomClaim: claim(effects.idToken, 'api.idToken') },
      accessToken: {
        setCustomClaim: claim(effects.accessToken, 'api.accessToken'),
        addScope: scopeList(effects.scopes.added, effects.scopes.removed),
        removeScope: scopeList(effects.scopes.removed, effects.scopes.added),
      },
      user: {
        setAppMetadata: metadata('app_metadata'),
        setUserMetadata: metadata('user_metadata'),
      },
      redirect: {
        sendUserTo(url, options) {
          str(url, 'api.redirect.sendUserTo\'s url');
          const query = options && options.query ? parse(stringify(options.query)) : {};
          effects.redirect = { url, query };
          return api;
        },
        encodeToken: unavailable('api.redirect.encodeToken'),
        validateToken: unavailable('api.redirect.validateToken'),
      },
      multifactor: {
        enable(provider, options) {
          str(provider, 'api.multifactor.enable\'s provider');
          effects.multifactor = { provider, options: options ? parse(stringify(options)) : {} };
          return api;
        },
      },
      cache,
    }),
    'credentials-exchange': () => ({
      access: { deny: deny(true) },
      accessToken: { setCustomClaim: claim(effects.accessToken, 'api.accessToken') },
      cache,
    }),
    'pre-user-registration': () => ({
      access: { deny: deny(true) },
      user: {
        setAppMetadata: metadata('app_metadata'),
        setUserMetadata: metadata('user_metadata'),
      },
      validation: {
        error(code, message) {
          effects.validation = { code: String(code), message: String(message) };
          return api;
        },
      },
      cache,
    }),
    'post-user-registration': () => ({ cache }),
    'post-change-password': () => ({ cache }),
    'send-phone-message': () => ({ cache }),
    'password-reset-post-challenge': () => ({ access: { deny: deny(false) }, cache }),
  };
  const build = shapes[trigger];
  if (!build) throw new Error(`a0ctl's sandbox does not run actions of the trigger ${trigger}`);
  // A member the sandbox does not have is named, not `undefined is not a function`.
  const api = new Proxy(build(), {
    get(target, key) {
      if (typeof key === 'symbol' || hasOwn(target, key)) return target[key];
      if (key === 'then') return undefined;
      throw new TypeError(`api.${key} is not in a0ctl's sandbox for the ${trigger} trigger`);
    },
  });

  let handler = null;
  let run = null;
  // Changes to the user that later actions see.
  const applyMetadata = () => {
    if (!event.user || typeof event.user !== 'object') return;
    for (const which of ['app_metadata', 'user_metadata']) {
      const target = event.user[which] && typeof event.user[which] === 'object' ? event.user[which] : {};
      for (const [k, v] of Object.entries(effects[which])) {
        if (v === null) delete target[k];
        else target[k] = v;
      }
      event.user[which] = target;
    }
  };
  return {
    stub(name, fn) {
      stubs.set(name, fn);
    },
    // Run a module's top level; `false` when it exports no handler for the trigger.
    load(moduleFn) {
      const mine = { settled: true, thrown: null };
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
      const mine = { settled: false, thrown: null };
      run = mine;
      setCurrent(mine);
      const own = parse(stringify(event));
      own.secrets = parse(secretsJson);
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
    // What makes the flow stop after an action: a denial, a redirect, a validation error.
    stops() {
      return effects.denied !== null || effects.redirect !== null || effects.validation !== null;
    },
    after() {
      applyMetadata();
    },
    status() {
      return stringify(run);
    },
    result() {
      return stringify(effects);
    },
  };
});
