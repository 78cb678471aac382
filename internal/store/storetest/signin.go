package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

var signinCases = []testCase{
	{"LoginFailures", testLoginFailures},
	{"Sessions", testSessions},
	{"Codes", testCodes},
	{"CodesConcurrent", testCodesConcurrent},
	{"RefreshTokens", testRefreshTokens},
	{"RefreshRotationConcurrent", testRefreshRotationConcurrent},
	{"TokenFamilies", testTokenFamilies},
	{"UserGrants", testUserGrants},
}

func testLoginFailures(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	u := newUser("00u1", "ada@example.com")
	ok(t, s.Users().Create(ctx, u), "create user")
	for i := 1; i <= 2; i++ {
		got, err := s.Users().RecordLoginFailure(ctx, u.ID, 3, at(time.Minute))
		ok(t, err, "failure %d", i)
		if got.FailedLogins != i || got.Status != "ACTIVE" {
			t.Fatalf("after %d failures: %d %s", i, got.FailedLogins, got.Status)
		}
	}
	got, err := s.Users().RecordLoginFailure(ctx, u.ID, 3, at(time.Hour))
	ok(t, err, "third failure")
	if got.Status != "LOCKED_OUT" || !got.StatusChanged.Equal(at(time.Hour).Truncate(time.Millisecond)) {
		t.Fatalf("third failure: %s at %v", got.Status, got.StatusChanged)
	}
	// A locked user keeps its lock time however many more failures come.
	got, _ = s.Users().RecordLoginFailure(ctx, u.ID, 3, at(2*time.Hour))
	if !got.StatusChanged.Equal(at(time.Hour).Truncate(time.Millisecond)) || got.FailedLogins != 4 {
		t.Fatalf("fourth failure moved the lock: %v %d", got.StatusChanged, got.FailedLogins)
	}
	ok(t, s.Users().RecordLogin(ctx, u.ID, at(3*time.Hour)), "record login")
	got, _ = s.Users().Get(ctx, u.ID)
	if got.FailedLogins != 0 || !got.LastLogin.Equal(at(3*time.Hour).Truncate(time.Millisecond)) {
		t.Fatalf("after a login: %d %v", got.FailedLogins, got.LastLogin)
	}
	// lockAfter 0 never locks; concurrent failures all count.
	v := newUser("00u2", "bob@example.com")
	ok(t, s.Users().Create(ctx, v), "create user")
	errs := race(20, func(int) error { _, err := s.Users().RecordLoginFailure(ctx, v.ID, 0, at(0)); return err })
	for _, err := range errs {
		ok(t, err, "concurrent failure")
	}
	got, _ = s.Users().Get(ctx, v.ID)
	if got.FailedLogins != 20 || got.Status != "ACTIVE" {
		t.Fatalf("20 concurrent failures: %d %s", got.FailedLogins, got.Status)
	}
	_, err = s.Users().RecordLoginFailure(ctx, "00unope", 3, at(0))
	notFound(t, err, "failure of an unknown user")
}

func testSessions(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	ok(t, s.Users().Create(ctx, newUser("00u1", "ada@example.com")), "create user")
	x := &store.Session{ID: "102a", TokenHash: []byte("hash-a"), UserID: "00u1", AMR: []string{"pwd"}, Created: at(0),
		LastPasswordVerification: at(0), LastActive: at(0), IdleExpiresAt: at(time.Hour), ExpiresAt: at(24 * time.Hour)}
	ok(t, s.Sessions().Create(ctx, x), "create session")
	conflict(t, s.Sessions().Create(ctx, &store.Session{ID: "102b", TokenHash: []byte("hash-a"), UserID: "00u1", AMR: []string{}}), "duplicate token hash")
	got, err := s.Sessions().GetByTokenHash(ctx, []byte("hash-a"))
	ok(t, err, "get by hash")
	same(t, got, x, "session")
	ok(t, s.Sessions().Touch(ctx, "102a", at(time.Minute), at(2*time.Hour)), "touch")
	got, _ = s.Sessions().Get(ctx, "102a")
	if !got.IdleExpiresAt.Equal(at(2*time.Hour).Truncate(time.Millisecond)) || !got.LastActive.Equal(at(time.Minute).Truncate(time.Millisecond)) {
		t.Fatalf("touch: %+v", got)
	}
	notFound(t, s.Sessions().Touch(ctx, "102nope", at(0), at(0)), "touch unknown")
	ok(t, s.Sessions().Create(ctx, &store.Session{ID: "102c", TokenHash: []byte("hash-c"), UserID: "00u1", AMR: []string{"pwd"},
		IdleExpiresAt: at(time.Minute), ExpiresAt: at(time.Hour)}), "create second session")
	list, err := s.Sessions().ListByUser(ctx, "00u1")
	ok(t, err, "list")
	if len(list) != 2 {
		t.Fatalf("listed %d sessions", len(list))
	}
	n, err := s.Sessions().Purge(ctx, at(30*time.Second))
	ok(t, err, "purge")
	if n != 0 {
		t.Fatalf("purged %d live sessions", n)
	}
	n, _ = s.Sessions().Purge(ctx, at(30*time.Minute))
	if n != 1 {
		t.Fatalf("purged %d sessions idle past their expiry, want 1", n)
	}
	n, err = s.Sessions().DeleteByUser(ctx, "00u1")
	ok(t, err, "delete by user")
	if n != 1 {
		t.Fatalf("deleted %d sessions", n)
	}
	_, err = s.Sessions().GetByTokenHash(ctx, []byte("hash-a"))
	notFound(t, err, "deleted session")
	notFound(t, s.Sessions().Delete(ctx, "102a"), "delete deleted session")
}

func testCodes(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	now := time.Now()
	c := &store.Code{Kind: "code", Hash: []byte("h1"), Data: []byte(`{"a":1}`), Created: now, ExpiresAt: now.Add(time.Minute)}
	ok(t, s.Codes().Create(ctx, c), "create code")
	conflict(t, s.Codes().Create(ctx, c), "duplicate code")
	ok(t, s.Codes().Create(ctx, &store.Code{Kind: "session_token", Hash: []byte("h1"), ExpiresAt: now.Add(time.Minute)}), "same hash, other kind")
	ok(t, s.Codes().SetData(ctx, "code", []byte("h1"), []byte(`{"a":2}`)), "set data")
	got, err := s.Codes().Use(ctx, "code", []byte("h1"), now)
	ok(t, err, "use")
	if string(got.Data) != `{"a":2}` || got.UsedAt.IsZero() {
		t.Fatalf("used code %+v", got)
	}
	got, err = s.Codes().Use(ctx, "code", []byte("h1"), now)
	conflict(t, err, "second use")
	if got == nil || string(got.Data) != `{"a":2}` {
		t.Fatal("a second use does not return what the code stood for")
	}
	notFound(t, s.Codes().SetData(ctx, "code", []byte("h1"), []byte(`{}`)), "set data of a used code")
	ok(t, s.Codes().Create(ctx, &store.Code{Kind: "code", Hash: []byte("old"), Created: now, ExpiresAt: now.Add(-time.Second)}), "create expired")
	_, err = s.Codes().Use(ctx, "code", []byte("old"), now)
	notFound(t, err, "use expired")
	_, err = s.Codes().Use(ctx, "code", []byte("nope"), now)
	notFound(t, err, "use unknown")
	n, err := s.Codes().Purge(ctx, now)
	ok(t, err, "purge")
	if n != 1 {
		t.Fatalf("purged %d codes, want the expired one", n)
	}
}

// Exactly one of many simultaneous redemptions of a code wins; the others
// learn that it was used, not some other error.
func testCodesConcurrent(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	now := time.Now()
	ok(t, s.Codes().Create(ctx, &store.Code{Kind: "code", Hash: []byte("race"), Data: []byte("x"), Created: now, ExpiresAt: now.Add(time.Minute)}), "create")
	errs := race(20, func(int) error { _, err := s.Codes().Use(ctx, "code", []byte("race"), now); return err })
	checkOneWinner(t, errs, "code")
}

func testRefreshTokens(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	rt := &store.RefreshToken{ID: "oar1", Hash: []byte("r1"), FamilyID: "fam1", ServerID: "default", ClientID: "c1", UserID: "00u1",
		Scopes: []string{"openid", "offline_access"}, Data: []byte(`{"x":1}`), Created: at(0), ExpiresAt: at(time.Hour), IdleExpiresAt: at(time.Minute)}
	ok(t, s.RefreshTokens().Create(ctx, rt), "create")
	conflict(t, s.RefreshTokens().Create(ctx, rt), "duplicate")
	got, err := s.RefreshTokens().GetByHash(ctx, []byte("r1"))
	ok(t, err, "get")
	same(t, got, rt, "refresh token")
	won, err := s.RefreshTokens().MarkRotated(ctx, "oar1", at(time.Second))
	ok(t, err, "rotate")
	if !won {
		t.Fatal("first rotation lost")
	}
	ok(t, s.RefreshTokens().Slide(ctx, "oar1", at(30*time.Minute)), "slide")
	notFound(t, s.RefreshTokens().Slide(ctx, "oarNope", at(0)), "slide unknown")
	if got, _ := s.RefreshTokens().GetByHash(ctx, []byte("r1")); !got.IdleExpiresAt.Equal(at(30 * time.Minute).Truncate(time.Millisecond)) {
		t.Fatalf("slid idle expiry %v", got.IdleExpiresAt)
	}
	if won, _ = s.RefreshTokens().MarkRotated(ctx, "oar1", at(2*time.Second)); won {
		t.Fatal("second rotation won")
	}
	got, _ = s.RefreshTokens().GetByHash(ctx, []byte("r1"))
	if !got.RotatedAt.Equal(at(time.Second).Truncate(time.Millisecond)) {
		t.Fatalf("rotated at %v", got.RotatedAt)
	}
	ok(t, s.RefreshTokens().Create(ctx, &store.RefreshToken{ID: "oar2", Hash: []byte("r2"), FamilyID: "fam1", ServerID: "default", ClientID: "c1",
		UserID: "00u1", Scopes: []string{}, Created: at(0), IdleExpiresAt: at(time.Hour)}), "create successor")
	ok(t, s.RefreshTokens().Create(ctx, &store.RefreshToken{ID: "oar3", Hash: []byte("r3"), FamilyID: "fam2", ServerID: "default", ClientID: "c2",
		UserID: "00u1", Scopes: []string{}, Created: at(0), IdleExpiresAt: at(time.Hour)}), "create other family")
	// Live: oar1 was rotated; oar2 and oar3 can be used until their idle
	// expiry, and only on their own server.
	liveIDs := func(server, client string, now time.Time) []string {
		live, err := s.RefreshTokens().Live(ctx, server, client, now)
		ok(t, err, "live tokens")
		ids := []string{}
		for _, l := range live {
			ids = append(ids, l.ID)
		}
		return ids
	}
	sameStrings(t, liveIDs("default", "", at(0)), []string{"oar2", "oar3"}, "live tokens of the server")
	sameStrings(t, liveIDs("default", "c1", at(0)), []string{"oar2"}, "live tokens of one client")
	sameStrings(t, liveIDs("other", "", at(0)), []string{}, "live tokens of another server")
	sameStrings(t, liveIDs("default", "", at(2*time.Hour)), []string{}, "live tokens after their idle expiry")
	now := time.Now()
	for _, a := range []*store.FamilyAccessToken{
		{FamilyID: "fam1", JTI: "AT.1", UserID: "00u1", ClientID: "c1", ExpiresAt: now.Add(time.Hour)},
		{FamilyID: "fam1", JTI: "AT.2", UserID: "00u1", ClientID: "c1", ExpiresAt: now.Add(-time.Hour)},
		{FamilyID: "fam2", JTI: "AT.3", UserID: "00u1", ClientID: "c2", ExpiresAt: now.Add(time.Hour)},
	} {
		ok(t, s.RefreshTokens().RecordAccessToken(ctx, a), "record %s", a.JTI)
	}
	ats, err := s.RefreshTokens().AccessTokens(ctx, "fam1", "", "", now)
	ok(t, err, "family access tokens")
	if len(ats) != 1 || ats[0].JTI != "AT.1" {
		t.Fatalf("family access tokens %+v", ats)
	}
	ats, _ = s.RefreshTokens().AccessTokens(ctx, "", "00u1", "c2", now)
	if len(ats) != 1 || ats[0].JTI != "AT.3" {
		t.Fatalf("user+client access tokens %+v", ats)
	}
	ok(t, s.RefreshTokens().RevokeFamily(ctx, "fam1", at(time.Minute)), "revoke family")
	for hash, revoked := range map[string]bool{"r1": true, "r2": true, "r3": false} {
		got, _ := s.RefreshTokens().GetByHash(ctx, []byte(hash))
		if got.RevokedAt.IsZero() == revoked {
			t.Fatalf("%s revoked=%v after revoking fam1", hash, !got.RevokedAt.IsZero())
		}
	}
	ok(t, s.RefreshTokens().RevokeByUser(ctx, "00u1", "c2", at(time.Minute)), "revoke by user and client")
	got, _ = s.RefreshTokens().GetByHash(ctx, []byte("r3"))
	if got.RevokedAt.IsZero() {
		t.Fatal("RevokeByUser missed a token")
	}
	n, err := s.RefreshTokens().Purge(ctx, at(2*time.Minute))
	ok(t, err, "purge")
	if n < 3 {
		t.Fatalf("purged %d rows, want the 3 revoked tokens at least", n)
	}
	_, err = s.RefreshTokens().GetByHash(ctx, []byte("r1"))
	notFound(t, err, "purged token")
	if _, err := s.RefreshTokens().AccessTokens(ctx, "", "", "", now); err == nil {
		t.Fatal("AccessTokens without a family or user succeeded")
	}
}

// Of many simultaneous rotations of one token exactly one marks it.
func testRefreshRotationConcurrent(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	ok(t, s.RefreshTokens().Create(ctx, &store.RefreshToken{ID: "oarR", Hash: []byte("rr"), FamilyID: "f", ServerID: "default", ClientID: "c",
		UserID: "u", Scopes: []string{}, Created: at(0), IdleExpiresAt: at(time.Hour)}), "create")
	errs := race(20, func(int) error {
		won, err := s.RefreshTokens().MarkRotated(ctx, "oarR", time.Now())
		if err == nil && !won {
			return store.ErrConflict
		}
		return err
	})
	checkOneWinner(t, errs, "rotation")
}

func testUserGrants(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	ok(t, s.Users().Create(ctx, newUser("00u1", "ada@example.com")), "create user")
	g := &store.UserGrant{ID: "oag1", UserID: "00u1", ClientID: "c1", ServerID: "default", Scope: "email", Status: "ACTIVE", Source: "END_USER",
		Created: at(0), LastUpdated: at(0)}
	ok(t, s.UserGrants().Create(ctx, g), "create grant")
	conflict(t, s.UserGrants().Create(ctx, &store.UserGrant{ID: "oag2", UserID: "00u1", ClientID: "c1", ServerID: "default", Scope: "email",
		Status: "ACTIVE", Source: "END_USER"}), "duplicate grant")
	ok(t, s.UserGrants().Create(ctx, &store.UserGrant{ID: "oag3", UserID: "00u1", ClientID: "c2", ServerID: "default", Scope: "email",
		Status: "ACTIVE", Source: "END_USER"}), "other client")
	got, err := s.UserGrants().Get(ctx, "00u1", "oag1")
	ok(t, err, "get")
	same(t, got, g, "grant")
	all, _ := s.UserGrants().List(ctx, "00u1", "")
	one, _ := s.UserGrants().List(ctx, "00u1", "c2")
	if len(all) != 2 || len(one) != 1 || one[0].ID != "oag3" {
		t.Fatalf("lists %d %d", len(all), len(one))
	}
	ok(t, s.UserGrants().DeleteForClient(ctx, "00u1", "c2"), "delete for client")
	notFound(t, s.UserGrants().Delete(ctx, "00u1", "oag3"), "delete deleted")
	ok(t, s.UserGrants().Delete(ctx, "00u1", "oag1"), "delete")
	if _, err := s.UserGrants().Get(ctx, "00u1", "oag1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	// Grants go with their user.
	ok(t, s.UserGrants().Create(ctx, g), "create again")
	ok(t, s.Users().Delete(ctx, "00u1"), "delete user")
	if l, _ := s.UserGrants().List(ctx, "00u1", ""); len(l) != 0 {
		t.Fatalf("grants of a deleted user: %d", len(l))
	}
}

// A family is found for revoking its user's tokens through its refresh
// tokens (kept MaxAccessTokenLife after they expire, as its access tokens
// may live that long) or its own record; revoking it is one record, plus
// the access tokens recorded one by one before migration 1702.
func testTokenFamilies(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	rts := s.RefreshTokens()
	day := store.MaxAccessTokenLife
	for _, rt := range []*store.RefreshToken{
		{ID: "oarA", Hash: []byte("a"), FamilyID: "famA", UserID: "00uF", ClientID: "c1", IdleExpiresAt: at(time.Hour)},
		// Idle-expired, but its access tokens may still be live.
		{ID: "oarB", Hash: []byte("b"), FamilyID: "famB", UserID: "00uF", ClientID: "c2", IdleExpiresAt: at(-time.Hour)},
		// Expired longer ago than any access token lives.
		{ID: "oarC", Hash: []byte("c"), FamilyID: "famC", UserID: "00uF", ClientID: "c1", IdleExpiresAt: at(-day - time.Minute)},
		{ID: "oarD", Hash: []byte("d"), FamilyID: "famD", UserID: "00uF", ClientID: "c1", IdleExpiresAt: at(time.Hour)},
		{ID: "oarE", Hash: []byte("e"), FamilyID: "famE", UserID: "00uOther", ClientID: "c1", IdleExpiresAt: at(time.Hour)},
	} {
		rt.ServerID, rt.Scopes, rt.Created = "default", []string{}, at(-2*day)
		ok(t, rts.Create(ctx, rt), "create %s", rt.ID)
	}
	ok(t, rts.RevokeFamily(ctx, "famD", at(0)), "revoke famD")
	if won, err := rts.MarkRotated(ctx, "oarD", at(time.Second)); err != nil || won {
		t.Fatalf("rotating a revoked token: won=%v err=%v", won, err)
	}
	ok(t, rts.CreateFamily(ctx, &store.TokenFamily{ID: "famF", UserID: "00uF", ClientID: "c2", ExpiresAt: at(time.Minute)}), "create famF")
	// A hybrid flow's code exchanged after its implicit tokens: the later expiry stays.
	ok(t, rts.CreateFamily(ctx, &store.TokenFamily{ID: "famF", UserID: "00uF", ClientID: "c2", ExpiresAt: at(time.Hour)}), "record famF again")
	ok(t, rts.CreateFamily(ctx, &store.TokenFamily{ID: "famF", UserID: "00uF", ClientID: "c2", ExpiresAt: at(30 * time.Minute)}), "record famF earlier")
	ok(t, rts.CreateFamily(ctx, &store.TokenFamily{ID: "famG", UserID: "00uF", ClientID: "c1", ExpiresAt: at(-time.Second)}), "create expired famG")
	fams, err := rts.Families(ctx, "00uF", "", at(0))
	ok(t, err, "families of a user")
	sameStrings(t, fams, []string{"famA", "famB", "famF"}, "families of a user")
	fams, err = rts.Families(ctx, "00uF", "c2", at(0))
	ok(t, err, "families of a user and client")
	sameStrings(t, fams, []string{"famB", "famF"}, "families of a user and client")
	fams, err = rts.Families(ctx, "00uF", "c2", at(45*time.Minute))
	ok(t, err, "families later")
	sameStrings(t, fams, []string{"famB", "famF"}, "families of a user and client 45 minutes later (famF's expiry moved to an hour)")

	ok(t, rts.RecordAccessToken(ctx, &store.FamilyAccessToken{FamilyID: "famA", JTI: "AT.legacyA", UserID: "00uF", ClientID: "c1",
		ExpiresAt: time.Now().Add(time.Hour)}), "record a pre-1702 access token")
	now := time.Now()
	revs, err := store.RevokeFamilies(ctx, s, []string{"famA"}, now)
	ok(t, err, "revoke famA")
	var ids []string
	for _, r := range revs {
		ids = append(ids, r.JTI)
		revoked, err := s.Revocations().IsRevoked(ctx, r.JTI)
		ok(t, err, "is %s revoked", r.JTI)
		if !revoked {
			t.Fatalf("%s not recorded", r.JTI)
		}
	}
	sameStrings(t, ids, []string{"F.famA", "AT.legacyA"}, "revocations of famA")
	if fam, isFam := store.RevokedFamily(ids[0]); !isFam || fam != "famA" {
		t.Fatalf("RevokedFamily(%q) = %q, %v", ids[0], fam, isFam)
	}
	if _, isFam := store.RevokedFamily("AT.legacyA"); isFam {
		t.Fatal("a token's revocation taken for a family's")
	}
	if !revs[0].ExpiresAt.Equal(now.Add(day)) {
		t.Fatalf("family revocation expires %v, want %v", revs[0].ExpiresAt, now.Add(day))
	}
	if got, _ := rts.GetByHash(ctx, []byte("a")); got.RevokedAt.IsZero() {
		t.Fatal("famA's refresh token not revoked")
	}
	fams, err = rts.Families(ctx, "00uF", "", at(0))
	ok(t, err, "families after revoking famA")
	sameStrings(t, fams, []string{"famB", "famF"}, "families after revoking famA")

	// Purge: revoked tokens at once, expired ones a day later, families
	// when their access token expired.
	_, err = rts.Purge(ctx, at(time.Minute))
	ok(t, err, "purge")
	for hash, kept := range map[string]bool{"a": true, "b": true, "c": false, "d": false, "e": true} {
		_, err := rts.GetByHash(ctx, []byte(hash))
		if kept {
			ok(t, err, "token %s kept", hash)
		} else {
			notFound(t, err, "token %s purged", hash)
		}
	}
	_, err = rts.Purge(ctx, at(-time.Hour+day+time.Second))
	ok(t, err, "purge a day after oarB's idle expiry")
	_, err = rts.GetByHash(ctx, []byte("b"))
	notFound(t, err, "oarB a day after its idle expiry")
	fams, err = rts.Families(ctx, "00uF", "", at(0))
	ok(t, err, "families after purges")
	sameStrings(t, fams, []string{}, "families after purges")
}
