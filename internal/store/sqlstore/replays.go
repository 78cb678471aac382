package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

type replays struct{ s *Store }

// Record inserts key, or takes over an expired entry of the same key, in one
// statement: the database's row lock on the key decides between concurrent
// callers on every connection and replica, and the loser sees no row
// affected.
func (r replays) Record(ctx context.Context, key string, expiresAt time.Time) error {
	now := time.Now().UnixMilli()
	n, err := r.s.exec(ctx, "record replay key",
		`INSERT INTO replays (replay_key, expires_at) VALUES (?, ?)
		ON CONFLICT (replay_key) DO UPDATE SET expires_at = excluded.expires_at
		WHERE replays.expires_at <= ?`,
		key, ms(expiresAt), now)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: record replay key: %w", store.ErrConflict)
	}
	return nil
}

// Purge deletes the entries that have expired at now, as Record counts them.
func (r replays) Purge(ctx context.Context, now time.Time) (int64, error) {
	return r.s.exec(ctx, "purge replay keys", `DELETE FROM replays WHERE expires_at <= ?`, ms(now))
}
