package oauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/pages"
	"github.com/sesame-idp/sesame/internal/policy"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/signin"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// Device authorization (RFC 8628, §2.9).
const (
	deviceCodeLifetime = 600 * time.Second
	devicePollInterval = 5 * time.Second
	activatePath       = "/activate"
	// userCodeAlphabet has no vowels (no words) and no look-alikes.
	userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"
)

// deviceData is the device code's document: what the device asked for and
// how fast it may poll. Only polls write it. The person's decision lives on
// the user code instead, so that a poll recording its time cannot overwrite
// an approval made in the same moment.
type deviceData struct {
	ServerID string    `json:"as"`
	ClientID string    `json:"cid"`
	Scopes   []string  `json:"scp,omitempty"` // as asked; empty = default scopes
	UserKey  string    `json:"uk"`            // the user code's hash, hex
	Interval int       `json:"interval"`      // seconds
	LastPoll time.Time `json:"last_poll"`
}

// userCodeData is the user code's document: the device code it stands for
// and, once the code is used, what the person decided. It is written once,
// in the transaction that uses the code, so a code is approved or denied
// exactly once.
type userCodeData struct {
	DeviceKey string        `json:"dk"` // the device code's hash, hex
	Approved  bool          `json:"ok,omitempty"`
	UserID    string        `json:"uid,omitempty"`
	Granted   []string      `json:"granted,omitempty"`
	AuthTime  time.Time     `json:"auth_time"`
	AMR       []string      `json:"amr,omitempty"`
	Rule      ruleLifetimes `json:"rule"`
}

// DeviceResponse is /v1/device/authorize's answer.
type DeviceResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

func newUserCode() string {
	b := make([]byte, 8)
	rand.Read(b)
	for i := range b {
		b[i] = userCodeAlphabet[int(b[i])%len(userCodeAlphabet)]
	}
	return string(b)
}

// normalizeUserCode lets people type the code in any case, with spaces or
// dashes.
func normalizeUserCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

func (s *Server) handleDeviceAuthorize(w http.ResponseWriter, r *http.Request) {
	req, ok := s.parseTokenRequest(w, r, "device/authorize")
	if !ok {
		return
	}
	res, err := s.DeviceAuthorize(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, res)
}

// DeviceAuthorize starts a device authorization.
func (s *Server) DeviceAuthorize(ctx context.Context, req *tokenRequest) (*DeviceResponse, *Error) {
	now := s.now()
	c, err := s.authenticateClient(ctx, req.snap, req.creds, req.endpoint, now)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.app.GrantTypes, grantDeviceCode) {
		return nil, unauthorizedClient(c.app.GrantTypes)
	}
	scopes := policy.ParseScopes(req.params.get("scope"))
	for _, sc := range scopes {
		if req.server.IsOrg() && !slices.Contains(orgScopes, sc) || !req.server.IsOrg() && req.server.ScopesByName[sc] == nil {
			return nil, oerr(400, "invalid_scope", "One or more scopes are not configured for the authorization server resource.")
		}
	}
	if req.server.IsOrg() && len(scopes) == 0 {
		return nil, errMissingScopes
	}
	// Without default scopes the approval could never succeed: say so to
	// the device now rather than to the person later.
	if !req.server.IsOrg() && len(scopes) == 0 && len(defaultScopes(req.server)) == 0 {
		return nil, errNoDefaultScopes
	}
	device, user := secret.RandomString(43), newUserCode()
	dh, uh := secret.Hash(device), secret.Hash(user)
	dd, _ := json.Marshal(deviceData{ServerID: req.server.ID, ClientID: c.app.ClientID, Scopes: scopes, UserKey: hex.EncodeToString(uh),
		Interval: int(devicePollInterval / time.Second)})
	ud, _ := json.Marshal(userCodeData{DeviceKey: hex.EncodeToString(dh)})
	exp := now.Add(deviceCodeLifetime)
	serr := s.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.Codes().Create(ctx, &store.Code{Kind: store.CodeDevice, Hash: dh, Data: dd, Created: now, ExpiresAt: exp}); err != nil {
			return err
		}
		return tx.Codes().Create(ctx, &store.Code{Kind: store.CodeUser, Hash: uh, Data: ud, Created: now, ExpiresAt: exp})
	})
	if errors.Is(serr, store.ErrConflict) {
		return nil, oerr(429, "too_many_user_codes", "Too many user codes were issued; try again.")
	}
	if serr != nil {
		return nil, serverError("storing device code", serr)
	}
	verify := req.origin + activatePath
	return &DeviceResponse{DeviceCode: device, UserCode: user, VerificationURI: verify,
		VerificationURIComplete: verify + "?user_code=" + user, ExpiresIn: int64(deviceCodeLifetime / time.Second), Interval: int64(devicePollInterval / time.Second)}, nil
}

var errNoDefaultScopes = oerr(400, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided.")

func defaultScopes(srv *cache.Server) []string {
	var out []string
	for _, sc := range srv.Scopes {
		if sc.Default {
			out = append(out, sc.Name)
		}
	}
	return out
}

// lookupUserCode finds the waiting device a user code stands for: both
// codes unused and unexpired.
func (s *Server) lookupUserCode(ctx context.Context, code string) ([]byte, *userCodeData, *deviceData, bool) {
	code = normalizeUserCode(code)
	if len(code) != 8 {
		return nil, nil, nil, false
	}
	uh := secret.Hash(code)
	uc, err := s.store.Codes().Get(ctx, store.CodeUser, uh)
	if err != nil || !uc.UsedAt.IsZero() || !s.now().Before(uc.ExpiresAt) {
		return nil, nil, nil, false
	}
	var u userCodeData
	if json.Unmarshal(uc.Data, &u) != nil {
		return nil, nil, nil, false
	}
	dh, err := hex.DecodeString(u.DeviceKey)
	if err != nil {
		return nil, nil, nil, false
	}
	dc, err := s.store.Codes().Get(ctx, store.CodeDevice, dh)
	if err != nil || !dc.UsedAt.IsZero() || !s.now().Before(dc.ExpiresAt) {
		return nil, nil, nil, false
	}
	var d deviceData
	if json.Unmarshal(dc.Data, &d) != nil {
		return nil, nil, nil, false
	}
	return uh, &u, &d, true
}

const codeNotValidText = "That code is not valid: it may be mistyped, expired or used already. Check your device for the current code."

// handleActivate is the verification page: a signed-in person enters the
// code their device shows, sees which app asks for what, and approves or
// denies.
func (s *Server) handleActivate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess := s.sessions.Current(r)
	code := r.URL.Query().Get("user_code")
	decision := ""
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil || !signin.CheckCSRF(r) {
			s.devicePage(w, r, http.StatusForbidden, &pages.Device{Error: "This page expired. Enter the code again."})
			return
		}
		code, decision = r.PostForm.Get("user_code"), r.PostForm.Get("decision")
	}
	if len(code) > 64 {
		code = ""
	}
	if sess == nil {
		from := activatePath
		if code != "" {
			from += "?user_code=" + url.QueryEscape(code)
		}
		http.Redirect(w, r, signin.LoginURL(from), http.StatusFound)
		return
	}
	p := &pages.Device{UserCode: code}
	if code == "" {
		s.devicePage(w, r, http.StatusOK, p)
		return
	}
	uh, u, d, ok := s.lookupUserCode(ctx, code)
	if !ok {
		p.Error = codeNotValidText
		s.devicePage(w, r, http.StatusBadRequest, p)
		return
	}
	snap := s.cache.Current()
	srv, app := snap.Servers[d.ServerID], activeApp(snap, d.ClientID)
	if !srv.Serving() || app == nil {
		p.Error = "The application or authorization server of this code no longer exists."
		s.devicePage(w, r, http.StatusBadRequest, p)
		return
	}
	sub, aerr := s.userAllowed(ctx, sess.UserID, app)
	switch {
	case aerr == errNotAssigned:
		p.Error = "You are not assigned to " + app.Label + ". Ask your administrator for access."
		s.devicePage(w, r, http.StatusForbidden, p)
		return
	case aerr != nil:
		s.logError(ctx, "checking the device user's assignment failed", aerr)
		status, msg := web.PageFailure(w, aerr)
		p.Error = msg
		s.devicePage(w, r, status, p)
		return
	case sub == nil:
		// The session outlived the account (deactivated or deleted).
		p.Error = "Your account cannot sign in to " + app.Label + "."
		s.devicePage(w, r, http.StatusForbidden, p)
		return
	}
	p.ClientName, p.Login, p.Scopes = app.Label, sub.user.Login, d.Scopes
	if len(p.Scopes) == 0 {
		p.Scopes = defaultScopes(srv)
	}
	switch decision {
	case "approve":
	case "deny":
		if !s.decide(ctx, w, r, uh, u, p) {
			return
		}
		s.devicePage(w, r, http.StatusOK, &pages.Device{Done: "You denied the request. You can close this page."})
		return
	default:
		s.devicePage(w, r, http.StatusOK, p)
		return
	}
	u.Granted, u.Rule = d.Scopes, orgRule
	if !srv.IsOrg() {
		res, denial := policy.Evaluate(srv, policy.Request{ClientID: app.ClientID, GrantType: grantDeviceCode, Scopes: d.Scopes,
			UserID: sub.user.ID, UserGroups: sub.groupIDs})
		if denial != nil {
			p.Error, p.ClientName = "The access policy does not allow this: "+denial.Description, ""
			s.devicePage(w, r, http.StatusForbidden, p)
			return
		}
		u.Granted = res.Scopes
		u.Rule = lifetimesOf(res)
	}
	u.Approved, u.UserID, u.AuthTime, u.AMR = true, sub.user.ID, sess.Created, sess.AMR
	if !s.decide(ctx, w, r, uh, u, p) {
		return
	}
	if s.audit != nil {
		s.audit.Event(audit.RequestFrom(r), eventPrefix(srv)+".device.authorize", "Device authorization approved",
			audit.UserActor(sub.user), "SUCCESS", "", audit.Target{ID: app.ClientID, Type: "PublicClientApp", DisplayName: app.Label})
	}
	s.devicePage(w, r, http.StatusOK, &pages.Device{Done: "Your device is signed in to " + app.Label + ". You can close this page."})
}

// decide records the person's decision on the user code and uses the code
// up in one transaction: of two decisions on one code only the first
// counts. It answers the page itself when it fails.
func (s *Server) decide(ctx context.Context, w http.ResponseWriter, r *http.Request, uh []byte, u *userCodeData, p *pages.Device) bool {
	b, _ := json.Marshal(u)
	err := s.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.Codes().SetData(ctx, store.CodeUser, uh, b); err != nil {
			return err
		}
		_, err := tx.Codes().Use(ctx, store.CodeUser, uh, s.now())
		return err
	})
	switch {
	case err == nil:
		return true
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		p.Error, p.ClientName = codeNotValidText, ""
		s.devicePage(w, r, http.StatusBadRequest, p)
	default:
		s.logError(ctx, "saving device decision failed", err)
		status, msg := web.PageFailure(w, err)
		p.Error, p.ClientName = msg, ""
		s.devicePage(w, r, status, p)
	}
	return false
}

func (s *Server) devicePage(w http.ResponseWriter, r *http.Request, status int, p *pages.Device) {
	p.Title, p.OrgName = "Activate your device", "Sesame"
	if org := s.cache.Current().Org; org != nil {
		p.OrgName = org.Name
	}
	p.CSRF = s.sessions.CSRFToken(w, r)
	pages.Render(w, s.log, status, p)
}

var (
	errDeviceInvalid = oerr(400, "invalid_grant", "The device code is invalid or has expired.")
	errDeviceExpired = oerr(400, "expired_token", "The device code has expired.")
	errDevicePending = oerr(400, "authorization_pending", "The device authorization is pending. Please try again later.")
	errDeviceSlow    = oerr(400, "slow_down", "The client is polling too frequently; slow down.")
	errDeviceDenied  = oerr(400, "access_denied", "The resource owner denied the request.")
)

// deviceCode is the token request a device polls with.
func (s *Server) deviceCode(ctx context.Context, req *tokenRequest, c *authenticatedClient, now time.Time) (*TokenResponse, *Error) {
	raw := req.params.get("device_code")
	if raw == "" || len(raw) > 200 {
		return nil, errDeviceInvalid
	}
	dh := secret.Hash(raw)
	dc, err := s.store.Codes().Get(ctx, store.CodeDevice, dh)
	if err != nil || !dc.UsedAt.IsZero() {
		return nil, errDeviceInvalid
	}
	var d deviceData
	if json.Unmarshal(dc.Data, &d) != nil || d.ServerID != req.server.ID || d.ClientID != c.app.ClientID {
		return nil, errDeviceInvalid
	}
	if !now.Before(dc.ExpiresAt) {
		return nil, errDeviceExpired
	}
	uh, err := hex.DecodeString(d.UserKey)
	if err != nil {
		return nil, errDeviceInvalid
	}
	uc, err := s.store.Codes().Get(ctx, store.CodeUser, uh)
	if err != nil {
		return nil, errDeviceInvalid
	}
	var u userCodeData
	if json.Unmarshal(uc.Data, &u) != nil {
		return nil, errDeviceInvalid
	}
	if uc.UsedAt.IsZero() {
		// RFC 8628 §3.5: polling faster than the interval is slow_down, and
		// the interval grows by five seconds.
		fast := !d.LastPoll.IsZero() && now.Sub(d.LastPoll) < time.Duration(d.Interval)*time.Second
		if fast {
			d.Interval += 5
		}
		d.LastPoll = now
		b, _ := json.Marshal(d)
		if err := s.store.Codes().SetData(ctx, store.CodeDevice, dh, b); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.logError(ctx, "recording device poll failed", err)
		}
		if fast {
			return nil, errDeviceSlow
		}
		return nil, errDevicePending
	}
	if !u.Approved {
		s.useCode(ctx, store.CodeDevice, dh, now)
		return nil, errDeviceDenied
	}
	sub, aerr := s.userAllowed(ctx, u.UserID, c.app)
	if aerr != nil {
		return nil, aerr
	}
	if sub == nil {
		return nil, errDeviceInvalid
	}
	g := &userGrant{srv: req.server, snap: req.snap, origin: req.origin, reqOrigin: req.reqOrigin, app: c.app, sub: sub, scopes: u.Granted, authTime: u.AuthTime,
		amr: u.AMR, rule: u.Rule, familyID: secret.NewID("fam")}
	m, terr := s.mintUserTokens(g, true, true, true, "", now)
	if terr != nil {
		return nil, terr
	}
	err = s.store.InTx(ctx, func(tx store.Store) error {
		if _, err := tx.Codes().Use(ctx, store.CodeDevice, dh, now); err != nil {
			return err
		}
		return m.save(ctx, tx)
	})
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return nil, errDeviceInvalid
	}
	if err != nil {
		return nil, serverError("redeeming device code", err)
	}
	return m.resp, nil
}
