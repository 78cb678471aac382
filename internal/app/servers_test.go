package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

// TestAuthorizationServersAPI covers /api/v1/authorizationServers (§4.2) and
// what a new server serves.
func TestAuthorizationServersAPI(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		const base = "/api/v1/authorizationServers"
		a := ts.mgmt(t, http.MethodPost, base, map[string]any{"name": "OpenMetadata", "description": "for OM",
			"audiences": []string{"0oaSPAclientID"}, "issuerMode": "ORG_URL"})
		if a.status != 201 {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		srv := a.json(t)
		id := srv["id"].(string)
		// q matches the start of the name, ignoring case; pages count matches.
		for q, want := range map[string]int{"open": 1, "OPENMETA": 1, "def": 1, "metadata": 0} {
			if l := ts.mgmt(t, http.MethodGet, base+"?q="+q, nil); l.status != 200 || len(l.list(t)) != want {
				t.Errorf("q=%s: %d %s", q, l.status, l.body)
			}
		}
		signing := srv["credentials"].(map[string]any)["signing"].(map[string]any)
		if !strings.HasPrefix(id, "aus") || len(id) != 20 || srv["issuer"] != ts.URL+"/oauth2/"+id || srv["default"] != false ||
			srv["status"] != "ACTIVE" || signing["rotationMode"] != "AUTO" || signing["kid"] == "" || signing["nextRotation"] == nil {
			t.Fatalf("server: %s", a.body)
		}
		for name, body := range map[string]map[string]any{
			"no name":        {"audiences": []string{"a"}},
			"no audience":    {"name": "x"},
			"two audiences":  {"name": "x", "audiences": []string{"a", "b"}},
			"bad URI":        {"name": "x", "audiences": []string{"::nope"}},
			"bad issuerMode": {"name": "x", "audiences": []string{"a"}, "issuerMode": "SOMETIMES"},
		} {
			if r := ts.mgmt(t, http.MethodPost, base, body); r.status != 400 || r.json(t)["errorCode"] != "E0000001" {
				t.Errorf("%s: %d %s", name, r.status, r.body)
			}
		}
		// It has Okta's system claims, which cannot be deleted.
		var claims []map[string]any
		if err := json.Unmarshal(ts.mgmt(t, http.MethodGet, base+"/"+id+"/claims", nil).body, &claims); err != nil {
			t.Fatal(err)
		}
		byName := map[string]map[string]any{}
		for _, c := range claims {
			byName[c["name"].(string)] = c
		}
		for _, n := range []string{"sub", "address", "birthdate", "email", "email_verified", "family_name", "gender", "given_name", "locale",
			"middle_name", "name", "nickname", "phone_number", "picture", "preferred_username", "profile", "updated_at", "website", "zoneinfo"} {
			if c := byName[n]; c == nil || c["system"] != true {
				t.Errorf("system claim %s: %v", n, c)
			}
		}
		if c := byName["sub"]; c == nil || c["claimType"] != "RESOURCE" {
			t.Fatalf("sub claim: %v", c)
		} else if d := ts.mgmt(t, http.MethodDelete, base+"/"+id+"/claims/"+c["id"].(string), nil); d.status != 403 {
			t.Fatalf("deleting the sub claim: %d %s", d.status, d.body)
		}
		if c := byName["email"]; c == nil || c["claimType"] != "IDENTITY" || !reflect.DeepEqual(c["conditions"], map[string]any{"scopes": []any{"email"}}) {
			t.Fatalf("email claim: %v", c)
		}

		// The new server is discoverable and issues tokens for its audience.
		disc := ts.do(t, http.MethodGet, "/oauth2/"+id+"/.well-known/openid-configuration", "", "", nil)
		if disc.status != 200 || disc.json(t)["issuer"] != ts.URL+"/oauth2/"+id {
			t.Fatalf("discovery: %d %s", disc.status, disc.body)
		}
		ts.createScope(t, id, "om:read", true)
		clientID, key, kid := ts.serviceApp(t, "om-bot")
		tokenURL := tokenclient.TokenURL(ts.URL, id)
		ctx := context.Background()
		// The default policy of `default` does not cover a new server.
		_, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, ts.assertion(t, clientID, key, kid, tokenURL), "")
		expectOAuthError(t, err, 401, "access_denied", "Policy evaluation failed for this request, please check the policy configurations.")
		p := ts.mgmt(t, http.MethodPost, base+"/"+id+"/policies", map[string]any{"name": "bot", "conditions": map[string]any{"clients": map[string]any{"include": []string{clientID}}}})
		if p.status != 201 {
			t.Fatalf("policy: %d %s", p.status, p.body)
		}
		rule := ts.mgmt(t, http.MethodPost, base+"/"+id+"/policies/"+p.json(t)["id"].(string)+"/rules", map[string]any{"name": "cc", "type": "RESOURCE_ACCESS",
			"conditions": map[string]any{"grantTypes": map[string]any{"include": []string{"client_credentials"}}, "scopes": map[string]any{"include": []string{"*"}},
				"people": map[string]any{"groups": map[string]any{"include": []string{"EVERYONE"}}}}})
		if rule.status != 201 {
			t.Fatalf("rule: %d %s", rule.status, rule.body)
		}
		tok, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, ts.assertion(t, clientID, key, kid, tokenURL), "")
		if err != nil {
			t.Fatal(err)
		}
		if c := decodeClaims(t, tok.AccessToken); c["iss"] != ts.URL+"/oauth2/"+id || c["aud"] != "0oaSPAclientID" {
			t.Fatalf("claims %v", c)
		}

		// Key rotation: the old token still verifies, new tokens carry the new kid.
		rot := ts.mgmt(t, http.MethodPost, base+"/"+id+"/credentials/lifecycle/keyRotate", map[string]string{"use": "sig"})
		var keys []map[string]any
		if err := json.Unmarshal(rot.body, &keys); err != nil || rot.status != 200 || len(keys) != 2 {
			t.Fatalf("rotate: %d %s", rot.status, rot.body)
		}
		status := map[string]string{}
		for _, k := range keys {
			status[k["kid"].(string)] = k["status"].(string)
		}
		oldKID := decodeHeader(t, tok.AccessToken)["kid"]
		if status[oldKID] != "EXPIRED" {
			t.Fatalf("old key %s: %v", oldKID, status)
		}
		if bad := ts.mgmt(t, http.MethodPost, base+"/"+id+"/credentials/lifecycle/keyRotate", map[string]string{"use": "enc"}); bad.status != 400 || bad.json(t)["errorSummary"] != "Api validation failed: rotateKeys" {
			t.Fatalf("bad use: %d %s", bad.status, bad.body)
		}
		tok2, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, ts.assertion(t, clientID, key, kid, tokenURL), "")
		if err != nil {
			t.Fatal(err)
		}
		newKID := decodeHeader(t, tok2.AccessToken)["kid"]
		if newKID == oldKID || status[newKID] != "ACTIVE" {
			t.Fatalf("new token kid %s, keys %v", newKID, status)
		}
		provider, err := oidc.NewProvider(oidc.ClientContext(ctx, ts.HTTP), ts.URL+"/oauth2/"+id)
		if err != nil {
			t.Fatal(err)
		}
		v := provider.Verifier(&oidc.Config{SkipClientIDCheck: true})
		for _, tk := range []string{tok.AccessToken, tok2.AccessToken} {
			if _, err := v.Verify(oidc.ClientContext(ctx, ts.HTTP), tk); err != nil {
				t.Fatalf("token signed before/after rotation does not verify: %v", err)
			}
		}

		// Lifecycle: an inactive server answers 404 on its OAuth endpoints.
		if d := ts.mgmt(t, http.MethodPost, base+"/"+id+"/lifecycle/deactivate", nil); d.status != 204 || len(d.body) != 0 {
			t.Fatalf("deactivate: %d %s", d.status, d.body)
		}
		if r := ts.do(t, http.MethodGet, "/oauth2/"+id+"/v1/keys", "", "", nil); r.status != 404 || r.json(t)["errorCode"] != "E0000007" {
			t.Fatalf("keys of an inactive server: %d %s", r.status, r.body)
		}
		if g := ts.mgmt(t, http.MethodGet, base+"/"+id, nil).json(t); g["status"] != "INACTIVE" || g["_links"].(map[string]any)["activate"] == nil {
			t.Fatalf("inactive server: %v", g)
		}
		// Update, list, delete; the default server stays.
		put := ts.mgmt(t, http.MethodPut, base+"/"+id, map[string]any{"name": "OM", "audiences": []string{"api://om"}, "credentials": map[string]any{"signing": map[string]any{"rotationMode": "MANUAL"}}})
		if m := put.json(t); put.status != 200 || m["name"] != "OM" || m["credentials"].(map[string]any)["signing"].(map[string]any)["nextRotation"] != nil {
			t.Fatalf("put: %d %s", put.status, put.body)
		}
		var list []map[string]any
		if err := json.Unmarshal(ts.mgmt(t, http.MethodGet, base, nil).body, &list); err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 {
			t.Fatalf("list: %v", list)
		}
		if d := ts.mgmt(t, http.MethodDelete, base+"/default", nil); d.status != 403 {
			t.Fatalf("delete default: %d %s", d.status, d.body)
		}
		if d := ts.mgmt(t, http.MethodDelete, base+"/"+id, nil); d.status != 204 {
			t.Fatalf("delete: %d %s", d.status, d.body)
		}
		if g := ts.mgmt(t, http.MethodGet, base+"/"+id, nil); g.status != 404 || g.json(t)["errorCode"] != "E0000007" {
			t.Fatalf("after delete: %d %s", g.status, g.body)
		}
	})
}

func decodeHeader(t *testing.T, jwt string) map[string]string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestScheduledKeyRotation: an AUTO server publishes its next key a week
// before the rotation is due, then signs with it; the old key stays
// published.
func TestScheduledKeyRotation(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ctx := context.Background()
		ts.createScope(t, "default", "sched:read", true)
		clientID, key, kid := ts.serviceApp(t, "sched")
		tokenURL := tokenclient.TokenURL(ts.URL, "default")
		mint := func() string {
			t.Helper()
			tok, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, ts.assertion(t, clientID, key, kid, tokenURL), "")
			if err != nil {
				t.Fatal(err)
			}
			return decodeHeader(t, tok.AccessToken)["kid"]
		}
		published := func() map[string]bool {
			var set struct {
				Keys []map[string]any `json:"keys"`
			}
			if err := json.Unmarshal(ts.do(t, http.MethodGet, "/oauth2/default/v1/keys", "", "", nil).body, &set); err != nil {
				t.Fatal(err)
			}
			out := map[string]bool{}
			for _, k := range set.Keys {
				out[k["kid"].(string)] = true
			}
			return out
		}
		srv, err := ts.App.Store.AuthServers().Get(ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		first := mint()
		// Long before the rotation: nothing happens.
		if err := ts.App.Service.AutoRotate(ctx, srv.NextRotation.Add(-30*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if len(published()) != 1 {
			t.Fatalf("keys published early: %v", published())
		}
		// Three days before: the next key is published, not yet signing; twice is once.
		for i := 0; i < 2; i++ {
			if err := ts.App.Service.AutoRotate(ctx, srv.NextRotation.Add(-3*24*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		keys := published()
		if len(keys) != 2 || mint() != first {
			t.Fatalf("next key: published %v, signing %s", keys, first)
		}
		var next string
		for k := range keys {
			if k != first {
				next = k
			}
		}
		// Due: the next key signs, the old one is still published.
		if err := ts.App.Service.AutoRotate(ctx, srv.NextRotation.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got := mint(); got != next {
			t.Fatalf("after rotation signing with %s, want %s", got, next)
		}
		if keys := published(); !keys[first] || !keys[next] {
			t.Fatalf("after rotation published %v", keys)
		}
		after, err := ts.App.Store.AuthServers().Get(ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		if !after.NextRotation.After(srv.NextRotation) {
			t.Fatalf("next rotation not rescheduled: %v", after.NextRotation)
		}
	})
}
