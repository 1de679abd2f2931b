// The Keycloak admin client configured as for Keycloak 16 and older, with
// /auth in its base URL, against OpenGate run with
// OPENGATE_HTTP_RELATIVE_PATH=/auth.
// Usage: BASE=http://127.0.0.1:8080/auth PW=<admin password> node relative-path.mjs
import assert from 'node:assert/strict';
import KcAdminClient from '@keycloak/keycloak-admin-client';

const kc = new KcAdminClient({ baseUrl: process.env.BASE, realmName: 'master' });
let failed = 0;
const step = async (name, fn) => {
  try {
    const r = await fn();
    console.log('ok  ', name);
    return r;
  } catch (e) {
    failed++;
    console.log('FAIL', name, e.response?.status ?? '', String(e.message).slice(0, 300));
  }
};

await step('auth with admin-cli under /auth', () => kc.auth({ username: 'admin', password: process.env.PW, grantType: 'password', clientId: 'admin-cli' }));
await step('realms.create', () => kc.realms.create({ realm: 'legacy', enabled: true }));
kc.setConfig({ realmName: 'legacy' });
const user = await step('users.create reads the id from the absolute Location', () => kc.users.create({ username: 'alice', enabled: true }));
await step('users.findOne', async () => assert.equal((await kc.users.findOne({ id: user.id })).username, 'alice'));
const client = await step('clients.create', () => kc.clients.create({ clientId: 'app' }));
await step('clients.findOne', async () => assert.equal((await kc.clients.findOne({ id: client.id })).clientId, 'app'));
const group = await step('groups.create', () => kc.groups.create({ name: 'eng' }));
await step('groups.findOne', async () => assert.equal((await kc.groups.findOne({ id: group.id })).path, '/eng'));
kc.setConfig({ realmName: 'master' });
await step('realms.del', () => kc.realms.del({ realm: 'legacy' }));

console.log(failed === 0 ? 'all steps passed' : `${failed} steps failed`);
process.exit(failed === 0 ? 0 : 1);
