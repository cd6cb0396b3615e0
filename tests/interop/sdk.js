// The unmodified `auth0` npm SDK (pinned in package.json) against the a0ctl emulator over TLS.
// Run by tests/interop.rs with A0_DOMAIN=127.0.0.1:PORT, A0_CLIENT_ID, A0_CLIENT_SECRET and
// NODE_EXTRA_CA_CERTS=<the emulator's certificate>. Prints one line per check and, last,
// `N passed, M failed`.
'use strict';

const assert = require('node:assert/strict');
const { ManagementClient } = require('auth0');

const mgmt = new ManagementClient({
  domain: process.env.A0_DOMAIN,
  clientId: process.env.A0_CLIENT_ID,
  clientSecret: process.env.A0_CLIENT_SECRET,
});

const SCRIPT = 'function (user, context, callback) { callback(null, user, context); }';

async function all(pagePromise) {
  const items = [];
  for await (const item of await pagePromise) items.push(item);
  return items;
}

const checks = [];
const check = (name, fn) => checks.push([name, fn]);

check('clients: create, list across pages, update, delete', async () => {
  const made = [];
  for (const name of ['sdk-a', 'sdk-b', 'sdk-c']) {
    const c = await mgmt.clients.create({ name, app_type: 'spa', callbacks: [`https://${name}.example/cb`] });
    assert.equal(c.name, name);
    assert.ok(c.client_id && c.client_secret, 'id and secret');
    made.push(c);
  }
  const listed = await all(mgmt.clients.list({ per_page: 2, is_global: false }));
  const names = listed.map((c) => c.name);
  for (const c of made) assert.ok(names.includes(c.name), `${c.name} listed in ${names}`);
  const updated = await mgmt.clients.update(made[0].client_id, {
    description: 'changed', client_metadata: { team: 'x' },
  });
  assert.equal(updated.description, 'changed');
  assert.deepEqual(updated.client_metadata, { team: 'x' });
  const read = await mgmt.clients.get(made[0].client_id);
  assert.equal(read.description, 'changed');
  for (const c of made) await mgmt.clients.delete(c.client_id);
  await assert.rejects(mgmt.clients.get(made[0].client_id), (e) => e.statusCode === 404);
});

check('connections: create, list by checkpoint, update options, enabled clients, delete', async () => {
  const app = await mgmt.clients.create({ name: 'sdk-conn-app' });
  const made = [];
  for (const name of ['sdk-db-1', 'sdk-db-2', 'sdk-db-3']) {
    made.push(await mgmt.connections.create({ name, strategy: 'auth0', options: { mfa: { active: true } } }));
  }
  assert.ok(made[0].id.startsWith('con_'));
  const listed = await all(mgmt.connections.list({ take: 2, strategy: ['auth0'] }));
  const names = listed.map((c) => c.name);
  for (const c of made) assert.ok(names.includes(c.name), `${c.name} listed in ${names}`);
  const updated = await mgmt.connections.update(made[0].id, { options: { brute_force_protection: true } });
  assert.deepEqual(updated.options, { brute_force_protection: true });
  await mgmt.connections.clients.update(made[0].id, [{ client_id: app.client_id, status: true }]);
  const enabled = await all(mgmt.connections.clients.get(made[0].id, { take: 10 }));
  assert.deepEqual(enabled.map((c) => c.client_id), [app.client_id]);
  const again = await mgmt.connections.get(made[0].id);
  assert.deepEqual(again.enabled_clients, [app.client_id]);
  await mgmt.connections.clients.update(made[0].id, [{ client_id: app.client_id, status: false }]);
  assert.deepEqual(await all(mgmt.connections.clients.get(made[0].id)), []);
  await assert.rejects(
    mgmt.connections.create({ name: 'sdk-db-1', strategy: 'auth0' }),
    (e) => e.statusCode === 409,
  );
  for (const c of made) await mgmt.connections.delete(c.id);
  await mgmt.clients.delete(app.client_id);
  await assert.rejects(mgmt.connections.get(made[0].id), (e) => e.statusCode === 404);
});

check('rules: create, list across pages, update, conflict, delete', async () => {
  const made = [];
  for (const name of ['sdk-r1', 'sdk-r2', 'sdk-r3']) {
    made.push(await mgmt.rules.create({ name, script: SCRIPT }));
  }
  const listed = await all(mgmt.rules.list({ per_page: 2 }));
  assert.deepEqual(listed.map((r) => r.name), ['sdk-r1', 'sdk-r2', 'sdk-r3']);
  const updated = await mgmt.rules.update(made[1].id, { enabled: false, order: 10 });
  assert.equal(updated.enabled, false);
  assert.equal(updated.order, 10);
  await assert.rejects(mgmt.rules.update(made[2].id, { order: 10 }), (e) => e.statusCode === 409);
  for (const r of made) await mgmt.rules.delete(r.id);
  assert.deepEqual(await all(mgmt.rules.list()), []);
});

check('email templates: 404, create, get, update, set', async () => {
  await assert.rejects(mgmt.emailTemplates.get('welcome_email'), (e) => e.statusCode === 404);
  const created = await mgmt.emailTemplates.create({
    template: 'welcome_email', body: '<p>hi</p>', from: 'a@example.com', subject: 'Hi',
    syntax: 'liquid', enabled: true,
  });
  assert.equal(created.template, 'welcome_email');
  assert.equal(created.enabled, true);
  await assert.rejects(
    mgmt.emailTemplates.create({ template: 'welcome_email', body: 'x', from: 'a@example.com', subject: 'x', syntax: 'liquid', enabled: true }),
    (e) => e.statusCode === 409,
  );
  const updated = await mgmt.emailTemplates.update('welcome_email', { subject: 'Hello', enabled: false });
  assert.equal(updated.subject, 'Hello');
  assert.equal(updated.enabled, false);
  const set = await mgmt.emailTemplates.set('welcome_email', {
    template: 'welcome_email', body: 'new', from: 'b@example.com', subject: 'New', syntax: 'liquid', enabled: true,
  });
  assert.equal(set.body, 'new');
  const read = await mgmt.emailTemplates.get('welcome_email');
  assert.equal(read.from, 'b@example.com');
});

check('email provider: create, conflict, get without credentials, update, delete', async () => {
  const created = await mgmt.emails.provider.create({
    name: 'smtp', credentials: { smtp_host: 'mail.example', smtp_port: 587, smtp_user: 'u', smtp_pass: 'p' },
    default_from_address: 'a@example.com',
  });
  assert.equal(created.name, 'smtp');
  assert.equal(created.credentials, undefined);
  await assert.rejects(
    mgmt.emails.provider.create({ name: 'smtp', credentials: { smtp_host: 'x', smtp_port: 25, smtp_user: 'u', smtp_pass: 'p' } }),
    (e) => e.statusCode === 409,
  );
  const updated = await mgmt.emails.provider.update({ enabled: false });
  assert.equal(updated.enabled, false);
  const read = await mgmt.emails.provider.get();
  assert.equal(read.default_from_address, 'a@example.com');
  assert.equal(read.credentials, undefined);
  await mgmt.emails.provider.delete();
  await assert.rejects(mgmt.emails.provider.get(), (e) => e.statusCode === 404);
});

check('resource servers: the Management API exists, create, list across pages and by identifier, update, conflict, delete', async () => {
  const first = await all(mgmt.resourceServers.list());
  const system = first.find((r) => r.is_system);
  assert.ok(system && system.identifier.endsWith('/api/v2/'), 'the Management API is listed');
  await assert.rejects(mgmt.resourceServers.delete(system.id), (e) => e.statusCode === 400);
  await assert.rejects(mgmt.resourceServers.update(system.id, { name: 'x' }), (e) => e.statusCode === 400);
  const made = [];
  for (const n of ['1', '2', '3']) {
    made.push(await mgmt.resourceServers.create({
      identifier: `https://sdk-api-${n}.example`, name: `sdk-api-${n}`,
      scopes: [{ value: 'read:things', description: 'Read things' }], signing_alg: 'RS256',
    }));
  }
  assert.ok(made[0].id, 'an id');
  const listed = await all(mgmt.resourceServers.list({ per_page: 2 }));
  for (const r of made) assert.ok(listed.some((l) => l.identifier === r.identifier), `${r.identifier} listed`);
  const byIdentifier = await all(mgmt.resourceServers.list({ identifiers: [made[1].identifier] }));
  assert.deepEqual(byIdentifier.map((r) => r.name), ['sdk-api-2']);
  const updated = await mgmt.resourceServers.update(made[0].id, {
    scopes: [{ value: 'read:things' }, { value: 'write:things' }], token_lifetime: 600,
  });
  assert.equal(updated.token_lifetime, 600);
  assert.deepEqual(updated.scopes.map((s) => s.value), ['read:things', 'write:things']);
  const read = await mgmt.resourceServers.get(made[0].identifier);
  assert.equal(read.id, made[0].id, 'addressed by its identifier too');
  await assert.rejects(
    mgmt.resourceServers.create({ identifier: made[0].identifier }),
    (e) => e.statusCode === 409,
  );
  for (const r of made) await mgmt.resourceServers.delete(r.id);
  await assert.rejects(mgmt.resourceServers.get(made[0].id), (e) => e.statusCode === 404);
});

check('client grants: create, 409, 400 for an undefined scope, list by checkpoint and filter, update, delete', async () => {
  const app = await mgmt.clients.create({ name: 'sdk-m2m', app_type: 'non_interactive' });
  const api = await mgmt.resourceServers.create({
    identifier: 'https://sdk-grants.example', scopes: [{ value: 'read:x' }, { value: 'write:x' }],
  });
  const grant = await mgmt.clientGrants.create({ client_id: app.client_id, audience: api.identifier, scope: ['read:x'] });
  assert.ok(grant.id, 'an id');
  assert.deepEqual(grant.scope, ['read:x']);
  await assert.rejects(
    mgmt.clientGrants.create({ client_id: app.client_id, audience: api.identifier, scope: [] }),
    (e) => e.statusCode === 409,
  );
  await assert.rejects(
    mgmt.clientGrants.create({ client_id: app.client_id, audience: 'https://nowhere.example', scope: [] }),
    (e) => e.statusCode === 404,
  );
  const other = await mgmt.clients.create({ name: 'sdk-m2m-2', app_type: 'non_interactive' });
  await assert.rejects(
    mgmt.clientGrants.create({ client_id: other.client_id, audience: api.identifier, scope: ['delete:x'] }),
    (e) => e.statusCode === 400,
  );
  await mgmt.clientGrants.create({ client_id: other.client_id, audience: api.identifier, scope: [] });
  const listed = await all(mgmt.clientGrants.list({ take: 1, audience: api.identifier }));
  assert.equal(listed.length, 2, 'both grants, a page at a time');
  const mine = await all(mgmt.clientGrants.list({ client_id: app.client_id }));
  assert.deepEqual(mine.map((g) => g.id), [grant.id]);
  const updated = await mgmt.clientGrants.update(grant.id, { scope: ['read:x', 'write:x'] });
  assert.deepEqual(updated.scope, ['read:x', 'write:x']);
  await mgmt.clientGrants.delete(grant.id);
  assert.deepEqual((await all(mgmt.clientGrants.list({ client_id: app.client_id }))), []);
  await mgmt.resourceServers.delete(api.id);
  assert.deepEqual((await all(mgmt.clientGrants.list({ audience: api.identifier }))), [], 'grants go with their API');
  await mgmt.clients.delete(app.client_id);
  await mgmt.clients.delete(other.client_id);
});

check('tenant settings: get, update merging flags, 400 for an unknown key', async () => {
  const before = await mgmt.tenants.settings.get();
  assert.equal(typeof before.session_lifetime, 'number');
  const updated = await mgmt.tenants.settings.update({
    friendly_name: 'SDK Tenant', flags: { revoke_refresh_token_grant: true },
  });
  assert.equal(updated.friendly_name, 'SDK Tenant');
  assert.equal(updated.flags.revoke_refresh_token_grant, true);
  assert.equal(updated.flags.enable_client_connections, before.flags.enable_client_connections, 'flags are merged');
  const read = await mgmt.tenants.settings.get({ fields: 'friendly_name', include_fields: true });
  assert.deepEqual(Object.keys(read), ['friendly_name']);
  await assert.rejects(mgmt.tenants.settings.update({ nonsense: 1 }), (e) => e.statusCode === 400);
});

check('roles: create, 409, list, update, permissions added, listed across pages and removed, delete', async () => {
  const api = await mgmt.resourceServers.create({
    identifier: 'https://sdk-roles.example', scopes: [{ value: 'a' }, { value: 'b' }, { value: 'c' }],
  });
  const role = await mgmt.roles.create({ name: 'sdk-role', description: 'first' });
  assert.ok(role.id, 'an id');
  await assert.rejects(mgmt.roles.create({ name: 'sdk-role' }), (e) => e.statusCode === 409);
  const listed = await all(mgmt.roles.list({ per_page: 1 }));
  assert.ok(listed.some((r) => r.id === role.id), 'listed');
  const updated = await mgmt.roles.update(role.id, { description: 'second' });
  assert.equal(updated.description, 'second');
  const pairs = ['a', 'b', 'c'].map((p) => ({ resource_server_identifier: api.identifier, permission_name: p }));
  await mgmt.roles.permissions.add(role.id, { permissions: pairs });
  await assert.rejects(
    mgmt.roles.permissions.add(role.id, { permissions: [{ resource_server_identifier: api.identifier, permission_name: 'zzz' }] }),
    (e) => e.statusCode === 400,
  );
  const perms = await all(mgmt.roles.permissions.list(role.id, { per_page: 2 }));
  assert.deepEqual(perms.map((p) => p.permission_name), ['a', 'b', 'c']);
  await mgmt.roles.permissions.delete(role.id, { permissions: [pairs[1]] });
  const left = await all(mgmt.roles.permissions.list(role.id));
  assert.deepEqual(left.map((p) => p.permission_name), ['a', 'c']);
  await mgmt.roles.delete(role.id);
  await assert.rejects(mgmt.roles.get(role.id), (e) => e.statusCode === 404);
  await mgmt.resourceServers.delete(api.id);
});

check('actions: a draft not built is refused, deployed once built, versions and roll back, bindings, 409 deleting a bound action, forced delete', async () => {
  const code = 'exports.onExecutePostLogin = async (event, api) => {};';
  const created = await mgmt.actions.create({
    name: 'sdk-action', code, runtime: 'node22',
    supported_triggers: [{ id: 'post-login', version: 'v3' }],
    secrets: [{ name: 'SDK_KEY', value: 'sdk-secret-value' }],
  });
  assert.equal(created.status, 'pending');
  assert.equal(created.all_changes_deployed, false);
  assert.equal(created.secrets[0].name, 'SDK_KEY');
  assert.equal(created.secrets[0].value, undefined);
  await assert.rejects(mgmt.actions.create({ name: 'sdk-action', supported_triggers: [{ id: 'post-login', version: 'v3' }] }),
    (e) => e.statusCode === 409);
  await assert.rejects(mgmt.actions.deploy(created.id),
    (e) => e.statusCode === 400 && e.message.includes("must be in the 'built' state"));
  const built = async () => {
    for (let i = 0; i < 100; i += 1) {
      const a = await mgmt.actions.get(created.id);
      if (a.status === 'built') return a;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('never built');
  };
  await built();
  const first = await mgmt.actions.deploy(created.id);
  assert.equal(first.number, 1);
  assert.equal((await mgmt.actions.get(created.id)).all_changes_deployed, true);
  const edited = 'exports.onExecutePostLogin = async (event, api) => { api.access.deny("no"); };';
  await mgmt.actions.update(created.id, { code: edited });
  assert.equal((await mgmt.actions.get(created.id)).all_changes_deployed, false);
  await built();
  const second = await mgmt.actions.deploy(created.id);
  assert.equal(second.number, 2);
  const versions = await all(mgmt.actions.versions.list(created.id));
  assert.deepEqual(versions.map((v) => v.number), [2, 1]);
  assert.equal((await mgmt.actions.versions.get(created.id, first.id)).code, code);
  const back = await mgmt.actions.versions.deploy(created.id, first.id, { update_draft: true });
  assert.equal(back.code, code);
  const now = await mgmt.actions.get(created.id);
  assert.equal(now.deployed_version.code, code);
  assert.equal(now.code, code);
  const { triggers } = await mgmt.actions.triggers.list();
  assert.ok(triggers.some((t) => t.id === 'post-login' && t.version === 'v3'));
  const set = await mgmt.actions.triggers.bindings.updateMany('post-login', {
    bindings: [{ ref: { type: 'action_name', value: 'sdk-action' }, display_name: 'SDK' }],
  });
  assert.equal(set.bindings[0].action.id, created.id);
  const bound = await all(mgmt.actions.triggers.bindings.list('post-login'));
  assert.deepEqual(bound.map((b) => b.display_name), ['SDK']);
  const listed = await all(mgmt.actions.list({ triggerId: 'post-login', deployed: true }));
  assert.deepEqual(listed.map((a) => a.name), ['sdk-action']);
  await assert.rejects(mgmt.actions.delete(created.id), (e) => e.statusCode === 409);
  await mgmt.actions.delete(created.id, { force: true });
  assert.equal((await all(mgmt.actions.triggers.bindings.list('post-login'))).length, 0);
  await assert.rejects(mgmt.actions.get(created.id), (e) => e.statusCode === 404);
});

check('attack protection: defaults, update with sets in the service order, stages merged, 400 for another protection\'s key', async () => {
  const ap = mgmt.attackProtection;
  const bf = await ap.bruteForceProtection.get();
  assert.equal(bf.max_attempts, 10);
  const changed = await ap.bruteForceProtection.update({ max_attempts: 5, shields: ['user_notification', 'block'], allowlist: ['10.0.0.2', '10.0.0.1'] });
  assert.equal(changed.max_attempts, 5);
  assert.deepEqual(changed.shields, ['block', 'user_notification'], 'kept in the service\'s order');
  assert.deepEqual((await ap.bruteForceProtection.get()).allowlist, ['10.0.0.1', '10.0.0.2']);
  const sit = await ap.suspiciousIpThrottling.update({ stage: { 'pre-login': { max_attempts: 7, rate: 1000 } } });
  assert.equal(sit.stage['pre-login'].max_attempts, 7);
  assert.equal(sit.stage['pre-user-registration'].max_attempts, 50, 'other stages kept');
  const bpd = await ap.breachedPasswordDetection.update({ enabled: true, shields: ['admin_notification'], admin_notification_frequency: ['daily'] });
  assert.equal(bpd.enabled, true);
  await assert.rejects(ap.breachedPasswordDetection.update({ mode: 'count_per_identifier' }), (e) => e.statusCode === 400);
  await assert.rejects(ap.suspiciousIpThrottling.update({ shields: ['user_notification'] }), (e) => e.statusCode === 400);
});

check('guardian: factors listed and set, 400 for an unknown factor; policies set and read', async () => {
  const factors = await mgmt.guardian.factors.list();
  assert.ok(factors.some((f) => f.name === 'otp' && f.enabled === false));
  const set = await mgmt.guardian.factors.set('otp', { enabled: true });
  assert.equal(set.enabled, true);
  assert.ok((await mgmt.guardian.factors.list()).some((f) => f.name === 'otp' && f.enabled === true));
  await assert.rejects(mgmt.guardian.factors.set('carrier-pigeon', { enabled: true }), (e) => e.statusCode === 400);
  await mgmt.guardian.factors.set('otp', { enabled: false });
  assert.deepEqual(await mgmt.guardian.policies.set(['all-applications']), ['all-applications']);
  assert.deepEqual(await mgmt.guardian.policies.list(), ['all-applications']);
  await assert.rejects(mgmt.guardian.policies.set(['sometimes']), (e) => e.statusCode === 400);
  await mgmt.guardian.policies.set([]);
});

check('log streams: create, secrets never returned, list, update merging the sink, 400 for a type change or another type\'s key, delete', async () => {
  const made = await mgmt.logStreams.create({
    name: 'sdk-stream', type: 'http',
    sink: { httpEndpoint: 'https://logs.example/in', httpAuthorization: 'sdk-log-secret', httpContentFormat: 'JSONLINES' },
    filters: [{ type: 'category', name: 'auth.login.fail' }],
  });
  assert.ok(made.id);
  assert.equal(made.status, 'active');
  assert.equal(made.sink.httpAuthorization, undefined, 'the authorization is write-only');
  const listed = await mgmt.logStreams.list();
  assert.ok(listed.some((s) => s.id === made.id && s.name === 'sdk-stream'));
  const updated = await mgmt.logStreams.update(made.id, { status: 'paused', sink: { httpContentFormat: 'JSONARRAY' } });
  assert.equal(updated.status, 'paused');
  assert.equal(updated.sink.httpEndpoint, 'https://logs.example/in', 'the sink is merged');
  assert.equal(updated.sink.httpContentFormat, 'JSONARRAY');
  await assert.rejects(mgmt.logStreams.update(made.id, { type: 'datadog' }), (e) => e.statusCode === 400);
  await assert.rejects(mgmt.logStreams.update(made.id, { sink: { datadogApiKey: 'x' } }), (e) => e.statusCode === 400);
  const bridge = await mgmt.logStreams.create({ name: 'sdk-bridge', type: 'eventbridge', sink: { awsAccountId: '123456789012', awsRegion: 'eu-west-1' } });
  assert.ok(bridge.sink.awsPartnerEventSource, 'the service names its event source');
  await mgmt.logStreams.delete(made.id);
  await mgmt.logStreams.delete(bridge.id);
  await assert.rejects(mgmt.logStreams.get(made.id), (e) => e.statusCode === 404);
});

check('custom domains: create waiting for verification, 409, update, verify, delete', async () => {
  const made = await mgmt.customDomains.create({ domain: 'login.sdk.example', type: 'self_managed_certs' });
  assert.ok(made.custom_domain_id);
  assert.equal(made.status, 'pending_verification');
  assert.equal(made.verification.methods[0].name, 'txt');
  await assert.rejects(mgmt.customDomains.create({ domain: 'login.sdk.example', type: 'auth0_managed_certs' }), (e) => e.statusCode === 409);
  const updated = await mgmt.customDomains.update(made.custom_domain_id, { custom_client_ip_header: 'x-forwarded-for' });
  assert.equal(updated.custom_client_ip_header, 'x-forwarded-for');
  const verified = await mgmt.customDomains.verify(made.custom_domain_id);
  assert.equal(verified.status, 'ready');
  assert.ok(verified.cname_api_key, 'a first verification answers the proxy key');
  const read = await mgmt.customDomains.get(made.custom_domain_id);
  assert.equal(read.cname_api_key, undefined, 'never shown again');
  assert.ok((await mgmt.customDomains.list()).some((d) => d.domain === 'login.sdk.example'));
  await mgmt.customDomains.delete(made.custom_domain_id);
  await assert.rejects(mgmt.customDomains.get(made.custom_domain_id), (e) => e.statusCode === 404);
});

check('branding, its page template and the prompts settings: get, update merging colours, 400 for http or a page without its tags, template put, read, delete', async () => {
  const before = await mgmt.branding.get();
  assert.equal(before.colors.page_background, '#000000');
  const updated = await mgmt.branding.update({ colors: { primary: '#0059d6' }, logo_url: 'https://cdn.example/logo.png' });
  assert.equal(updated.colors.primary, '#0059d6');
  assert.equal(updated.colors.page_background, '#000000', 'colours merge');
  await assert.rejects(mgmt.branding.update({ logo_url: 'http://cdn.example/logo.png' }), (e) => e.statusCode === 400);
  await assert.rejects(mgmt.branding.templates.getUniversalLogin(), (e) => e.statusCode === 404);
  const page = '<html><head>{%- auth0:head -%}</head><body>{%- auth0:widget -%}</body></html>';
  await mgmt.branding.templates.updateUniversalLogin(page);
  const read = await mgmt.branding.templates.getUniversalLogin();
  assert.equal(read.body, page);
  await mgmt.branding.templates.updateUniversalLogin({ template: page.replace('<body>', '<body class="x">') });
  assert.ok((await mgmt.branding.templates.getUniversalLogin()).body.includes('class="x"'));
  await assert.rejects(mgmt.branding.templates.updateUniversalLogin('<html></html>'), (e) => e.statusCode === 400);
  await mgmt.branding.templates.deleteUniversalLogin();
  await assert.rejects(mgmt.branding.templates.getUniversalLogin(), (e) => e.statusCode === 404);
  const prompts = await mgmt.prompts.updateSettings({ identifier_first: true });
  assert.equal(prompts.identifier_first, true);
  assert.equal((await mgmt.prompts.getSettings()).universal_login_experience, 'new');
  await assert.rejects(mgmt.prompts.updateSettings({ universal_login_experience: 'retro' }), (e) => e.statusCode === 400);
});

check('prompts custom text: empty until set, set whole and read back, cleared by {}, 400 for an unknown prompt or language or a text that is not strings; partials not on this plan (403)', async () => {
  assert.deepEqual(await mgmt.prompts.customText.get('login', 'en'), {});
  const text = { login: { title: 'Welcome to SDK', description: 'Log in' }, 'login-password': { passwordPlaceholder: 'Secret word' } };
  await mgmt.prompts.customText.set('login', 'en', text);
  assert.deepEqual(await mgmt.prompts.customText.get('login', 'en'), text);
  assert.deepEqual(await mgmt.prompts.customText.get('login', 'fr'), {}, 'each language its own');
  await mgmt.prompts.customText.set('login', 'en', { login: { title: 'Only this' } });
  assert.deepEqual(await mgmt.prompts.customText.get('login', 'en'), { login: { title: 'Only this' } }, 'a set replaces the whole text');
  await mgmt.prompts.customText.set('login', 'en', {});
  assert.deepEqual(await mgmt.prompts.customText.get('login', 'en'), {});
  await assert.rejects(mgmt.prompts.customText.get('nope', 'en'), (e) => e.statusCode === 400);
  await assert.rejects(mgmt.prompts.customText.set('login', 'xx', {}), (e) => e.statusCode === 400);
  await assert.rejects(mgmt.prompts.customText.set('login', 'en', { login: { title: 3 } }), (e) => e.statusCode === 400);
  await assert.rejects(mgmt.prompts.partials.get('login'), (e) => e.statusCode === 403);
});

check('organizations: create, 409, list by checkpoint, by name, update, enabled connections added, listed, changed and removed, the newer connections API, client grants, delete', async () => {
  const conn = await mgmt.connections.create({ name: 'sdk-org-db', strategy: 'auth0' });
  const made = [];
  for (const name of ['sdk-org-a', 'sdk-org-b', 'sdk-org-c']) {
    made.push(await mgmt.organizations.create({ name, display_name: name.toUpperCase() }));
  }
  assert.ok(made[0].id.startsWith('org_'));
  await assert.rejects(mgmt.organizations.create({ name: 'sdk-org-a' }), (e) => e.statusCode === 409);
  await assert.rejects(mgmt.organizations.create({ name: 'Not Lower' }), (e) => e.statusCode === 400);
  const listed = await all(mgmt.organizations.list({ take: 2 }));
  for (const o of made) assert.ok(listed.some((x) => x.id === o.id), `${o.name} listed`);
  assert.equal((await mgmt.organizations.getByName('sdk-org-b')).id, made[1].id);
  const updated = await mgmt.organizations.update(made[0].id, {
    metadata: { tier: 'gold' }, branding: { colors: { primary: '#0059d6', page_background: '#ffffff' } },
  });
  assert.deepEqual(updated.metadata, { tier: 'gold' });
  assert.equal((await mgmt.organizations.get(made[0].id)).branding.colors.primary, '#0059d6');
  const added = await mgmt.organizations.enabledConnections.add(made[0].id, { connection_id: conn.id, assign_membership_on_login: true });
  assert.equal(added.connection.name, 'sdk-org-db');
  assert.equal(added.show_as_button, true, 'the default');
  await assert.rejects(mgmt.organizations.enabledConnections.add(made[0].id, { connection_id: conn.id }), (e) => e.statusCode === 409);
  await assert.rejects(mgmt.organizations.enabledConnections.add(made[0].id, { connection_id: 'con_nope' }), (e) => e.statusCode === 404);
  const enabled = await all(mgmt.organizations.enabledConnections.list(made[0].id, { per_page: 10 }));
  assert.deepEqual(enabled.map((e) => [e.connection_id, e.assign_membership_on_login]), [[conn.id, true]]);
  const changed = await mgmt.organizations.enabledConnections.update(made[0].id, conn.id, { is_signup_enabled: true });
  assert.equal(changed.is_signup_enabled, true);
  assert.equal((await mgmt.organizations.enabledConnections.get(made[0].id, conn.id)).assign_membership_on_login, true);
  const all2 = await all(mgmt.organizations.connections.list(made[0].id, { per_page: 10 }));
  assert.deepEqual(all2.map((e) => [e.connection_id, e.is_enabled]), [[conn.id, true]]);
  await mgmt.organizations.enabledConnections.delete(made[0].id, conn.id);
  assert.deepEqual(await all(mgmt.organizations.enabledConnections.list(made[0].id)), []);
  await mgmt.organizations.connections.create(made[1].id, { connection_id: conn.id });
  const api = await mgmt.resourceServers.create({ identifier: 'https://sdk-orgs.example', scopes: [{ value: 'read' }] });
  const app = await mgmt.clients.create({ name: 'sdk-org-app', app_type: 'non_interactive' });
  const grant = await mgmt.clientGrants.create({ client_id: app.client_id, audience: api.identifier, scope: ['read'] });
  await mgmt.organizations.clientGrants.create(made[1].id, { grant_id: grant.id });
  const grants = await all(mgmt.organizations.clientGrants.list(made[1].id, { per_page: 10 }));
  assert.deepEqual(grants.map((g) => g.id), [grant.id]);
  await mgmt.organizations.clientGrants.delete(made[1].id, grant.id);
  // Deleting the connection takes it out of the organizations that enable it.
  await mgmt.connections.delete(conn.id);
  assert.deepEqual(await all(mgmt.organizations.connections.list(made[1].id, { per_page: 10 })), []);
  for (const o of made) await mgmt.organizations.delete(o.id);
  await assert.rejects(mgmt.organizations.get(made[0].id), (e) => e.statusCode === 404);
  await mgmt.clientGrants.delete(grant.id);
  await mgmt.clients.delete(app.client_id);
  await mgmt.resourceServers.delete(api.id);
});

(async () => {
  let passed = 0;
  let failed = 0;
  for (const [name, fn] of checks) {
    try {
      await fn();
      passed += 1;
      console.log(`ok - ${name}`);
    } catch (e) {
      failed += 1;
      console.log(`not ok - ${name}: ${e && e.stack ? e.stack : e}`);
      if (e && e.body) console.log(`  body: ${JSON.stringify(e.body)}`);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
})();
