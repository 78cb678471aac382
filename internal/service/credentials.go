package service

import (
	"context"
	"strings"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// RecoveryQuestion is credentials.recovery_question as sent.
type RecoveryQuestion struct {
	Question string
	Answer   string
}

// recoveryAnswerKey is what is hashed of an answer: people do not remember
// the case or the spaces they typed years ago, so neither counts.
func recoveryAnswerKey(answer string) string {
	return strings.ToLower(strings.Join(strings.Fields(answer), " "))
}

// hashRecovery validates a recovery question as Okta does (a question, an
// answer of at least 4 characters that does not repeat the question) and
// hashes its answer. It runs before any transaction: argon2id is slow.
func hashRecovery(rq *RecoveryQuestion) (string, error) {
	if rq == nil {
		return "", nil
	}
	q, a := strings.TrimSpace(rq.Question), recoveryAnswerKey(rq.Answer)
	var causes []string
	switch {
	case q == "":
		causes = append(causes, "credentials.recovery_question.question: The field cannot be left blank")
	case len([]rune(q)) > 255:
		causes = append(causes, "credentials.recovery_question.question: The field is too long.")
	}
	switch {
	case len([]rune(a)) < 4:
		causes = append(causes, "credentials.recovery_question.answer: The security question answer must be at least 4 characters in length")
	case len([]rune(a)) > 100:
		causes = append(causes, "credentials.recovery_question.answer: The security question answer is too long.")
	case q != "" && strings.Contains(a, strings.ToLower(q)):
		causes = append(causes, "credentials.recovery_question.answer: The security question answer cannot contain the question.")
	}
	if len(causes) > 0 {
		return "", oktaerr.Validation("credentials.recovery_question", causes...)
	}
	return secret.HashPassword(a)
}

// ChangeRecoveryQuestion replaces a user's recovery question after checking
// the current password, as Okta's credentials/change_recovery_question does.
func (s *Service) ChangeRecoveryQuestion(ctx context.Context, c Context, idOrLogin, password string, rq *RecoveryQuestion) (*store.User, error) {
	var causes []string
	if password == "" {
		causes = append(causes, "password: The field cannot be left blank")
	}
	if rq == nil {
		causes = append(causes, "recovery_question: The field cannot be left blank")
	}
	if len(causes) > 0 {
		return nil, oktaerr.Validation("credentials", causes...)
	}
	u, err := loadUser(ctx, s.Store, idOrLogin)
	if err != nil {
		return nil, err
	}
	switch u.Status {
	case store.UserStaged, store.UserActive, store.UserPasswordExpired, store.UserRecovery:
	default:
		return nil, ErrUserStatus()
	}
	if ok, err := s.checkPassword(ctx, u, password); err != nil {
		return nil, err
	} else if !ok {
		return nil, oktaerr.New(403, "E0000014", "Update of credentials failed", "password: The password is not correct")
	}
	hash, err := hashRecovery(rq)
	if err != nil {
		return nil, err
	}
	var out *store.User
	err = s.Store.InTx(ctx, func(tx store.Store) error {
		cur, err := loadUser(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		cur.LastUpdated = s.now()
		if err := tx.Users().Update(ctx, cur); err != nil {
			return err
		}
		if err := s.setRecovery(ctx, tx, cur, rq, hash); err != nil {
			return err
		}
		out = cur
		return s.record(ctx, tx, c, "user.account.update_credentials", "Update user credentials", userTarget(cur))
	})
	return out, err
}

// checkPassword verifies password against the user's stored hash (false
// when the user has none).
func (s *Service) checkPassword(ctx context.Context, u *store.User, password string) (bool, error) {
	if u.PasswordHash == "" {
		return false, nil
	}
	return secret.VerifyPassword(password, u.PasswordHash)
}

// setRecovery stores a recovery question whose answer hashRecovery hashed
// (nothing when rq is nil) and shows it on u.
func (s *Service) setRecovery(ctx context.Context, tx store.Store, u *store.User, rq *RecoveryQuestion, answerHash string) error {
	if rq == nil {
		return nil
	}
	q := strings.TrimSpace(rq.Question)
	if err := tx.Users().SetRecovery(ctx, u.ID, q, answerHash); err != nil {
		return err
	}
	u.RecoveryQuestion, u.RecoveryAnswerHash = q, answerHash
	return nil
}

// ExpireWithTempPassword is expire_password with tempPassword=true: the
// password is replaced by a random one, returned once, that the user signs
// in with and must change at once (PASSWORD_EXPIRED).
func (s *Service) ExpireWithTempPassword(ctx context.Context, c Context, idOrLogin string) (string, *store.User, error) {
	temp := secret.GeneratePassword()
	hash, err := secret.HashPassword(temp)
	if err != nil {
		return "", nil, err
	}
	var out *store.User
	err = s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := loadUser(ctx, tx, idOrLogin)
		if err != nil {
			return err
		}
		if err := s.transition(ctx, tx, c, u, OpExpirePassword); err != nil {
			return err
		}
		u.PasswordHash, u.PasswordChanged = hash, s.now()
		if err := tx.Users().Update(ctx, u); err != nil {
			return err
		}
		out = u
		return s.record(ctx, tx, c, "user.account.update_password", "Update user password", userTarget(u))
	})
	if err == nil {
		s.syncRevocations(ctx)
	}
	return temp, out, err
}
