package app

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// softKey is a software WebAuthn authenticator: an ES256 key that answers
// navigator.credentials.create (attestation "none") and .get as a
// browser with a security key would, for whatever origin it is told.
type softKey struct {
	priv  *ecdsa.PrivateKey
	id    []byte
	count uint32
}

func newSoftKey(t *testing.T) *softKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &softKey{priv: priv, id: secret.RawBytes(32), count: 1}
}

var b64u = base64.RawURLEncoding

type waOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

var waOptionsAttr = regexp.MustCompile(`data-options="([^"]+)"`)

func pageOptions(t *testing.T, p page) waOptions {
	t.Helper()
	var o waOptions
	if err := json.Unmarshal([]byte(html.UnescapeString(field(t, waOptionsAttr, p.body))), &o); err != nil {
		t.Fatalf("options: %v", err)
	}
	return o
}

func (k *softKey) clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

func (k *softKey) authData(rpID string, flags byte, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append([]byte{}, h[:]...)
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, k.count)
	return append(out, attested...)
}

// create answers a registration for origin.
func (k *softKey) create(t *testing.T, o waOptions, origin string) string {
	t.Helper()
	x, y := k.priv.PublicKey.X.FillBytes(make([]byte, 32)), k.priv.PublicKey.Y.FillBytes(make([]byte, 32))
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		t.Fatal(err)
	}
	att := make([]byte, 16) // AAGUID
	att = binary.BigEndian.AppendUint16(att, uint16(len(k.id)))
	att = append(append(att, k.id...), cose...)
	obj, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": k.authData(o.PublicKey.RP.ID, 0x45, att)})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{"id": b64u.EncodeToString(k.id), "rawId": b64u.EncodeToString(k.id), "type": "public-key",
		"clientExtensionResults": map[string]any{}, "authenticatorAttachment": "cross-platform",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(k.clientData("webauthn.create", o.PublicKey.Challenge, origin)),
			"attestationObject": b64u.EncodeToString(obj), "transports": []string{"usb"}}})
	return string(out)
}

// get answers an assertion for origin with the key's next counter
// (bump false: the same counter as last time, as a clone would).
func (k *softKey) get(t *testing.T, o waOptions, origin, userHandle string, bump bool) string {
	t.Helper()
	if bump {
		k.count++
	}
	ad := k.authData(o.PublicKey.RPID, 0x05, nil)
	cd := k.clientData("webauthn.get", o.PublicKey.Challenge, origin)
	cdh := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdh[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{"id": b64u.EncodeToString(k.id), "rawId": b64u.EncodeToString(k.id), "type": "public-key",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "authenticatorData": b64u.EncodeToString(ad),
			"signature": b64u.EncodeToString(sig), "userHandle": b64u.EncodeToString([]byte(userHandle))}})
	return string(out)
}

// postCredential submits the passkey form of a ceremony page.
func (b *browser) postCredential(t *testing.T, p page, cred string) page {
	t.Helper()
	return b.post(t, b.ts.Addr+"/login/factor/webauthn", url.Values{"csrf": {field(t, csrfField, p.body)},
		"stateToken": {field(t, stateField, p.body)}, "credential": {cred}})
}

// TestWebAuthnSignIn enrols a passkey on the hosted page at the first
// sign-in the policy asks for, then signs in with it, on both backends,
// with a software authenticator; and refuses an assertion made for another
// origin, a counter that did not grow, a replayed answer and another
// user's passkey.
func TestWebAuthnSignIn(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		clock := &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)}
		sealer, err := keys.NewSealer(secret.RawBytes(32))
		if err != nil {
			t.Fatal(err)
		}
		// WebAuthn relying parties are domains, not IP addresses.
		localhost := func(c *config.Config) { c.URL = strings.Replace(c.URL, "127.0.0.1", "localhost", 1) }
		ts := serveReplicaWith(t, open(t), sealer, "", true, []func(*config.Config){localhost}, []Option{WithClock(clock.now)})
		origin := strings.Replace(ts.Addr, "127.0.0.1", "localhost", 1)
		ada := ts.newUser(t, "ada@example.com")
		bob := ts.newUser(t, "bob@example.com")
		ts.requireMFA(t, "", "ALWAYS", 0)

		signIn := func(b *browser, login string) page {
			lp := b.follow(t, b.get(t, ts.Addr+"/login/login.htm"))
			return b.submitLogin(t, lp, login, "Correct-Horse-42")
		}
		enrol := func(login string, k *softKey) {
			b := newBrowser(t, ts)
			p := signIn(b, login)
			if !strings.Contains(p.body, `id="factor-enroll-passkey"`) {
				t.Fatalf("no passkey enrolment offered: %d %s", p.status, p.body)
			}
			p = b.factorForm(t, p, "/login/factor/enroll", url.Values{"factorType": {"webauthn"}})
			if p.status != 200 || !strings.Contains(p.body, `data-mode="create"`) || !strings.Contains(p.header.Get("Content-Security-Policy"), "script-src 'nonce-") {
				t.Fatalf("registration page: %d %v %s", p.status, p.header, p.body)
			}
			o := pageOptions(t, p)
			if o.PublicKey.RP.ID != "localhost" {
				t.Fatalf("rp id %q", o.PublicKey.RP.ID)
			}
			done := b.postCredential(t, p, k.create(t, o, origin))
			if done.status != 200 || !strings.Contains(done.body, `id="recovery-codes"`) || !strings.Contains(done.body, login) {
				t.Fatalf("enrolment: %d %s", done.status, done.body)
			}
		}
		ka, kb := newSoftKey(t), newSoftKey(t)
		enrol("ada@example.com", ka)
		enrol("bob@example.com", kb)

		fs := ts.mgmt(t, http.MethodGet, "/api/v1/users/"+ada.ID+"/factors", nil).list(t)
		if len(fs) != 1 || fs[0]["factorType"] != "webauthn" || fs[0]["provider"] != "FIDO" || fs[0]["status"] != "ACTIVE" ||
			dig(fs[0], "profile", "credentialId") != b64u.EncodeToString(ka.id) {
			t.Fatalf("factors: %v", fs)
		}
		stored, err := ts.App.Store.Factors().Get(t.Context(), fs[0]["id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if x := ka.priv.PublicKey.X.FillBytes(make([]byte, 32)); bytes.Contains(stored.SecretSealed, x) {
			t.Fatal("the credential is stored in the clear")
		}

		// ada signs in with her passkey.
		b := newBrowser(t, ts)
		start := func() page {
			p := signIn(b, "ada@example.com")
			if !strings.Contains(p.body, `id="factor-use-webauthn"`) || strings.Contains(p.body, `id="factor-verify"`) {
				t.Fatalf("verify step: %d %s", p.status, p.body)
			}
			p = b.factorForm(t, p, "/login/factor/webauthn/start", nil)
			if !strings.Contains(p.body, `data-mode="get"`) {
				t.Fatalf("assertion page: %d %s", p.status, p.body)
			}
			return p
		}
		refused := func(what string, p page, cred string) {
			t.Helper()
			bad := b.postCredential(t, p, cred)
			if bad.status != 401 || !strings.Contains(bad.body, `id="factor-error"`) || !strings.Contains(bad.body, `id="factor-use-webauthn"`) {
				t.Fatalf("%s: %d %s", what, bad.status, bad.body)
			}
		}
		p := start()
		refused("another origin", p, ka.get(t, pageOptions(t, p), "http://evil.example", ada.ID, true))
		p = start()
		refused("bob's passkey", p, kb.get(t, pageOptions(t, p), origin, bob.ID, true))
		p = start()
		good := ka.get(t, pageOptions(t, p), origin, ada.ID, true)
		done := b.postCredential(t, p, good)
		if done.status != 200 || !strings.Contains(done.body, "Signed in as ada@example.com") {
			t.Fatalf("passkey sign-in: %d %s", done.status, done.body)
		}
		if again := b.postCredential(t, p, good); again.status != 401 || !strings.Contains(again.body, `id="okta-signin-username"`) {
			t.Fatalf("the spent ceremony: %d %s", again.status, again.body)
		}
		p = start()
		refused("a replayed answer", p, good)
		p = start()
		refused("a counter that did not grow", p, ka.get(t, pageOptions(t, p), origin, ada.ID, false))
		p = start()
		if done := b.postCredential(t, p, ka.get(t, pageOptions(t, p), origin, ada.ID, true)); done.status != 200 {
			t.Fatalf("passkey sign-in after the refusals: %d %s", done.status, done.body)
		}

		sess := b.get(t, ts.Addr+"/api/v1/sessions/me")
		var m map[string]any
		if err := json.Unmarshal([]byte(sess.body), &m); err != nil {
			t.Fatal(err)
		}
		if amr, _ := m["amr"].([]any); !slices.Equal(toStrings(amr), []string{"pwd", "hwk", "mfa"}) {
			t.Fatalf("session amr: %s", sess.body)
		}
		if logs := ts.mgmt(t, http.MethodGet, "/api/v1/logs?since="+longAgo+"&until="+farFuture+"&filter="+
			url.QueryEscape(`eventType eq "user.authentication.auth_via_mfa" and outcome.reason eq "SIGN_COUNTER_NOT_INCREASED"`), nil).list(t); len(logs) == 0 {
			t.Fatal("no System Log event for the counter")
		}
	})
}

// TestAuthnWebAuthn enrols and verifies a webauthn factor through the
// Authentication API in Okta's shapes (activation options, {attestation,
// clientData}; challenge, {clientData, authenticatorData, signatureData}),
// on both backends, and refuses an assertion for another origin and a
// spent stateToken.
func TestAuthnWebAuthn(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		sealer, err := keys.NewSealer(secret.RawBytes(32))
		if err != nil {
			t.Fatal(err)
		}
		localhost := func(c *config.Config) { c.URL = strings.Replace(c.URL, "127.0.0.1", "localhost", 1) }
		ts := serveReplicaWith(t, open(t), sealer, "", true, []func(*config.Config){localhost}, nil)
		origin := strings.Replace(ts.Addr, "127.0.0.1", "localhost", 1)
		ada := ts.newUser(t, "ada@example.com")
		ts.requireMFA(t, "", "ALWAYS", 0)
		k := newSoftKey(t)
		login := func() (int, map[string]any) {
			return ts.authnCall(t, "/api/v1/authn", map[string]any{"username": "ada@example.com", "password": "Correct-Horse-42"})
		}

		st, m := login()
		tok := wantState(t, "first", st, m, "MFA_ENROLL")
		st, m = ts.authnCall(t, "/api/v1/authn/factors", map[string]any{"stateToken": tok, "factorType": "webauthn", "provider": "FIDO"})
		tok = wantState(t, "enrol webauthn", st, m, "MFA_ENROLL_ACTIVATE")
		factor := dig(m, "_embedded", "factor").(map[string]any)
		fid := factor["id"].(string)
		act, _ := dig(factor, "_embedded", "activation").(map[string]any)
		if act == nil || dig(act, "rp", "id") != "localhost" || act["challenge"] == nil || dig(m, "_links", "next", "href") != strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)+"/api/v1/authn/factors/"+fid+"/lifecycle/activate" {
			t.Fatalf("activation: %v", m)
		}
		var o waOptions
		raw, _ := json.Marshal(map[string]any{"publicKey": act})
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		var created struct {
			Response struct {
				ClientDataJSON    string `json:"clientDataJSON"`
				AttestationObject string `json:"attestationObject"`
			} `json:"response"`
		}
		if err := json.Unmarshal([]byte(k.create(t, o, origin)), &created); err != nil {
			t.Fatal(err)
		}
		activate := "/api/v1/authn/factors/" + fid + "/lifecycle/activate"
		st, m = ts.authnCall(t, activate, map[string]any{"stateToken": tok})
		wantAuthnError(t, "activate without an attestation", st, m, 400, "E0000001")
		st, m = ts.authnCall(t, activate, map[string]any{"stateToken": tok, "attestation": created.Response.AttestationObject, "clientData": created.Response.ClientDataJSON})
		wantState(t, "activate", st, m, "SUCCESS")
		st, m = ts.authnCall(t, activate, map[string]any{"stateToken": tok, "attestation": created.Response.AttestationObject, "clientData": created.Response.ClientDataJSON})
		wantAuthnError(t, "activate twice", st, m, 401, "E0000011")

		// Verify: MFA_REQUIRED → MFA_CHALLENGE → SUCCESS.
		st, m = login()
		tok = wantState(t, "second", st, m, "MFA_REQUIRED")
		verify := "/api/v1/authn/factors/" + fid + "/verify"
		st, m = ts.authnCall(t, verify, map[string]any{"stateToken": tok})
		tok = wantState(t, "challenge", st, m, "MFA_CHALLENGE")
		ch, _ := dig(m, "_embedded", "factor", "_embedded", "challenge", "challenge").(string)
		if ch == "" || dig(m, "_embedded", "factor", "profile", "credentialId") != b64u.EncodeToString(k.id) {
			t.Fatalf("challenge: %v", m)
		}
		var vo waOptions
		vo.PublicKey.Challenge, vo.PublicKey.RPID = ch, "localhost"
		assertion := func(origin string) map[string]any {
			var a struct {
				Response map[string]string `json:"response"`
			}
			if err := json.Unmarshal([]byte(k.get(t, vo, origin, ada.ID, true)), &a); err != nil {
				t.Fatal(err)
			}
			return map[string]any{"stateToken": tok, "clientData": a.Response["clientDataJSON"],
				"authenticatorData": a.Response["authenticatorData"], "signatureData": a.Response["signature"]}
		}
		st, m = ts.authnCall(t, verify, assertion("http://evil.example"))
		wantAuthnError(t, "another origin", st, m, 403, "E0000068")
		st, m = ts.authnCall(t, verify, assertion(origin))
		wantState(t, "verify", st, m, "SUCCESS")
		st, m = ts.authnCall(t, verify, assertion(origin))
		wantAuthnError(t, "the spent stateToken", st, m, 401, "E0000011")
	})
}
