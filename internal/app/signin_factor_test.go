package app

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

var (
	stateField  = regexp.MustCompile(`name="stateToken" value="([^"]+)"`)
	factorField = regexp.MustCompile(`name="factorId" value="([^"]+)"`)
	secretText  = regexp.MustCompile(`id="factor-secret">([A-Z2-7]+)<`)
	qrImage     = regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`)
	recoveryRe  = regexp.MustCompile(`<li><code>([a-z2-9-]+)</code></li>`)
	continueRe  = regexp.MustCompile(`href="([^"]+)" id="recovery-continue"`)
)

// factorForm posts one of the factor step's forms.
func (b *browser) factorForm(t *testing.T, p page, path string, extra url.Values) page {
	t.Helper()
	v := url.Values{"csrf": {field(t, csrfField, p.body)}, "stateToken": {field(t, stateField, p.body)}}
	if m := factorField.FindStringSubmatch(p.body); m != nil {
		v.Set("factorId", m[1])
	}
	for k, vs := range extra {
		v[k] = vs
	}
	return b.post(t, b.ts.Addr+path, v)
}

// codeFlow runs an authorize request for a confidential web app to the
// callback (signing in or giving a factor through step, when a page asks)
// and redeems the code; it returns the ID token's claims.
func codeFlow(t *testing.T, ts *testServer, b *browser, clientID, secret string, extra url.Values, step func(p page) page) map[string]any {
	t.Helper()
	q := url.Values{"client_id": {clientID}, "response_type": {"code"}, "scope": {"openid profile"}, "redirect_uri": {"http://app.test/callback"},
		"state": {"s"}, "nonce": {"n"}}
	for k, vs := range extra {
		q[k] = vs
	}
	p := b.follow(t, b.get(t, ts.Addr+"/oauth2/default/v1/authorize?"+q.Encode()))
	for i := 0; p.location == nil || p.location.Host != "app.test"; i++ {
		if i > 5 || step == nil {
			t.Fatalf("no callback: %d %v %s", p.status, p.location, p.body)
		}
		p = b.follow(t, step(p))
	}
	code := p.location.Query().Get("code")
	if code == "" {
		t.Fatalf("callback without code: %v", p.location)
	}
	a := ts.form(t, "/oauth2/default/v1/token", "Basic "+base64.StdEncoding.EncodeToString([]byte(clientID+":"+secret)),
		url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://app.test/callback"}})
	if a.status != 200 {
		t.Fatalf("token: %d %s", a.status, a.body)
	}
	return decodeClaims(t, a.json(t)["id_token"].(string))
}

func amrOfClaims(c map[string]any) []string {
	v, _ := c["amr"].([]any)
	return toStrings(v)
}

// TestSignInFactorStep drives the hosted sign-in page's factor step on both
// backends: an app whose access policy requires MFA makes a person with a
// password-only session enrol TOTP (QR code as a PNG) and comes back; an
// app without the requirement does not ask; the org policy then asks at
// every sign-in (and again with prompt=login); a DEVICE rule offers
// "remember this device", off by default; the ID token's amr and acr say
// how the person signed in.
func TestSignInFactorStep(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		clock := &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)}
		ts := startServerWith(t, open(t), WithClock(clock.now))
		ada := ts.newUser(t, "ada@example.com")
		web := []string{"authorization_code"}
		mfaApp, mfaSecret, mfaID := ts.oidcApp(t, "needs mfa", "web", "client_secret_basic", web, []string{"code"}, nil)
		plainApp, plainSecret, plainID := ts.oidcApp(t, "plain", "web", "client_secret_basic", web, []string{"code"}, nil)
		ts.assign(t, mfaID, ada.ID)
		ts.assign(t, plainID, ada.ID)
		ap := ts.post200(t, "/api/v1/policies", map[string]any{"type": "ACCESS_POLICY", "name": "2fa app"})["id"].(string)
		ts.post200(t, "/api/v1/policies/"+ap+"/rules", map[string]any{"name": "2fa", "actions": map[string]any{"appSignOn": map[string]any{
			"access": "ALLOW", "verificationMethod": map[string]any{"factorMode": "2FA", "type": "ASSURANCE", "reauthenticateIn": "PT1H"}}}})
		if a := ts.mgmt(t, http.MethodPut, "/api/v1/apps/"+mfaID+"/policies/"+ap, nil); a.status != 204 {
			t.Fatalf("bind: %d %s", a.status, a.body)
		}
		b := newBrowser(t, ts)
		password := func(p page) page { return b.submitLogin(t, p, "ada@example.com", "Correct-Horse-42") }

		// The plain app: the password is enough.
		c := codeFlow(t, ts, b, plainApp, plainSecret, nil, password)
		if !slices.Equal(amrOfClaims(c), []string{"pwd"}) || c["acr"] != nil {
			t.Fatalf("plain app claims: %v", c)
		}

		// The MFA app with the same session: the factor step, enrolment first.
		var secret string
		var recovery []string
		enrolled := false
		c = codeFlow(t, ts, b, mfaApp, mfaSecret, url.Values{"acr_values": {"urn:okta:loa:2fa:any"}}, func(p page) page {
			switch {
			case strings.Contains(p.body, `id="factor-enroll"`):
				return b.factorForm(t, p, "/login/factor/enroll", url.Values{"factorType": {"token:software:totp"}})
			case strings.Contains(p.body, `id="recovery-codes"`):
				// The first enrolment shows recovery codes once, then goes on.
				for _, m := range recoveryRe.FindAllStringSubmatch(p.body, -1) {
					recovery = append(recovery, m[1])
				}
				if len(recovery) != 10 {
					t.Fatalf("recovery codes: %v", recovery)
				}
				return b.get(t, ts.Addr+field(t, continueRe, p.body))
			case strings.Contains(p.body, `id="factor-activate"`):
				secret = field(t, secretText, p.body)
				png, err := base64.StdEncoding.DecodeString(field(t, qrImage, p.body))
				if err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
					t.Fatalf("QR code is not a PNG: %v", err)
				}
				if !enrolled {
					enrolled = true
					bad := b.factorForm(t, p, "/login/factor/activate", url.Values{"passCode": {wrongCode(totpCode(t, secret, clock.now()))}})
					if bad.status != 401 || !strings.Contains(bad.body, `id="factor-error"`) || field(t, secretText, bad.body) != secret {
						t.Fatalf("wrong first code: %d %s", bad.status, bad.body)
					}
					p = bad
				}
				return b.factorForm(t, p, "/login/factor/activate", url.Values{"passCode": {totpCode(t, secret, clock.now())}})
			}
			t.Fatalf("unexpected page: %d %s", p.status, p.body)
			return p
		})
		if !slices.Equal(amrOfClaims(c), []string{"pwd", "otp", "mfa"}) || c["acr"] != "urn:okta:loa:2fa:any" {
			t.Fatalf("MFA app claims: %v", c)
		}
		// The session has the factor now: no second prompt.
		c = codeFlow(t, ts, b, mfaApp, mfaSecret, nil, nil)
		if !slices.Equal(amrOfClaims(c), []string{"pwd", "otp", "mfa"}) {
			t.Fatalf("second MFA app sign-in: %v", c)
		}
		// After reauthenticateIn the factor is due again (no enrolment now).
		clock.add(time.Hour + time.Minute)
		c = codeFlow(t, ts, b, mfaApp, mfaSecret, nil, func(p page) page {
			if !strings.Contains(p.body, `id="factor-verify"`) {
				t.Fatalf("not the verify step: %d %s", p.status, p.body)
			}
			return b.factorForm(t, p, "/login/factor", url.Values{"passCode": {totpCode(t, secret, clock.now())}})
		})
		if !slices.Equal(amrOfClaims(c), []string{"pwd", "otp", "mfa"}) {
			t.Fatalf("reauthenticated: %v", c)
		}

		// The org policy asks everyone at every sign-in.
		ts.requireMFA(t, "", "ALWAYS", 0)
		clock.add(time.Minute)
		b2 := newBrowser(t, ts)
		var used string
		verify := func(p page) page {
			switch {
			case strings.Contains(p.body, `id="okta-signin-username"`):
				return b2.submitLogin(t, p, "ada@example.com", "Correct-Horse-42")
			case strings.Contains(p.body, `id="factor-verify"`):
				if strings.Contains(p.body, `id="factor-remember"`) {
					t.Fatalf("ALWAYS offers to remember the device")
				}
				code := totpCode(t, secret, clock.now())
				if code == used {
					t.Fatalf("test reuses a code")
				}
				if bad := b2.factorForm(t, p, "/login/factor", url.Values{"passCode": {wrongCode(code)}}); bad.status != 401 {
					t.Fatalf("wrong code: %d %s", bad.status, bad.body)
				}
				used = code
				return b2.factorForm(t, p, "/login/factor", url.Values{"passCode": {code}})
			}
			t.Fatalf("unexpected page: %d %s", p.status, p.body)
			return p
		}
		c = codeFlow(t, ts, b2, plainApp, plainSecret, nil, verify)
		if !slices.Equal(amrOfClaims(c), []string{"pwd", "otp", "mfa"}) {
			t.Fatalf("org policy sign-in: %v", c)
		}
		// prompt=login runs the password and the factor again; the code
		// just used is refused.
		reused := func(p page) page {
			if strings.Contains(p.body, `id="factor-verify"`) {
				bad := b2.factorForm(t, p, "/login/factor", url.Values{"passCode": {used}})
				if bad.status != 401 || !strings.Contains(bad.body, "used already") {
					t.Fatalf("reused code: %d %s", bad.status, bad.body)
				}
				clock.add(30 * time.Second)
				return verify(bad)
			}
			return verify(p)
		}
		c = codeFlow(t, ts, b2, plainApp, plainSecret, url.Values{"prompt": {"login"}}, reused)
		if !slices.Equal(amrOfClaims(c), []string{"pwd", "otp", "mfa"}) {
			t.Fatalf("prompt=login: %v", c)
		}
		// A spent stateToken goes back to the sign-in page.
		clock.add(30 * time.Second)
		lp := b2.follow(t, b2.get(t, ts.Addr+"/login/login.htm"))
		fp := b2.submitLogin(t, lp, "ada@example.com", "Correct-Horse-42")
		ok := b2.factorForm(t, fp, "/login/factor", url.Values{"passCode": {totpCode(t, secret, clock.now())}})
		if ok.status != 200 || !strings.Contains(ok.body, "Signed in as ada@example.com") {
			t.Fatalf("plain sign-in with factor: %d %s", ok.status, ok.body)
		}
		again := b2.factorForm(t, fp, "/login/factor", url.Values{"passCode": {totpCode(t, secret, clock.now().Add(30*time.Second))}})
		if again.status != 401 || !strings.Contains(again.body, `id="okta-signin-username"`) {
			t.Fatalf("spent stateToken: %d %s", again.status, again.body)
		}

		// A recovery code stands in for the factor, once.
		clock.add(30 * time.Second)
		useRecovery := func(b *browser, code string) page {
			lp := b.follow(t, b.get(t, ts.Addr+"/login/login.htm"))
			fp := b.submitLogin(t, lp, "ada@example.com", "Correct-Horse-42")
			return b.post(t, ts.Addr+"/login/factor/recovery", url.Values{"csrf": {field(t, csrfField, fp.body)},
				"stateToken": {field(t, stateField, fp.body)}, "recoveryCode": {code}})
		}
		b5 := newBrowser(t, ts)
		if p := useRecovery(b5, strings.ToUpper(recovery[3])); p.status != 200 || !strings.Contains(p.body, "Signed in as ada@example.com") {
			t.Fatalf("recovery code: %d %s", p.status, p.body)
		}
		var sess map[string]any
		if err := json.Unmarshal([]byte(b5.get(t, ts.Addr+"/api/v1/sessions/me").body), &sess); err != nil {
			t.Fatal(err)
		}
		if amr, _ := sess["amr"].([]any); !slices.Equal(toStrings(amr), []string{"pwd", "mfa"}) {
			t.Fatalf("recovery session amr: %v", sess["amr"])
		}
		if p := useRecovery(newBrowser(t, ts), recovery[3]); p.status != 401 || !strings.Contains(p.body, "recovery code is not right") {
			t.Fatalf("reused recovery code: %d %s", p.status, p.body)
		}
		if p := useRecovery(newBrowser(t, ts), "aaaa-bbbb-cccc-dddd"); p.status != 401 {
			t.Fatalf("wrong recovery code: %d %s", p.status, p.body)
		}
		if n, err := ts.App.Store.RecoveryCodes().Remaining(t.Context(), ada.ID); err != nil || n != 9 {
			t.Fatalf("recovery codes left: %d", n)
		}

		// A DEVICE rule offers to remember the device, unchecked; checked,
		// the next sign-in on that device within factorLifetime skips
		// the factor, another device does not.
		ts.requireMFA(t, "", "DEVICE", 60)
		clock.add(30 * time.Second)
		b3 := newBrowser(t, ts)
		lp = b3.follow(t, b3.get(t, ts.Addr+"/login/login.htm"))
		fp = b3.submitLogin(t, lp, "ada@example.com", "Correct-Horse-42")
		if !strings.Contains(fp.body, `id="factor-remember"`) || strings.Contains(fp.body, `id="factor-remember" checked`) {
			t.Fatalf("remember checkbox: %s", fp.body)
		}
		ok = b3.factorForm(t, fp, "/login/factor", url.Values{"passCode": {totpCode(t, secret, clock.now())}, "rememberDevice": {"true"}})
		if ok.status != 200 || !strings.Contains(ok.body, "Signed in as") {
			t.Fatalf("remembered sign-in: %d %s", ok.status, ok.body)
		}
		if out := b3.post(t, ts.Addr+"/login/signout", url.Values{"csrf": {field(t, csrfField, ok.body)}}); out.status != 200 {
			t.Fatalf("sign out: %d %s", out.status, out.body)
		}
		c = codeFlow(t, ts, b3, plainApp, plainSecret, nil, func(p page) page {
			if !strings.Contains(p.body, `id="okta-signin-username"`) {
				t.Fatalf("remembered device asked for a factor: %s", p.body)
			}
			return b3.submitLogin(t, p, "ada@example.com", "Correct-Horse-42")
		})
		if !slices.Equal(amrOfClaims(c), []string{"pwd"}) {
			t.Fatalf("remembered device claims: %v", c)
		}
		b4 := newBrowser(t, ts)
		lp = b4.follow(t, b4.get(t, ts.Addr+"/login/login.htm"))
		if fp := b4.submitLogin(t, lp, "ada@example.com", "Correct-Horse-42"); !strings.Contains(fp.body, `id="factor-verify"`) {
			t.Fatalf("another device skipped the factor: %s", fp.body)
		}
		// After factorLifetime the device is asked again.
		clock.add(61 * time.Minute)
		lp = b3.follow(t, b3.get(t, ts.Addr+"/login/login.htm"))
		if fp := b3.submitLogin(t, lp, "ada@example.com", "Correct-Horse-42"); !strings.Contains(fp.body, `id="factor-verify"`) {
			t.Fatalf("an expired remembered device skipped the factor: %s", fp.body)
		}
		// Resetting the factors removes the recovery codes too: the next
		// sign-in enrols again, where a recovery code is not taken.
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+ada.ID+"/lifecycle/reset_factors", nil); a.status != 200 {
			t.Fatalf("reset factors: %d %s", a.status, a.body)
		}
		if n, err := ts.App.Store.RecoveryCodes().Remaining(t.Context(), ada.ID); err != nil || n != 0 {
			t.Fatalf("recovery codes after reset: %d", n)
		}
		if p := useRecovery(newBrowser(t, ts), recovery[4]); p.status != 403 || !strings.Contains(p.body, `id="factor-enroll"`) {
			t.Fatalf("after reset: %d %s", p.status, p.body)
		}
	})
}
