package sqlstore

import (
	"context"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

type recoveryCodes struct{ s *Store }

func (r recoveryCodes) Replace(ctx context.Context, userID string, hashes [][]byte, at time.Time) error {
	if _, err := r.s.exec(ctx, "delete recovery codes of "+userID, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := r.s.exec(ctx, "create recovery code of "+userID,
			`INSERT INTO recovery_codes (user_id, code_hash, created, used_at) VALUES (?, ?, ?, 0)`, userID, h, ms(at)); err != nil {
			return err
		}
	}
	return nil
}

func (r recoveryCodes) Use(ctx context.Context, userID string, hash []byte, at time.Time) (bool, error) {
	n, err := r.s.exec(ctx, "use recovery code of "+userID,
		`UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at = 0`, ms(at), userID, hash)
	return n == 1, err
}

func (r recoveryCodes) Remaining(ctx context.Context, userID string) (n int, err error) {
	err = r.s.get(ctx, "count recovery codes of "+userID, func(row scanner) error { return row.Scan(&n) },
		`SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at = 0`, userID)
	return n, err
}

func (r recoveryCodes) DeleteByUser(ctx context.Context, userID string) error {
	_, err := r.s.exec(ctx, "delete recovery codes of "+userID, `DELETE FROM recovery_codes WHERE user_id = ?`, userID)
	return err
}

var _ store.RecoveryCodes = recoveryCodes{}
