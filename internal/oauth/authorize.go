package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/pages"
	"github.com/sesame-idp/sesame/internal/policy"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/signin"
	"github.com/sesame-idp/sesame/internal/store"
)

// Lifetimes of the artifacts of an authorize request.
const (
	codeLifetime = 300 * time.Second
	// pendingLifetime is how long an authorize request waits for the user
	// to sign in or consent.
	pendingLifetime = 30 * time.Minute
	idTokenLifetime = time.Hour
)

// authzRequest is a validated authorize request.
type authzRequest struct {
	srv    *cache.Server
	snap   *cache.Snapshot
	app    *cache.App
	origin string
	// reqOrigin is the origin the request came in under.
	reqOrigin string

	params       map[string]string
	redirectURI  string
	responseType []string // sorted subset of code, id_token, token
	responseMode string
	state        string
	nonce        string
	scopes       []string // as requested; empty = default scopes (custom AS)
	prompt       []string
	maxAge       int // -1 when absent
	challenge    string
	acrValues    []string

	// started is when the request first arrived (before any sign-in it
	// caused); key names its pending record while the user signs in.
	started time.Time
	key     string
}

func (a *authzRequest) has(rt string) bool { return slices.Contains(a.responseType, rt) }

func (a *authzRequest) prompts(p string) bool { return slices.Contains(a.prompt, p) }

// pendingAuthz is a stored authorize request waiting for sign-in or consent.
type pendingAuthz struct {
	ServerID string            `json:"as"`
	Params   map[string]string `json:"p"`
	Started  time.Time         `json:"t"`
}

// authzError is a failed authorize request: delivered to the redirect URI
// when the client and redirect URI are known to be good, else shown on a
// page (never redirect to an unverified URI).
type authzError struct {
	err  *Error
	page bool
}

func pageError(desc string) *authzError {
	return &authzError{err: oerr(400, "invalid_request", desc), page: true}
}

func redirectError(code, desc string) *authzError {
	return &authzError{err: oerr(400, code, desc)}
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	snap, srv, ok := s.serverFor(w, r)
	if !ok {
		return
	}
	p, ok := s.browserParams(w, r)
	if !ok {
		return
	}
	s.authorizeFresh(w, r, &authzInput{snap: snap, srv: srv, params: p, started: s.now()})
}

// handleAuthorizeContinue resumes a pending authorize request after sign-in.
func (s *Server) handleAuthorizeContinue(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("okta_key")
	if in, ok := s.resumePending(w, r, key, "sign-in"); ok {
		s.authorizeAfterSignIn(w, r, in)
	}
}

// handleConsent takes the consent page's answer and resumes the request.
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	key, d, ok := s.readConsent(w, r)
	if !ok {
		return
	}
	if in, ok := s.resumePending(w, r, key, "consent"); ok {
		s.authorizeAfterConsent(w, r, in, d)
	}
}

// authzInput is an authorize request as it enters: fresh from the client,
// or resumed from its pending record after sign-in or consent.
type authzInput struct {
	snap   *cache.Snapshot
	srv    *cache.Server
	params map[string]string
	// started is when the request first arrived (before any sign-in it
	// caused); key names its pending record when it was resumed.
	started time.Time
	key     string
}

// resumePending loads a pending request and its server, or shows why it
// cannot go on.
func (s *Server) resumePending(w http.ResponseWriter, r *http.Request, key, what string) (*authzInput, bool) {
	pa, ok := s.loadPending(r.Context(), key)
	if !ok {
		s.errorPage(w, http.StatusBadRequest, "This "+what+" request expired or is unknown. Go back to the application and sign in again.")
		return nil, false
	}
	snap := s.cache.Current()
	srv := snap.Servers[pa.ServerID]
	if !srv.Serving() {
		s.errorPage(w, http.StatusNotFound, "The authorization server of this request no longer exists.")
		return nil, false
	}
	return &authzInput{snap: snap, srv: srv, params: pa.Params, started: pa.Started, key: key}, true
}

func (s *Server) loadPending(ctx context.Context, key string) (*pendingAuthz, bool) {
	if key == "" || len(key) > 100 {
		return nil, false
	}
	c, err := s.store.Codes().Get(ctx, store.CodePending, secret.Hash(key))
	if err != nil || !s.now().Before(c.ExpiresAt) || !c.UsedAt.IsZero() {
		return nil, false
	}
	var pa pendingAuthz
	if json.Unmarshal(c.Data, &pa) != nil {
		return nil, false
	}
	return &pa, true
}

// savePending stores the request so that sign-in (or consent) can resume it,
// whatever method and size it came with.
func (s *Server) savePending(ctx context.Context, a *authzRequest) (string, error) {
	if a.key != "" {
		return a.key, nil
	}
	key := secret.RandomString(32)
	data, _ := json.Marshal(pendingAuthz{ServerID: a.srv.ID, Params: a.params, Started: a.started})
	now := s.now()
	err := s.store.Codes().Create(ctx, &store.Code{Kind: store.CodePending, Hash: secret.Hash(key), Data: data, Created: now, ExpiresAt: now.Add(pendingLifetime)})
	a.key = key
	return key, err
}

func continueURI(key string) string {
	return "/oauth2/v1/authorize/redirect?okta_key=" + url.QueryEscape(key)
}

// authorizeFresh runs a request as it comes from the client; without a
// session it sends the user to sign in, and it may show the consent page.
func (s *Server) authorizeFresh(w http.ResponseWriter, r *http.Request, in *authzInput) {
	if c := s.authorize(w, r, in); c != nil {
		s.askConsentOrIssue(w, r, c)
	}
}

// authorizeAfterSignIn resumes a request after the sign-in it caused: it
// goes on as a fresh one would, keeping its start time (for prompt=login
// and max_age) and its pending record.
func (s *Server) authorizeAfterSignIn(w http.ResponseWriter, r *http.Request, in *authzInput) {
	s.authorizeFresh(w, r, in)
}

// authorizeAfterConsent resumes a request with the user's answer on the
// consent page.
func (s *Server) authorizeAfterConsent(w http.ResponseWriter, r *http.Request, in *authzInput, d *consentDecision) {
	c := s.authorize(w, r, in)
	if c == nil {
		return
	}
	if len(c.need) > 0 {
		if !d.allow {
			s.failAuthorize(w, r, c.a, redirectError("access_denied", "The resource owner or authorization server denied the request."))
			return
		}
		if err := s.recordConsent(r.Context(), r, c.a, c.sub, c.g, c.need, d.scopes); err != nil {
			s.failAuthorize(w, r, c.a, &authzError{err: serverError("recording consent", err)})
			return
		}
	}
	s.issueAuthorize(w, r, c.a, c.g, c.sub)
}

// askConsentOrIssue shows the consent page when scopes need consent, and
// issues otherwise.
func (s *Server) askConsentOrIssue(w http.ResponseWriter, r *http.Request, c *authzChecked) {
	if len(c.need) == 0 {
		s.issueAuthorize(w, r, c.a, c.g, c.sub)
		return
	}
	key, err := s.savePending(r.Context(), c.a)
	if err != nil {
		s.failAuthorize(w, r, c.a, &authzError{err: serverError("saving authorize request", err)})
		return
	}
	s.showConsent(w, r, c.a, c.sub, c.need, key)
}

// authzChecked is an authorize request checked up to consent: the user,
// what they would be granted, and the scopes that still need consent.
type authzChecked struct {
	a    *authzRequest
	sub  *subject
	g    *userGrant
	need []string
}

// authorize checks a request from validation up to consent. It answers the
// request itself (an error, or the way to sign-in) and returns nil, or
// returns the checked request for its entrance to finish.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, in *authzInput) *authzChecked {
	ctx := r.Context()
	p := in.params
	a, aerr := s.parseAuthorize(in.snap, in.srv, p)
	if aerr != nil {
		s.failAuthorize(w, r, a, aerr)
		return nil
	}
	a.started, a.key, a.origin, a.reqOrigin = in.started, in.key, s.originFor(in.srv, r), s.requestOrigin(r)

	// The session: a sessionToken starts one; prompt=login and max_age ask
	// for an authentication newer than this request.
	sess, err := s.sessions.CurrentOrUnavailable(r)
	if err != nil {
		s.failAuthorize(w, r, a, &authzError{err: serverError("reading the session", err)})
		return nil
	}
	if tok := p["sessionToken"]; tok != "" {
		ns, err := s.sessions.StartFromSessionToken(ctx, w, r, tok)
		switch {
		case err == nil:
			sess = ns
		case !errors.Is(err, signin.ErrInvalidSessionToken):
			s.failAuthorize(w, r, a, &authzError{err: serverError("redeeming session token", err)})
			return nil
		}
	}
	if sess != nil && (a.prompts("login") || (a.maxAge >= 0 && s.now().Sub(sess.Created) > time.Duration(a.maxAge)*time.Second)) &&
		sess.Created.Before(a.started.Truncate(time.Millisecond)) {
		sess = nil
	}
	if sess == nil {
		if a.prompts("none") {
			s.failAuthorize(w, r, a, redirectError("login_required", "The client specified not to prompt, but the user is not logged in."))
			return nil
		}
		k, err := s.savePending(ctx, a)
		if err != nil {
			s.failAuthorize(w, r, a, &authzError{err: serverError("saving authorize request", err)})
			return nil
		}
		from := continueURI(k)
		if hint := p["login_hint"]; hint != "" {
			from += "&login_hint=" + url.QueryEscape(hint)
		}
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, signin.LoginURL(from), http.StatusFound)
		return nil
	}

	sub, err := s.loadSubject(ctx, sess.UserID)
	if err != nil || !sub.user.CanSignIn() {
		s.failAuthorize(w, r, a, redirectError("access_denied", "User is not assigned to the client application."))
		return nil
	}
	if assigned, err := s.store.Apps().AssignedTo(ctx, a.app.ID, sub.user.ID, sub.groupIDs); err != nil {
		s.failAuthorize(w, r, a, &authzError{err: serverError("checking assignment", err)})
		return nil
	} else if !assigned {
		s.auditAuthorize(r, a, sub, "FAILURE", "User is not assigned to the client application.")
		s.failAuthorize(w, r, a, redirectError("access_denied", "User is not assigned to the client application."))
		return nil
	}

	if !s.factorSatisfied(w, r, a, sub, sess) {
		return nil
	}

	g, aerr := s.grantFor(a, sub)
	if aerr != nil {
		s.auditAuthorize(r, a, sub, "FAILURE", aerr.err.Description)
		s.failAuthorize(w, r, a, aerr)
		return nil
	}
	g.authTime, g.amr, g.sessionID = sess.Created, sess.AMR, sess.ID
	if len(a.acrValues) > 0 {
		g.acr = acrOf(sess.AMR)
	}

	need := s.consentDue(ctx, a.srv, a.app, sub, g.scopes, a.prompts("consent"))
	if len(need) > 0 && a.prompts("none") {
		s.failAuthorize(w, r, a, redirectError("consent_required", "The following scopes require user consent: "+list(need)+"."))
		return nil
	}
	return &authzChecked{a: a, sub: sub, g: g, need: need}
}

// grantFor decides the scopes and token lifetimes of a user request.
func (s *Server) grantFor(a *authzRequest, sub *subject) (*userGrant, *authzError) {
	grant := grantAuthorizationCode
	if !a.has("code") {
		grant = grantImplicit
	}
	g := &userGrant{srv: a.srv, snap: a.snap, origin: a.origin, reqOrigin: a.reqOrigin, app: a.app, sub: sub, nonce: a.nonce,
		accessLife: orgAccessTokenLifetime}
	scopes := a.scopes
	// offline_access counts only with a code (§2.1).
	if !a.has("code") {
		scopes = slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool { return sc == "offline_access" })
	}
	if a.srv.IsOrg() {
		if len(scopes) == 0 {
			return nil, redirectError("invalid_scope", "No scopes were requested.")
		}
		for _, sc := range scopes {
			if !slices.Contains(orgScopes, sc) && !(strings.HasPrefix(sc, "okta.") && a.app.OrgScopes[sc]) {
				return nil, redirectError("invalid_scope", "One or more scopes are not configured for the authorization server resource.")
			}
		}
		g.scopes = scopes
	} else {
		res, denial := policy.Evaluate(a.srv, policy.Request{ClientID: a.app.ClientID, GrantType: grant, Scopes: scopes,
			UserID: sub.user.ID, UserGroups: sub.groupIDs})
		if denial != nil {
			return nil, redirectError(denial.Code, denial.Description)
		}
		g.scopes = res.Scopes
		if !a.has("code") {
			g.scopes = slices.DeleteFunc(g.scopes, func(sc string) bool { return sc == "offline_access" })
		}
		g.rule = lifetimesOf(res)
	}
	if (a.has("id_token") || a.has("token") && !a.has("code")) && !slices.Contains(g.scopes, "openid") && a.has("id_token") {
		return nil, redirectError("invalid_scope", "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope.")
	}
	return g, nil
}

// issueAuthorize mints what the response type asks for and delivers it.
func (s *Server) issueAuthorize(w http.ResponseWriter, r *http.Request, a *authzRequest, g *userGrant, sub *subject) {
	ctx := r.Context()
	now := s.now()
	out := url.Values{}
	g.familyID = secret.NewID("fam")
	code := ""
	if a.has("code") {
		code = secret.RandomString(43)
		data, _ := json.Marshal(codeData{
			ServerID: a.srv.ID, ClientID: a.app.ClientID, RedirectURI: a.redirectURI, UserID: sub.user.ID, Scopes: g.scopes,
			Nonce: a.nonce, Challenge: a.challenge, AuthTime: g.authTime, AMR: g.amr, ACR: g.acr, SessionID: g.sessionID,
			FamilyID: g.familyID, Rule: g.rule,
		})
		if err := s.store.Codes().Create(ctx, &store.Code{Kind: store.CodeAuthorization, Hash: secret.Hash(code), Data: data, Created: now, ExpiresAt: now.Add(codeLifetime)}); err != nil {
			s.failAuthorize(w, r, a, &authzError{err: serverError("storing authorization code", err)})
			return
		}
		out.Set("code", code)
	}
	if a.has("token") || a.has("id_token") {
		resp, err := s.issueUserTokens(ctx, g, a.has("token"), a.has("id_token"), false, code, now)
		if err != nil {
			s.failAuthorize(w, r, a, &authzError{err: err})
			return
		}
		if a.has("token") {
			out.Set("access_token", resp.AccessToken)
			out.Set("token_type", "Bearer")
			out.Set("expires_in", strconv.FormatInt(resp.ExpiresIn, 10))
			out.Set("scope", resp.Scope)
		}
		if resp.IDToken != "" {
			out.Set("id_token", resp.IDToken)
		}
	}
	if a.key != "" {
		// The pending request is done; its key must not replay it.
		s.useCode(ctx, store.CodePending, secret.Hash(a.key), now)
	}
	s.auditAuthorize(r, a, sub, "SUCCESS", "")
	if a.state != "" {
		out.Set("state", a.state)
	}
	s.deliver(w, r, a, out)
}

func (s *Server) auditAuthorize(r *http.Request, a *authzRequest, sub *subject, result, reason string) {
	if s.audit == nil {
		return
	}
	s.audit.Event(audit.RequestFrom(r), eventPrefix(a.srv)+".authorize", "OAuth2 authorization request", audit.UserActor(sub.user), result, reason,
		audit.Target{ID: a.app.ClientID, Type: "PublicClientApp", AlternateID: a.app.Label, DisplayName: a.app.Label},
		audit.Target{ID: a.srv.ID, Type: "AuthorizationServer"})
}

// failAuthorize delivers an error to the client when the request got far
// enough to trust its redirect URI, and shows it on a page otherwise.
func (s *Server) failAuthorize(w http.ResponseWriter, r *http.Request, a *authzRequest, e *authzError) {
	s.logCause(r.Context(), e.err)
	if e.page || a == nil || a.redirectURI == "" {
		s.errorPage(w, http.StatusBadRequest, e.err.Description)
		return
	}
	out := url.Values{"error": {e.err.Code}, "error_description": {e.err.Description}}
	if a.state != "" {
		out.Set("state", a.state)
	}
	s.deliver(w, r, a, out)
}

// deliver sends an authorize response by the request's response mode.
func (s *Server) deliver(w http.ResponseWriter, r *http.Request, a *authzRequest, out url.Values) {
	switch a.responseMode {
	case "form_post":
		var fields []pages.Field
		for _, k := range sortedKeys(out) {
			fields = append(fields, pages.Field{Name: k, Value: out.Get(k)})
		}
		pages.FormPost(w, s.log, a.redirectURI, fields)
	case "okta_post_message":
		data := map[string]string{}
		for k := range out {
			data[k] = out.Get(k)
		}
		target := originOf(a.redirectURI)
		var frames []string
		for _, o := range a.snap.TrustedOrigins() {
			if o.Status == store.StatusActive && slices.ContainsFunc(o.Scopes, func(sc store.OriginScope) bool { return sc.Type == "IFRAME_EMBED" }) {
				frames = append(frames, o.Origin)
			}
		}
		pages.PostMessage(w, s.log, target, data, frames)
	default:
		u := a.redirectURI
		if a.responseMode == "fragment" {
			u += "#" + out.Encode()
		} else if strings.Contains(u, "?") {
			u += "&" + out.Encode()
		} else {
			u += "?" + out.Encode()
		}
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, u, http.StatusFound)
	}
}

func sortedKeys(v url.Values) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// browserParams reads the parameters of a browser endpoint (authorize,
// logout): the query of a GET, the form of a POST. A malformed request gets
// an error page.
func (s *Server) browserParams(w http.ResponseWriter, r *http.Request) (map[string]string, bool) {
	var p map[string]string
	var perr *Error
	if r.Method == http.MethodPost {
		p, perr = authorizeForm(w, r)
	} else {
		p, perr = authorizeQuery(r.URL.RawQuery)
	}
	if perr != nil {
		s.errorPage(w, http.StatusBadRequest, perr.Description)
		return nil, false
	}
	return p, true
}

// authorizeQuery reads GET parameters; a repeated one is refused.
func authorizeQuery(raw string) (map[string]string, *Error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, oerr(400, "invalid_request", "The authorization request could not be read.")
	}
	return single(q)
}

// authorizeForm reads POST parameters: form body only (§2.1).
func authorizeForm(w http.ResponseWriter, r *http.Request) (map[string]string, *Error) {
	if r.URL.RawQuery != "" {
		return nil, oerr(400, "invalid_request", "Parameters of a POST authorization request must be in the body, not the query.")
	}
	body, err := readBody(w, r)
	if err != nil {
		return nil, oerr(400, "invalid_request", "The authorization request could not be read.")
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, oerr(400, "invalid_request", "The authorization request could not be read.")
	}
	return single(q)
}

func single(q url.Values) (map[string]string, *Error) {
	p := make(map[string]string, len(q))
	for k, v := range q {
		if len(v) > 1 {
			return nil, errDuplicateParams
		}
		p[k] = v[0]
	}
	return p, nil
}

// parseAuthorize validates a request in §2.1's order. It returns the
// request as far as it got, so that errors after the redirect URI is known
// go back to the client.
func (s *Server) parseAuthorize(snap *cache.Snapshot, srv *cache.Server, p map[string]string) (*authzRequest, *authzError) {
	a := &authzRequest{srv: srv, snap: snap, params: p, maxAge: -1}
	clientID := p["client_id"]
	if clientID == "" {
		return nil, pageError("The 'client_id' parameter is required.")
	}
	app := activeApp(snap, clientID)
	if app == nil {
		return nil, pageError("Invalid value for 'client_id' parameter.")
	}
	a.app = app
	ru := p["redirect_uri"]
	if ru == "" {
		return nil, pageError("The 'redirect_uri' parameter is required.")
	}
	if !redirectRegistered(app, ru) {
		return nil, pageError("The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.")
	}
	a.redirectURI = ru
	a.state = p["state"]

	// The response mode decides delivery, so it is settled first; an
	// unknown one is reported by the default mode of the response type.
	rts := strings.Fields(p["response_type"])
	implicit := slices.Contains(rts, "token") || slices.Contains(rts, "id_token")
	a.responseMode = "query"
	if implicit {
		a.responseMode = "fragment"
	}
	if m := p["response_mode"]; m != "" {
		if !slices.Contains(responseModes, m) {
			return a, redirectError("unsupported_response_mode", "The response mode is not supported by the authorization server. Valid response modes: "+list(responseModes)+".")
		}
		if m == "query" && implicit {
			return a, redirectError("unsupported_response_mode", "'query' response mode cannot be used with either the 'id_token' or 'token' response types.")
		}
		a.responseMode = m
	}

	if len(rts) == 0 {
		return a, redirectError("invalid_request", "The 'response_type' parameter is required.")
	}
	for _, rt := range rts {
		if rt != "code" && rt != "token" && rt != "id_token" || strings.Count(" "+p["response_type"]+" ", " "+rt+" ") > 1 {
			return a, redirectError("unsupported_response_type", "The response type is not supported by the authorization server. Configured response types: "+list(app.ResponseTypes)+".")
		}
	}
	slices.Sort(rts)
	a.responseType = rts
	for _, rt := range rts {
		if !slices.Contains(app.ResponseTypes, rt) {
			return a, redirectError("unsupported_response_type", "The response type is not supported by the authorization server. Configured response types: "+list(app.ResponseTypes)+".")
		}
	}
	grants := app.GrantTypes
	if a.has("code") && !slices.Contains(grants, grantAuthorizationCode) || implicit && !a.has("code") && !slices.Contains(grants, grantImplicit) ||
		implicit && a.has("code") && !slices.Contains(grants, grantImplicit) {
		return a, redirectError("unauthorized_client", "The client is not authorized to use the provided grant type. Configured grant types: "+list(grants)+".")
	}

	raw := p["scope"]
	if len(raw) > 1024 {
		return a, redirectError("invalid_scope", "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner.")
	}
	a.scopes = policy.ParseScopes(raw)
	if a.has("id_token") && len(a.scopes) > 0 && !slices.Contains(a.scopes, "openid") {
		return a, redirectError("invalid_scope", "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope.")
	}

	a.nonce = p["nonce"]
	if implicit && a.nonce == "" {
		return a, redirectError("invalid_request", "The 'nonce' parameter is required for authorize requests with either the 'id_token' or 'token' response types.")
	}

	for _, pr := range strings.Fields(p["prompt"]) {
		if pr != "none" && pr != "login" && pr != "consent" {
			return a, redirectError("invalid_request", "The 'prompt' parameter is invalid.")
		}
		a.prompt = append(a.prompt, pr)
	}
	if a.prompts("none") && len(a.prompt) > 1 {
		return a, redirectError("invalid_request", "The 'prompt' parameter 'none' cannot be combined with other values.")
	}
	a.acrValues = strings.Fields(p["acr_values"])
	if v, ok := p["max_age"]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 1<<31-1 {
			return a, redirectError("invalid_request", "Invalid value for 'max_age' parameter. It should be within range 0 - 2^31-1.")
		}
		a.maxAge = int(n)
		if n == 0 && a.prompts("none") {
			return a, redirectError("invalid_request", "The 'prompt' parameter 'none' cannot be used with 'max_age' of 0.")
		}
	}
	if idp := p["idp"]; idp != "" && (snap.Org == nil || idp != snap.Org.ID) {
		return a, redirectError("invalid_request", "Identity provider is not valid.")
	}

	a.challenge = p["code_challenge"]
	method := p["code_challenge_method"]
	if a.challenge != "" {
		if method != "S256" {
			return a, redirectError("invalid_request", "PKCE code challenge method is not supported. Valid values: [S256]")
		}
		if !validChallenge(a.challenge) {
			return a, redirectError("invalid_request", "PKCE code challenge contains illegal characters.")
		}
	} else if method != "" {
		return a, redirectError("invalid_request", "PKCE code challenge is required when the code challenge method is specified.")
	}
	if a.has("code") && a.challenge == "" && (app.PKCERequired || app.ClientAuthMethod() == methodNone) {
		return a, redirectError("invalid_request", "PKCE code challenge is required by the application.")
	}
	return a, nil
}

// validChallenge: an S256 challenge is 43 base64url characters.
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// redirectRegistered is exact string matching against the app's redirect
// URIs (no normalization, no prefix).
func redirectRegistered(app *cache.App, ru string) bool {
	return slices.Contains(app.RedirectURIs, ru)
}
