package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

var credentialCases = []testCase{
	{"Keys", testKeys},
	{"APITokens", testAPITokens},
}

func newKey(serverID, kid string, created time.Duration) *store.SigningKey {
	return &store.SigningKey{KID: kid, ServerID: serverID, Alg: "RS256", Use: "sig", Status: "ACTIVE",
		PublicJWK:     []byte(`{"kty":"RSA","kid":"` + kid + `","n":"abc","e":"AQAB"}`),
		PrivateSealed: []byte{0, 0xfe, 0xff, 1, 2, 3, 0},
		Created:       at(created), Activated: at(created + time.Minute), RetireAt: at(created + 24*time.Hour)}
}

func testKeys(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	k := newKey("default", "k-b", time.Hour)
	ok(t, s.Keys().Create(ctx, k), "create key")
	conflict(t, s.Keys().Create(ctx, newKey("aus2", "k-b", 0)), "create key with a taken kid")
	ok(t, s.Keys().Create(ctx, newKey("default", "k-a", 2*time.Hour)), "create newer key")
	ok(t, s.Keys().Create(ctx, newKey("default", "k-c", 0)), "create older key")
	ok(t, s.Keys().Create(ctx, newKey("default", "k-0", 0)), "create key created at the same time")
	ok(t, s.Keys().Create(ctx, newKey(store.OrgServerID, "k-org", 0)), "create org key")

	list, err := s.Keys().List(ctx, "default")
	ok(t, err, "list keys")
	sameStrings(t, ids(list, func(k *store.SigningKey) string { return k.KID }), []string{"k-0", "k-c", "k-b", "k-a"}, "keys by creation")
	same(t, list[2], k, "listed key")
	all, err := s.Keys().ListAll(ctx)
	ok(t, err, "list all keys")
	sameStrings(t, ids(all, func(k *store.SigningKey) string { return k.ServerID + "/" + k.KID }),
		[]string{"default/k-0", "default/k-c", "default/k-b", "default/k-a", "org/k-org"}, "all keys")
	none, err := s.Keys().List(ctx, "ausnope")
	ok(t, err, "list keys of an unknown server")
	if len(none) != 0 {
		t.Fatalf("unknown server has %d keys", len(none))
	}

	// A NEXT key becomes ACTIVE, then EXPIRED.
	n := &store.SigningKey{KID: "k-next", ServerID: "default", Alg: "RS256", Use: "sig", Status: "NEXT",
		PublicJWK: []byte(`{}`), PrivateSealed: []byte{1}, Created: at(0)}
	ok(t, s.Keys().Create(ctx, n), "create NEXT key")
	list, err = s.Keys().List(ctx, "default")
	ok(t, err, "list keys")
	same(t, list[2], n, "NEXT key with zero activation")
	n.Status, n.Activated = "ACTIVE", at(time.Minute)
	ok(t, s.Keys().Update(ctx, n), "activate key")
	n.Status, n.RetireAt, n.PublicJWK, n.PrivateSealed = "EXPIRED", at(time.Hour), []byte(`{"kty":"RSA"}`), nil
	ok(t, s.Keys().Update(ctx, n), "expire key")
	list, err = s.Keys().List(ctx, "default")
	ok(t, err, "list keys")
	same(t, list[2], n, "updated key")
	notFound(t, s.Keys().Update(ctx, newKey("default", "k-nope", 0)), "update missing key")

	ok(t, s.Keys().Delete(ctx, k.KID), "delete key")
	notFound(t, s.Keys().Delete(ctx, k.KID), "delete key twice")
	list, err = s.Keys().List(ctx, "default")
	ok(t, err, "list keys")
	sameStrings(t, ids(list, func(k *store.SigningKey) string { return k.KID }), []string{"k-0", "k-c", "k-next", "k-a"}, "keys after delete")
}

func newToken(id, userID, secret string) *store.APIToken {
	h := sha256.Sum256([]byte(secret))
	return &store.APIToken{ID: id, Name: "token " + id, UserID: userID, ClientName: "Okta API",
		TokenHash: h[:], Created: at(0), LastUsed: at(time.Minute), ExpiresAt: at(30 * 24 * time.Hour), LastUpdated: at(time.Second)}
}

func testAPITokens(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	tok := newToken("00T1", "00u1", "secret-1")
	ok(t, s.APITokens().Create(ctx, tok), "create token")
	got, err := s.APITokens().Get(ctx, tok.ID)
	ok(t, err, "get token")
	same(t, got, tok, "token")
	h := sha256.Sum256([]byte("secret-1"))
	got, err = s.APITokens().GetByHash(ctx, h[:])
	ok(t, err, "get token by hash")
	same(t, got, tok, "token by hash")
	h2 := sha256.Sum256([]byte("secret-2"))
	_, err = s.APITokens().GetByHash(ctx, h2[:])
	notFound(t, err, "get token by an unknown hash")
	_, err = s.APITokens().Get(ctx, "00Tnope")
	notFound(t, err, "get missing token")
	conflict(t, s.APITokens().Create(ctx, newToken("00T2", "00u1", "secret-1")), "create token with a taken hash")
	conflict(t, s.APITokens().Create(ctx, newToken("00T1", "00u1", "secret-x")), "create token with a taken id")

	// Touch records the use and slides the expiry, and nothing else.
	ok(t, s.APITokens().Touch(ctx, tok.ID, at(time.Hour), at(31*24*time.Hour)), "touch token")
	tok.LastUsed, tok.ExpiresAt = at(time.Hour), at(31*24*time.Hour)
	got, err = s.APITokens().Get(ctx, tok.ID)
	ok(t, err, "get touched token")
	same(t, got, tok, "touched token")
	notFound(t, s.APITokens().Touch(ctx, "00Tnope", at(0), at(0)), "touch missing token")

	var want []string
	for i, id := range mixedIDs("00T") {
		user := "00u2"
		if i%2 == 0 {
			user = "00u1"
		}
		ok(t, s.APITokens().Create(ctx, newToken(id, user, "s-"+id)), "create token %s", id)
		want = append(want, id)
	}
	walked := walk(t, 3, func(p store.Page) ([]string, error) {
		ts, err := s.APITokens().List(ctx, p)
		return ids(ts, func(t *store.APIToken) string { return t.ID }), err
	})
	sameStrings(t, walked, sorted(append(want, tok.ID)), "tokens walked")

	ok(t, s.APITokens().Delete(ctx, tok.ID), "delete token")
	_, err = s.APITokens().Get(ctx, tok.ID)
	notFound(t, err, "get deleted token")
	notFound(t, s.APITokens().Delete(ctx, tok.ID), "delete token twice")

	ok(t, s.APITokens().DeleteByUser(ctx, "00u1"), "delete tokens of a user")
	ok(t, s.APITokens().DeleteByUser(ctx, "00unope"), "delete tokens of a user without any")
	left, err := s.APITokens().List(ctx, store.Page{})
	ok(t, err, "list tokens")
	for _, tk := range left {
		if tk.UserID != "00u2" {
			t.Fatalf("token %s of %s survived DeleteByUser", tk.ID, tk.UserID)
		}
	}
	if len(left) != len(want)/2 {
		t.Fatalf("%d tokens left, want %d", len(left), len(want)/2)
	}
}
