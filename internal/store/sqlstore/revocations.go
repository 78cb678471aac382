package sqlstore

import (
	"context"
	"strconv"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/token"
)

type revocations struct{ s *Store }

// Revoke records jti once; revoking it again keeps the first record. The
// revocation time comes from the database's clock, so that replicas polling
// Since with the newest time they have seen do not depend on each other's
// clocks.
// Every replica is told when it commits.
func (r revocations) Revoke(ctx context.Context, jti string, expiresAt time.Time) error {
	return r.s.atomic(ctx, func(tx *Store) error {
		if _, err := tx.exec(ctx, "revoke "+jti,
			`INSERT INTO revocations (jti, expires_at, revoked_at) VALUES (?, ?, `+r.s.d.nowMillis()+`)
			ON CONFLICT (jti) DO NOTHING`,
			jti, ms(expiresAt)); err != nil {
			return err
		}
		return tx.notify(ctx, "r "+strconv.FormatInt(ms(expiresAt), 10)+" "+jti)
	})
}

// IsRevoked finds the token's own record or its family's, as the cache's
// IsRevoked does.
func (r revocations) IsRevoked(ctx context.Context, jti string) (bool, error) {
	var n int
	scan := func(row scanner) error { return row.Scan(&n) }
	if fam := token.FamilyOf(jti); fam != "" {
		err := r.s.get(ctx, "check revocation of "+jti, scan,
			`SELECT COUNT(*) FROM revocations WHERE jti IN (?, ?)`, jti, store.FamilyRevocationID(fam))
		return n > 0, err
	}
	err := r.s.get(ctx, "check revocation of "+jti, scan, `SELECT COUNT(*) FROM revocations WHERE jti = ?`, jti)
	return n > 0, err
}

// Since returns revocations ordered by revocation time, then jti.
func (r revocations) Since(ctx context.Context, t time.Time) ([]store.Revocation, error) {
	return list(ctx, r.s, "list revocations", func(row scanner) (store.Revocation, error) {
		var v store.Revocation
		err := row.Scan(&v.JTI, msTime{&v.ExpiresAt}, msTime{&v.RevokedAt})
		return v, err
	}, `SELECT jti, expires_at, revoked_at FROM revocations WHERE revoked_at >= ? ORDER BY revoked_at, jti`, ms(t))
}

// Purge deletes the revocations of tokens that have expired at now.
func (r revocations) Purge(ctx context.Context, now time.Time) (int64, error) {
	return r.s.exec(ctx, "purge revocations", `DELETE FROM revocations WHERE expires_at <= ?`, ms(now))
}
