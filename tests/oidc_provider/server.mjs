// A real OpenID Connect provider for the tests (the certified npm package oidc-provider),
// configured like FranceConnect v2 or like ProConnect: claims, ACR values, userinfo answered as
// a signed JWT, RP-initiated logout. Its login and consent pages are plain forms, so the Django
// test client and Playwright drive them as a person would.
//
//   node server.mjs config.json
//
// config.json: {"profile": "franceconnect" | "proconnect", "port": 9000,
//   "clients": [{"client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris",
//                "application_type"}],
//   "accounts": [{"login", "password", "sub", "claims": {...}, "acr", "amr": [...]}]}
//
// "application_type": "native" lets a loopback redirect URI match on any port (RFC 8252 7.3),
// and its post-logout redirect URI too (see postLogoutRedirectUriAllowed below): the tests do
// not know Daphne's port when the provider starts.
//
// Test-only switches (loopback only, never in a real provider):
//   POST /__test/bad-userinfo-signature   userinfo is signed with a key absent from the JWKS
//   POST /__test/good-userinfo-signature  back to the real key
//   POST /__test/expire-codes             every authorization code issued so far expires now
import { readFileSync } from 'node:fs';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const PROFILES = {
  franceconnect: {
    // FranceConnect v2 gives each claim its own scope.
    claims: {
      openid: ['sub'],
      given_name: ['given_name'],
      family_name: ['family_name'],
      email: ['email'],
      acr: null,
      amr: null,
    },
    acrValues: ['eidas1', 'eidas2', 'eidas3'],
    alg: 'ES256',
  },
  proconnect: {
    claims: {
      openid: ['sub'],
      given_name: ['given_name'],
      usual_name: ['usual_name'],
      email: ['email'],
      uid: ['uid'],
      siret: ['siret'],
      acr: null,
      amr: null,
    },
    acrValues: [
      'eidas1',
      'https://proconnect.gouv.fr/assurance/self-asserted',
      'https://proconnect.gouv.fr/assurance/self-asserted-2fa',
      'https://proconnect.gouv.fr/assurance/consistency-checked',
      'https://proconnect.gouv.fr/assurance/consistency-checked-2fa',
    ],
    alg: 'RS256',
  },
};

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const profile = PROFILES[config.profile];
if (!profile) {
  console.error(`profil inconnu : ${config.profile} (franceconnect ou proconnect)`);
  process.exit(2);
}
const issuer = `http://127.0.0.1:${config.port}`;
const accountsBySub = new Map(config.accounts.map((account) => [account.sub, account]));
const switches = { badUserinfoSignature: false };

// --- Storage: a plain map, so that /__test/expire-codes can reach the codes ---------------
const store = new Map();

class TestAdapter {
  constructor(model) { this.model = model; }

  key(id) { return `${this.model}:${id}`; }

  async upsert(id, payload) {
    store.set(this.key(id), payload);
    if (this.model === 'Session') store.set(`sessionUid:${payload.uid}`, id);
  }

  async find(id) { return store.get(this.key(id)); }

  async findByUid(uid) { return this.find(store.get(`sessionUid:${uid}`)); }

  async findByUserCode() { return undefined; }

  async consume(id) {
    const payload = store.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { store.delete(this.key(id)); }

  async revokeByGrantId(grantId) {
    for (const [key, payload] of store) {
      if (payload && payload.grantId === grantId) store.delete(key);
    }
  }
}

// --- Keys: the published ones, and a rogue one for the bad-signature test ----------------
async function privateJwk(alg, kid) {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid, alg, use: 'sig' };
}
const publishedKeys = [await privateJwk('ES256', 'ec-1'), await privateJwk('RS256', 'rsa-1')];
const rogueKeys = {
  ES256: await jose.generateKeyPair('ES256'),
  RS256: await jose.generateKeyPair('RS256'),
};

// --- Pages --------------------------------------------------------------------------------
const escape = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

function loginPage(uid, error = '') {
  return page(`Connexion (${config.profile})`, `
${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
  <label for="login">Identifiant</label> <input id="login" name="login" autocomplete="username">
  <label for="password">Mot de passe</label>
  <input id="password" name="password" type="password" autocomplete="current-password">
  <button type="submit">Se connecter</button>
</form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Annuler</button></form>`);
}

function consentPage(uid, clientId, scopes) {
  return page('Autoriser le partage', `
<p>Le service ${escape(clientId)} demande : ${escape(scopes.join(', '))}.</p>
<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Autoriser</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Refuser</button></form>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// --- The provider -------------------------------------------------------------------------
const provider = new Provider(issuer, {
  clients: config.clients.map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: profile.alg,
    userinfo_signed_response_alg: profile.alg,
    ...client,
  })),
  adapter: TestAdapter,
  jwks: { keys: publishedKeys },
  cookies: { keys: ['test-only-cookie-key-never-in-production'] },
  claims: profile.claims,
  acrValues: profile.acrValues,
  conformIdTokenClaims: true,
  pkce: { required: () => false },
  enabledJWA: {
    idTokenSigningAlgValues: ['ES256', 'RS256'],
    userinfoSigningAlgValues: ['ES256', 'RS256'],
  },
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    jwtUserinfo: { enabled: true },
    userinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource(ctx, form) {
        ctx.body = page('Se déconnecter', `${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Se déconnecter</button>
<button type="submit" form="op.logoutForm">Rester connecté</button>`);
      },
      postLogoutSuccessSource(ctx) {
        ctx.body = page('Déconnecté', '<p>Vous êtes déconnecté.</p>');
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = accountsBySub.get(sub);
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Erreur', `<p>${escape(out.error)} : ${escape(out.error_description ?? '')}</p>`);
  },
});

// oidc-provider 8 lets a native client's loopback redirect_uri match on any port, but its
// post_logout_redirect_uri only exactly (version 9 does both): the same rule for both here, or
// Django's live server could not be sent back after the logout.
const LOOPBACKS = new Set(['localhost', '127.0.0.1', '[::1]']);
function withoutLoopbackPort(uri) {
  let url;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' || !LOOPBACKS.has(url.hostname)) return null;
  url.port = '';
  return url.href;
}
const exactPostLogoutRedirectUri = provider.Client.prototype.postLogoutRedirectUriAllowed;
provider.Client.prototype.postLogoutRedirectUriAllowed = function postLogoutRedirectUriAllowed(
  value,
) {
  if (exactPostLogoutRedirectUri.call(this, value)) return true;
  const asked = this.applicationType === 'native' ? withoutLoopbackPort(value) : null;
  const registered = this.postLogoutRedirectUris ?? [];
  return asked !== null && registered.some((allowed) => withoutLoopbackPort(allowed) === asked);
};

async function interactions(ctx, uid, action) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) ctx.throw(400, 'interaction inconnue');
  const { prompt, params, session } = details;
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = prompt.name === 'login'
      ? loginPage(uid)
      : consentPage(uid, params.client_id, String(params.scope).split(' '));
    return;
  }
  if (action === 'abort') {
    const result = { error: 'access_denied', error_description: "L'usager a annulé." };
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    return;
  }
  if (action === 'login') {
    const form = await readForm(ctx.req);
    const account = config.accounts.find((a) => a.login === form.get('login'));
    if (!account || account.password !== form.get('password')) {
      ctx.type = 'html';
      ctx.status = 400;
      ctx.body = loginPage(uid, 'Identifiant ou mot de passe incorrect.');
      return;
    }
    const login = { accountId: account.sub, acr: account.acr, amr: account.amr };
    await provider.interactionFinished(ctx.req, ctx.res, { login }, { mergeWithLastSubmission: false });
    return;
  }
  if (action === 'confirm') {
    const { grantId } = details;
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const consent = { grantId: await grant.save() };
    await provider.interactionFinished(ctx.req, ctx.res, { consent }, { mergeWithLastSubmission: true });
    return;
  }
  ctx.throw(404);
}

async function resignWithRogueKey(ctx) {
  const header = jose.decodeProtectedHeader(ctx.body);
  const claims = jose.decodeJwt(ctx.body);
  ctx.body = await new jose.SignJWT(claims)
    .setProtectedHeader(header)
    .sign(rogueKeys[header.alg].privateKey);
}

provider.use(async (ctx, next) => {
  const interaction = ctx.path.match(/^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/);
  if (interaction) {
    await interactions(ctx, interaction[1], interaction[2]);
    return;
  }
  if (ctx.method === 'POST' && ctx.path.startsWith('/__test/')) {
    if (ctx.path === '/__test/bad-userinfo-signature') switches.badUserinfoSignature = true;
    else if (ctx.path === '/__test/good-userinfo-signature') switches.badUserinfoSignature = false;
    else if (ctx.path === '/__test/expire-codes') {
      for (const [key, payload] of store) {
        if (key.startsWith('AuthorizationCode:')) payload.exp = Math.floor(Date.now() / 1000) - 1;
      }
    } else ctx.throw(404);
    ctx.body = 'ok';
    return;
  }
  await next();
  if (switches.badUserinfoSignature && ctx.path === '/me' && ctx.status === 200
      && typeof ctx.body === 'string') {
    await resignWithRogueKey(ctx);
  }
});

provider.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc-provider ${config.profile} prêt sur ${issuer}`);
});
