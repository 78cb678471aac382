package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// requireMFA adds a sign-on policy for a group (everyone when "") whose
// rule asks for a factor at every sign-in, in prompt mode.
func (ts *testServer) requireMFA(t *testing.T, groupID, prompt string, lifetime int) string {
	t.Helper()
	body := map[string]any{"type": "OKTA_SIGN_ON", "name": "mfa " + groupID, "priority": 1}
	if groupID != "" {
		body["conditions"] = map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{groupID}}}}
	}
	pid := ts.post200(t, "/api/v1/policies", body)["id"].(string)
	signon := map[string]any{"access": "ALLOW", "requireFactor": true, "factorPromptMode": prompt}
	if lifetime > 0 {
		signon["factorLifetime"] = lifetime
	}
	ts.post200(t, "/api/v1/policies/"+pid+"/rules", map[string]any{"type": "SIGN_ON", "name": "mfa",
		"conditions": map[string]any{"network": map[string]any{"connection": "ANYWHERE"}}, "actions": map[string]any{"signon": signon}})
	return pid
}

// authnCall posts JSON to an Authentication API path and decodes the answer.
func (ts *testServer) authnCall(t *testing.T, path string, body map[string]any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	a := ts.do(t, http.MethodPost, path, "", "application/json", raw)
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("%s: not JSON: %d %s", path, a.status, a.body)
	}
	return a.status, m
}

func wantAuthnError(t *testing.T, what string, status int, m map[string]any, wantStatus int, code string) {
	t.Helper()
	if status != wantStatus || m["errorCode"] != code {
		t.Fatalf("%s: %d %v, want %d %s", what, status, m, wantStatus, code)
	}
}

func wantState(t *testing.T, what string, status int, m map[string]any, state string) string {
	t.Helper()
	if status != 200 || m["status"] != state {
		t.Fatalf("%s: %d %v, want %s", what, status, m, state)
	}
	tok, _ := m["stateToken"].(string)
	if state != "SUCCESS" && tok == "" {
		t.Fatalf("%s: no stateToken: %v", what, m)
	}
	return tok
}

func dig(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

// TestAuthnMFA drives /api/v1/authn through its MFA states on both
// backends: enrolment on first sign-in (MFA_ENROLL → MFA_ENROLL_ACTIVATE →
// SUCCESS), then MFA_REQUIRED → MFA_CHALLENGE → SUCCESS, with codes
// computed from the enrolled secret, and the refusals: wrong, reused and
// too old or too new codes, spent and expired stateTokens, another user's
// factor, lockout.
func TestAuthnMFA(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		clock := &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)}
		ts := startServerWith(t, open(t), WithClock(clock.now))
		ada := ts.newUser(t, "ada@example.com")
		bob := ts.newUser(t, "bob@example.com")
		grp := ts.post200(t, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": "mfa people"}})["id"].(string)
		if a := ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+grp+"/users/"+ada.ID, nil); a.status != 204 {
			t.Fatalf("add member: %d %s", a.status, a.body)
		}
		ts.requireMFA(t, grp, "ALWAYS", 0)
		login := func(who string) (int, map[string]any) {
			return ts.authnCall(t, "/api/v1/authn", map[string]any{"username": who, "password": "Correct-Horse-42"})
		}

		// Bob is not in the group: the password is enough.
		st, m := login("bob@example.com")
		wantState(t, "bob", st, m, "SUCCESS")

		// Ada has no factor: she must enrol one.
		st, m = login("ada@example.com")
		tok := wantState(t, "ada first", st, m, "MFA_ENROLL")
		cat := dig(m, "_embedded", "factors").([]any)
		if len(cat) != 2 || cat[0].(map[string]any)["factorType"] != "token:software:totp" || cat[1].(map[string]any)["factorType"] != "webauthn" ||
			dig(cat[0].(map[string]any), "_links", "enroll", "href") != ts.URL+"/api/v1/authn/factors" {
			t.Fatalf("enrol catalogue: %v", cat)
		}
		if dig(m, "_embedded", "user", "profile", "login") != "ada@example.com" || dig(m, "_links", "cancel", "href") == nil {
			t.Fatalf("transaction: %v", m)
		}
		// Reading the state does not spend the token.
		st, m = ts.authnCall(t, "/api/v1/authn", map[string]any{"stateToken": tok})
		wantState(t, "state", st, m, "MFA_ENROLL")
		st, m = ts.authnCall(t, "/api/v1/authn/factors", map[string]any{"stateToken": "00bogus", "factorType": "token:software:totp", "provider": "OKTA"})
		wantAuthnError(t, "enrol with a bogus token", st, m, 401, "E0000011")
		st, m = ts.authnCall(t, "/api/v1/authn/factors", map[string]any{"factorType": "token:software:totp", "provider": "OKTA"})
		wantAuthnError(t, "enrol without a token", st, m, 400, "E0000001")
		st, m = ts.authnCall(t, "/api/v1/authn/factors", map[string]any{"stateToken": tok, "factorType": "sms", "provider": "OKTA"})
		wantAuthnError(t, "enrol sms", st, m, 400, "E0000001")
		if a := ts.do(t, http.MethodPost, "/api/v1/authn/factors", "", "application/json", []byte(`{"stateToken":`)); a.status != 400 || !strings.Contains(string(a.body), "E0000003") {
			t.Fatalf("malformed: %d %s", a.status, a.body)
		}

		st, m = ts.authnCall(t, "/api/v1/authn/factors", map[string]any{"stateToken": tok, "factorType": "token:software:totp", "provider": "OKTA"})
		tok2 := wantState(t, "enrol", st, m, "MFA_ENROLL_ACTIVATE")
		factor := dig(m, "_embedded", "factor").(map[string]any)
		fid := factor["id"].(string)
		secret, _ := dig(factor, "_embedded", "activation", "sharedSecret").(string)
		qr, _ := dig(factor, "_embedded", "activation", "_links", "qrcode", "href").(string)
		if secret == "" || !strings.HasPrefix(qr, ts.URL) || dig(m, "_links", "next", "href") != ts.URL+"/api/v1/authn/factors/"+fid+"/lifecycle/activate" {
			t.Fatalf("activation: %v", m)
		}
		if img := ts.do(t, http.MethodGet, strings.TrimPrefix(qr, ts.URL), "", "", nil); img.status != 200 || !bytes.HasPrefix(img.body, []byte("\x89PNG")) {
			t.Fatalf("qr: %d", img.status)
		}
		st, m = ts.authnCall(t, "/api/v1/authn/factors", map[string]any{"stateToken": tok, "factorType": "token:software:totp", "provider": "OKTA"})
		wantAuthnError(t, "the spent enrol token", st, m, 401, "E0000011")

		activate := "/api/v1/authn/factors/" + fid + "/lifecycle/activate"
		st, m = ts.authnCall(t, activate, map[string]any{"stateToken": tok2, "passCode": wrongCode(totpCode(t, secret, clock.now()))})
		wantAuthnError(t, "activate with a wrong code", st, m, 403, "E0000068")
		st, m = ts.authnCall(t, activate, map[string]any{"stateToken": tok2, "passCode": totpCode(t, secret, clock.now())})
		wantState(t, "activate", st, m, "SUCCESS")
		sessionToken := m["sessionToken"].(string)
		st, m = ts.authnCall(t, activate, map[string]any{"stateToken": tok2, "passCode": totpCode(t, secret, clock.now())})
		wantAuthnError(t, "the stateToken used twice", st, m, 401, "E0000011")

		// The session the token opens says how ada signed in.
		b := newBrowser(t, ts)
		if p := b.get(t, ts.Addr+"/login/sessionCookieRedirect?token="+sessionToken+"&redirectUrl=/"); p.status != 302 {
			t.Fatalf("redeem: %d %s", p.status, p.body)
		}
		p := b.get(t, ts.Addr+"/api/v1/sessions/me")
		var sess map[string]any
		if err := json.Unmarshal([]byte(p.body), &sess); err != nil {
			t.Fatal(err)
		}
		if amr, _ := sess["amr"].([]any); !slices.Equal(toStrings(amr), []string{"pwd", "otp", "mfa"}) || sess["mfaActive"] != true || sess["lastFactorVerification"] == nil {
			t.Fatalf("session amr: %s", p.body)
		}

		// Next sign-in: MFA_REQUIRED with her factor. The code of the step
		// used at activation is spent.
		st, m = login("ada@example.com")
		tok = wantState(t, "ada again", st, m, "MFA_REQUIRED")
		fs := dig(m, "_embedded", "factors").([]any)
		verify := "/api/v1/authn/factors/" + fid + "/verify"
		if len(fs) != 1 || dig(fs[0].(map[string]any), "_links", "verify", "href") != ts.URL+verify {
			t.Fatalf("factors: %v", fs)
		}
		st, m = ts.authnCall(t, verify, map[string]any{"stateToken": tok, "passCode": totpCode(t, secret, clock.now())})
		wantAuthnError(t, "a reused code", st, m, 403, "E0000082")

		// Another user's factor is not found with ada's transaction.
		bobFactor, _, _ := ts.enrollTOTP(t, bob.ID)
		st, m = ts.authnCall(t, "/api/v1/authn/factors/"+bobFactor+"/verify", map[string]any{"stateToken": tok, "passCode": "123456"})
		wantAuthnError(t, "bob's factor", st, m, 404, "E0000007")
		st, m = ts.authnCall(t, "/api/v1/authn/factors/"+bobFactor+"/lifecycle/activate", map[string]any{"stateToken": tok, "passCode": "123456"})
		wantAuthnError(t, "activate bob's factor", st, m, 404, "E0000007")
		st, m = ts.authnCall(t, "/api/v1/authn/factors", map[string]any{"stateToken": tok, "factorType": "token:software:totp", "provider": "OKTA"})
		wantAuthnError(t, "enrol while MFA_REQUIRED", st, m, 403, "E0000038")

		// Without a passCode: MFA_CHALLENGE, with a new token.
		clock.add(30 * time.Second)
		st, m = ts.authnCall(t, verify, map[string]any{"stateToken": tok})
		chal := wantState(t, "challenge", st, m, "MFA_CHALLENGE")
		if dig(m, "_embedded", "factor", "id") != fid || dig(m, "_links", "next", "href") != ts.URL+verify {
			t.Fatalf("challenge: %v", m)
		}
		st, m = ts.authnCall(t, verify, map[string]any{"stateToken": tok, "passCode": totpCode(t, secret, clock.now())})
		wantAuthnError(t, "the token before the challenge", st, m, 401, "E0000011")
		// One step of skew is accepted (the code of the next step).
		st, m = ts.authnCall(t, verify, map[string]any{"stateToken": chal, "passCode": totpCode(t, secret, clock.now().Add(30*time.Second))})
		wantState(t, "verify one step ahead", st, m, "SUCCESS")

		// Two steps are refused, either way.
		clock.add(90 * time.Second)
		st, m = login("ada@example.com")
		tok = wantState(t, "ada third", st, m, "MFA_REQUIRED")
		st, m = ts.authnCall(t, verify, map[string]any{"stateToken": tok, "passCode": totpCode(t, secret, clock.now().Add(-60*time.Second))})
		wantAuthnError(t, "two steps old", st, m, 403, "E0000068")
		st, m = ts.authnCall(t, verify, map[string]any{"stateToken": tok, "passCode": totpCode(t, secret, clock.now().Add(60*time.Second))})
		wantAuthnError(t, "two steps ahead", st, m, 403, "E0000068")
		// One step behind is accepted.
		st, m = ts.authnCall(t, verify, map[string]any{"stateToken": tok, "passCode": totpCode(t, secret, clock.now().Add(-30*time.Second))})
		wantState(t, "one step behind", st, m, "SUCCESS")

		// A stateToken expires.
		clock.add(time.Minute)
		st, m = login("ada@example.com")
		tok = wantState(t, "ada fourth", st, m, "MFA_REQUIRED")
		clock.add(6 * time.Minute)
		st, m = ts.authnCall(t, verify, map[string]any{"stateToken": tok, "passCode": totpCode(t, secret, clock.now())})
		wantAuthnError(t, "expired token", st, m, 401, "E0000011")

		// Wrong codes lock the factor: then even the right code is refused.
		st, m = login("ada@example.com")
		tok = wantState(t, "ada fifth", st, m, "MFA_REQUIRED")
		for i := 0; i < 5; i++ {
			st, m = ts.authnCall(t, verify, map[string]any{"stateToken": tok, "passCode": wrongCode(totpCode(t, secret, clock.now()))})
			wantAuthnError(t, "wrong code", st, m, 403, "E0000068")
		}
		st, m = ts.authnCall(t, verify, map[string]any{"stateToken": tok, "passCode": totpCode(t, secret, clock.now())})
		wantAuthnError(t, "locked factor", st, m, 403, "E0000069")

		// Cancel spends the token.
		st, m = ts.authnCall(t, "/api/v1/authn/cancel", map[string]any{"stateToken": tok})
		if st != 200 || m["status"] != "UNAUTHENTICATED" {
			t.Fatalf("cancel: %d %v", st, m)
		}
		st, m = ts.authnCall(t, "/api/v1/authn", map[string]any{"stateToken": tok})
		wantAuthnError(t, "cancelled token", st, m, 401, "E0000011")

		// The System Log has the successes and failures.
		for _, want := range []string{`eventType eq "user.authentication.auth_via_mfa" and outcome.result eq "SUCCESS"`,
			`eventType eq "user.authentication.auth_via_mfa" and outcome.result eq "FAILURE"`, `eventType eq "user.mfa.factor.activate"`,
			`eventType eq "user.mfa.factor.suspend"`} {
			if logs := ts.mgmt(t, http.MethodGet, "/api/v1/logs?since="+longAgo+"&until="+farFuture+"&filter="+url.QueryEscape(want), nil).list(t); len(logs) == 0 {
				t.Fatalf("no event %s", want)
			}
		}
	})
}

func toStrings(v []any) []string {
	out := make([]string, 0, len(v))
	for _, x := range v {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
