package app

import (
	"bytes"
	"context"
	"encoding/base32"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/sesame-idp/sesame/internal/store"
)

// totpCode computes the code an authenticator app shows at t for a secret.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrollTOTP enrolls a TOTP factor through the factors API and returns its
// id and shared secret.
func (ts *testServer) enrollTOTP(t *testing.T, userID string) (factorID, secret string, m map[string]any) {
	t.Helper()
	a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+userID+"/factors", map[string]any{"factorType": "token:software:totp", "provider": "OKTA"})
	if a.status != http.StatusOK {
		t.Fatalf("enroll: %d %s", a.status, a.body)
	}
	m = a.json(t)
	act := m["_embedded"].(map[string]any)["activation"].(map[string]any)
	return m["id"].(string), act["sharedSecret"].(string), m
}

func TestFactorsTOTP(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		clock := &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)}
		ts := startServerWith(t, open(t), WithClock(clock.now))
		ctx := context.Background()
		u := ts.newUser(t, "ada@example.com")
		other := ts.newUser(t, "bob@example.com")
		base := "/api/v1/users/" + u.ID + "/factors"

		cat := ts.mgmt(t, http.MethodGet, base+"/catalog", nil).list(t)
		if len(cat) != 1 || cat[0]["factorType"] != "token:software:totp" || cat[0]["status"] != "NOT_SETUP" {
			t.Fatalf("catalog before enrolment: %v", cat)
		}
		if q := ts.mgmt(t, http.MethodGet, base+"/questions", nil).list(t); len(q) == 0 || q[0]["questionText"] == "" {
			t.Fatalf("questions: %v", q)
		}
		wantError(t, "enroll sms", ts.mgmt(t, http.MethodPost, base, map[string]any{"factorType": "sms", "provider": "OKTA"}), 400, "E0000001")
		wantError(t, "enroll TOTP of Google", ts.mgmt(t, http.MethodPost, base, map[string]any{"factorType": "token:software:totp", "provider": "GOOGLE"}), 400, "E0000001")
		wantError(t, "enroll with a bad body", ts.mgmt(t, http.MethodPost, base, map[string]any{"factorType": 7}), 400, "E0000003")
		wantError(t, "enroll for nobody", ts.mgmt(t, http.MethodPost, "/api/v1/users/00unobody/factors", map[string]any{"factorType": "token:software:totp", "provider": "OKTA"}), 404, "E0000007")

		// A first enrolment left pending is replaced by a second one.
		first, _, _ := ts.enrollTOTP(t, u.ID)
		fid, sharedSecret, m := ts.enrollTOTP(t, u.ID)
		if m["status"] != "PENDING_ACTIVATION" || m["factorType"] != "token:software:totp" || m["provider"] != "OKTA" {
			t.Fatalf("enrolled factor: %v", m)
		}
		if m["profile"].(map[string]any)["credentialId"] != "ada@example.com" {
			t.Fatalf("profile: %v", m["profile"])
		}
		wantError(t, "the replaced pending factor", ts.mgmt(t, http.MethodGet, base+"/"+first, nil), 404, "E0000007")
		act := m["_embedded"].(map[string]any)["activation"].(map[string]any)
		if act["encoding"] != "base32" || act["timeStep"] != float64(30) || act["keyLength"] != float64(len(sharedSecret)) {
			t.Fatalf("activation: %v", act)
		}
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(sharedSecret)
		if err != nil || len(raw) < 16 {
			t.Fatalf("shared secret %q: %v", sharedSecret, err)
		}
		// The secret is sealed at rest: neither its bytes nor its text are stored.
		stored, err := ts.App.Store.Factors().Get(ctx, fid)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(stored.SecretSealed, raw) || bytes.Contains(stored.SecretSealed, []byte(sharedSecret)) || len(stored.SecretSealed) < len(raw)+16 {
			t.Fatal("the TOTP secret is stored in the clear")
		}
		links := m["_links"].(map[string]any)
		if _, ok := links["activate"]; !ok {
			t.Fatalf("pending factor has no activate link: %v", links)
		}

		// The QR code link works without an API token, for this factor only.
		qr := act["_links"].(map[string]any)["qrcode"].(map[string]any)["href"].(string)
		if !strings.HasPrefix(qr, ts.URL+base+"/"+fid+"/qr/") {
			t.Fatalf("qrcode link %s", qr)
		}
		img := ts.do(t, http.MethodGet, strings.TrimPrefix(qr, ts.URL), "", "", nil)
		if img.status != 200 || img.header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(img.body, []byte("\x89PNG")) {
			t.Fatalf("qr code: %d %s", img.status, img.header.Get("Content-Type"))
		}
		if a := ts.do(t, http.MethodGet, strings.TrimPrefix(qr, ts.URL)+"x", "", "", nil); a.status != 404 {
			t.Fatalf("qr code with a wrong token: %d", a.status)
		}
		if a := ts.do(t, http.MethodGet, strings.Replace(strings.TrimPrefix(qr, ts.URL), u.ID, other.ID, 1), "", "", nil); a.status != 404 {
			t.Fatalf("qr code under another user: %d", a.status)
		}

		now := clock.now()
		wantError(t, "verify a pending factor", ts.mgmt(t, http.MethodPost, base+"/"+fid+"/verify", map[string]any{"passCode": totpCode(t, sharedSecret, now)}), 400, "E0000001")
		wantError(t, "activate with a wrong code", ts.mgmt(t, http.MethodPost, base+"/"+fid+"/lifecycle/activate", map[string]any{"passCode": wrongCode(totpCode(t, sharedSecret, now))}), 403, "E0000068")
		wantError(t, "activate without a code", ts.mgmt(t, http.MethodPost, base+"/"+fid+"/lifecycle/activate", map[string]any{}), 400, "E0000001")
		a := ts.mgmt(t, http.MethodPost, base+"/"+fid+"/lifecycle/activate", map[string]any{"passCode": totpCode(t, sharedSecret, now)})
		if a.status != 200 || a.json(t)["status"] != "ACTIVE" {
			t.Fatalf("activate: %d %s", a.status, a.body)
		}
		if _, ok := a.json(t)["_links"].(map[string]any)["verify"]; !ok {
			t.Fatalf("active factor has no verify link: %s", a.body)
		}
		if a := ts.do(t, http.MethodGet, strings.TrimPrefix(qr, ts.URL), "", "", nil); a.status != 404 {
			t.Fatalf("qr code of an active factor: %d", a.status)
		}
		wantError(t, "activate twice", ts.mgmt(t, http.MethodPost, base+"/"+fid+"/lifecycle/activate", map[string]any{"passCode": totpCode(t, sharedSecret, now)}), 400, "E0000001")
		wantError(t, "enroll while active", ts.mgmt(t, http.MethodPost, base, map[string]any{"factorType": "token:software:totp", "provider": "OKTA"}), 400, "E0000001")

		verify := func(code string) answer {
			return ts.mgmt(t, http.MethodPost, base+"/"+fid+"/verify", map[string]any{"passCode": code})
		}
		// The activation code is spent.
		wantError(t, "reuse the activation code", verify(totpCode(t, sharedSecret, now)), 403, "E0000082")

		// One step of skew either way is accepted, each code once.
		clock.add(60 * time.Second)
		now = clock.now()
		if a := verify(totpCode(t, sharedSecret, now.Add(-30*time.Second))); a.status != 200 || a.json(t)["factorResult"] != "SUCCESS" {
			t.Fatalf("code of the previous step: %d %s", a.status, a.body)
		}
		wantError(t, "reuse a code", verify(totpCode(t, sharedSecret, now.Add(-30*time.Second))), 403, "E0000082")
		if a := verify(totpCode(t, sharedSecret, now.Add(30*time.Second))); a.status != 200 {
			t.Fatalf("code of the next step: %d %s", a.status, a.body)
		}
		wantError(t, "a code older than one used", verify(totpCode(t, sharedSecret, now)), 403, "E0000082")
		// Two steps off is refused.
		clock.add(5 * time.Minute)
		now = clock.now()
		wantError(t, "two steps early", verify(totpCode(t, sharedSecret, now.Add(-60*time.Second))), 403, "E0000068")
		wantError(t, "two steps late", verify(totpCode(t, sharedSecret, now.Add(60*time.Second))), 403, "E0000068")
		wantError(t, "not digits", verify("abcdef"), 403, "E0000068")

		// Another user's factor is not found through their path.
		wantError(t, "get another user's factor", ts.mgmt(t, http.MethodGet, "/api/v1/users/"+other.ID+"/factors/"+fid, nil), 404, "E0000007")
		wantError(t, "verify another user's factor", ts.mgmt(t, http.MethodPost, "/api/v1/users/"+other.ID+"/factors/"+fid+"/verify", map[string]any{"passCode": totpCode(t, sharedSecret, now)}), 404, "E0000007")
		wantError(t, "delete another user's factor", ts.mgmt(t, http.MethodDelete, "/api/v1/users/"+other.ID+"/factors/"+fid, nil), 404, "E0000007")

		// Wrong codes lock the factor: even the right code is refused until
		// the lockout has passed. (Three wrong codes were counted above.)
		for i := 0; i < 2; i++ {
			wantError(t, "wrong code", verify(wrongCode(totpCode(t, sharedSecret, now))), 403, "E0000068")
		}
		wantError(t, "right code while locked", verify(totpCode(t, sharedSecret, now)), 403, "E0000069")
		clock.add(16 * time.Minute)
		now = clock.now()
		if a := verify(totpCode(t, sharedSecret, now)); a.status != 200 {
			t.Fatalf("code after the lockout: %d %s", a.status, a.body)
		}

		list := ts.mgmt(t, http.MethodGet, base, nil).list(t)
		if len(list) != 1 || list[0]["id"] != fid || list[0]["status"] != "ACTIVE" {
			t.Fatalf("factors: %v", list)
		}
		if cat := ts.mgmt(t, http.MethodGet, base+"/catalog", nil).list(t); cat[0]["status"] != "ACTIVE" {
			t.Fatalf("catalog after enrolment: %v", cat)
		}
		for _, ev := range []string{"user.mfa.factor.update", "user.mfa.factor.activate", "user.authentication.auth_via_mfa", "user.mfa.factor.suspend"} {
			if evs := ts.mgmt(t, http.MethodGet, "/api/v1/logs?since=2020-01-01T00:00:00.000Z&filter="+urlQuery(`eventType eq "`+ev+`"`), nil).list(t); len(evs) == 0 {
				t.Errorf("no %s event in the System Log", ev)
			}
		}
		failures := ts.mgmt(t, http.MethodGet, "/api/v1/logs?since=2020-01-01T00:00:00.000Z&filter="+urlQuery(`eventType eq "user.authentication.auth_via_mfa" and outcome.result eq "FAILURE"`), nil).list(t)
		if len(failures) < 5 {
			t.Errorf("%d failed verifications logged, want at least 5", len(failures))
		}

		if a := ts.mgmt(t, http.MethodDelete, base+"/"+fid, nil); a.status != http.StatusNoContent {
			t.Fatalf("delete factor: %d %s", a.status, a.body)
		}
		wantError(t, "delete twice", ts.mgmt(t, http.MethodDelete, base+"/"+fid, nil), 404, "E0000007")
		ts.enrollTOTP(t, u.ID)
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+u.ID+"/lifecycle/reset_factors", nil); a.status != 200 {
			t.Fatalf("reset factors: %d %s", a.status, a.body)
		}
		if list := ts.mgmt(t, http.MethodGet, base, nil).list(t); len(list) != 0 {
			t.Fatalf("factors after reset: %v", list)
		}
	})
}

// wrongCode is a six-digit code other than c.
func wrongCode(c string) string {
	b := []byte(c)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}
