package sqlstore

import (
	"context"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

type factors struct{ s *Store }

const factorCols = `id, user_id, factor_type, provider, status, profile, secret_sealed, counter,
	failed_attempts, last_failure, last_verified, created, last_updated`

func scanFactor(row scanner) (*store.Factor, error) {
	var f store.Factor
	var profile string
	err := row.Scan(&f.ID, &f.UserID, &f.Type, &f.Provider, &f.Status, &profile, bytesCol{&f.SecretSealed}, &f.Counter,
		&f.FailedAttempts, msTime{&f.LastFailure}, msTime{&f.LastVerified}, msTime{&f.Created}, msTime{&f.LastUpdated})
	if profile != "" {
		f.Profile = []byte(profile)
	}
	return &f, err
}

func profileText(b []byte) string {
	if len(b) == 0 {
		return "{}"
	}
	return string(b)
}

func (r factors) Create(ctx context.Context, f *store.Factor) error {
	_, err := r.s.exec(ctx, "create factor "+f.ID,
		`INSERT INTO factors (`+factorCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.UserID, f.Type, f.Provider, f.Status, profileText(f.Profile), blob(f.SecretSealed), f.Counter,
		f.FailedAttempts, ms(f.LastFailure), ms(f.LastVerified), ms(f.Created), ms(f.LastUpdated))
	return err
}

func (r factors) Get(ctx context.Context, id string) (f *store.Factor, err error) {
	err = r.s.get(ctx, "get factor "+id, func(row scanner) error {
		f, err = scanFactor(row)
		return err
	}, `SELECT `+factorCols+` FROM factors WHERE id = ?`, id)
	return f, err
}

func (r factors) ListByUser(ctx context.Context, userID string) ([]*store.Factor, error) {
	return list(ctx, r.s, "list factors of "+userID, scanFactor,
		`SELECT `+factorCols+` FROM factors WHERE user_id = ? ORDER BY created, id`, userID)
}

func (r factors) Update(ctx context.Context, f *store.Factor) error {
	return r.s.execOne(ctx, "update factor "+f.ID,
		`UPDATE factors SET status = ?, profile = ?, secret_sealed = ?, last_updated = ? WHERE id = ?`,
		f.Status, profileText(f.Profile), blob(f.SecretSealed), ms(f.LastUpdated), f.ID)
}

// Advance is one conditional UPDATE: the row lock lets exactly one of two
// concurrent uses of the same code through, on any replica.
func (r factors) Advance(ctx context.Context, id string, counter int64, at time.Time) (bool, error) {
	n, err := r.s.exec(ctx, "advance factor "+id,
		`UPDATE factors SET counter = ?, failed_attempts = 0, last_verified = ? WHERE id = ? AND counter < ?`,
		counter, ms(at), id, counter)
	return n == 1, err
}

func (r factors) Fail(ctx context.Context, id string, at time.Time, window time.Duration) (int, error) {
	var n int
	err := r.s.writeGet(ctx, "count failure of factor "+id, func(row scanner) error { return row.Scan(&n) },
		`UPDATE factors SET failed_attempts = CASE WHEN last_failure <= ? THEN 1 ELSE failed_attempts + 1 END,
			last_failure = ? WHERE id = ? RETURNING failed_attempts`, ms(at.Add(-window)), ms(at), id)
	return n, err
}

func (r factors) Delete(ctx context.Context, id string) error {
	return r.s.execOne(ctx, "delete factor "+id, `DELETE FROM factors WHERE id = ?`, id)
}

func (r factors) DeleteByUser(ctx context.Context, userID string) (int64, error) {
	return r.s.exec(ctx, "delete factors of "+userID, `DELETE FROM factors WHERE user_id = ?`, userID)
}
