// The SPA under test: builds an OktaAuth client the way an application does and exposes it to the
// tests as window.spa. The issuer and client id come from the query (?issuer=…&clientId=…[&scopes=…])
// and are kept in sessionStorage, because /callback comes back with only the authorization response.
(function () {
  'use strict';
  var CONFIG_KEY = 'sesame-e2e-spa-config';
  var origin = window.location.origin;
  var params = new URLSearchParams(window.location.search);

  var config = null;
  if (params.get('issuer') && params.get('clientId')) {
    config = {
      issuer: params.get('issuer'),
      clientId: params.get('clientId'),
      scopes: (params.get('scopes') || 'openid profile email offline_access').split(' ').filter(Boolean),
    };
    window.sessionStorage.setItem(CONFIG_KEY, JSON.stringify(config));
  } else {
    try {
      config = JSON.parse(window.sessionStorage.getItem(CONFIG_KEY) || 'null');
    } catch (e) {
      config = null;
    }
  }

  // The UMD bundle sets self.OktaAuth to the module's exports; the class is its OktaAuth member.
  var lib = window.OktaAuth;
  var OktaAuth = lib && (lib.OktaAuth || lib);

  var spa = {
    origin: origin,
    config: config,
    lib: lib,
    authClient: null,
    // What handleLoginRedirect asked to restore; recorded instead of navigating, so that the
    // test stays on /callback and decides itself where to go.
    restoredUris: [],
    loadError: null,
  };

  // A plain, serializable picture of an error from okta-auth-js (OAuthError, AuthApiError,
  // AuthSdkError), for the test side of page.evaluate.
  spa.errorInfo = function (e) {
    if (!e || typeof e !== 'object') return { name: 'Error', message: String(e) };
    var info = { name: e.name, message: e.message };
    ['errorCode', 'errorSummary', 'errorCauses', 'errorId', 'error', 'error_description'].forEach(function (k) {
      if (e[k] !== undefined) info[k] = e[k];
    });
    if (e.xhr && typeof e.xhr.status === 'number') info.status = e.xhr.status;
    return info;
  };

  // Runs fn and returns {ok: true, value} or {ok: false, error: errorInfo}: a rejected promise
  // would reach the test as a bare message without the OAuth error code.
  spa.attempt = async function (fn) {
    try {
      return { ok: true, value: await fn(spa.authClient) };
    } catch (e) {
      return { ok: false, error: spa.errorInfo(e) };
    }
  };

  spa.tokens = function () {
    return spa.authClient ? spa.authClient.tokenManager.getTokensSync() : {};
  };

  spa.show = function () {
    var tokens = spa.tokens();
    var lines = [];
    if (spa.loadError) lines.push('error: ' + spa.loadError);
    ['idToken', 'accessToken', 'refreshToken'].forEach(function (k) {
      lines.push(k + ': ' + (tokens[k] ? 'stored' : 'none'));
    });
    if (tokens.idToken) {
      lines.push('signed in as: ' + (tokens.idToken.claims.preferred_username || tokens.idToken.claims.sub));
    }
    document.getElementById('state').textContent = lines.join('\n');
  };

  document.getElementById('page').textContent = window.location.pathname;
  if (!OktaAuth) {
    spa.loadError = 'the okta-auth-js bundle did not load';
  } else if (!config) {
    spa.loadError = 'no configuration: open /?issuer=…&clientId=… first';
  } else {
    document.getElementById('issuer').textContent = config.issuer;
    document.getElementById('client-id').textContent = config.clientId;
    try {
      spa.authClient = new OktaAuth({
        issuer: config.issuer,
        clientId: config.clientId,
        redirectUri: origin + '/callback',
        postLogoutRedirectUri: origin + '/',
        scopes: config.scopes,
        pkce: true,
        restoreOriginalUri: function (_client, uri) {
          spa.restoredUris.push(uri === undefined ? null : uri);
        },
      });
    } catch (e) {
      spa.loadError = (e && e.message) || String(e);
    }
  }
  window.spa = spa;
  spa.show();
})();
