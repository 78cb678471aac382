package oktajson

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestSession: the object /api/v1/sessions/{id} and /api/v1/sessions/me
// answer, byte for byte, with the links each one gives and the factor
// verification time only for a session that began with a second factor.
func TestSession(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	s := &store.Session{ID: "102abc", UserID: "00u1", AMR: []string{"pwd", "mfa"}, Created: at, LastPasswordVerification: at,
		IdleExpiresAt: at.Add(2 * time.Hour)}
	u := &store.User{ID: "00u1", Login: "ada@example.com"}
	tests := []struct {
		name string
		s    *store.Session
		u    *store.User
		me   bool
		want string
	}{
		{"by id", s, u, false, `{"_links":{"refresh":{"hints":{"allow":["POST"]},"href":"https://idp.test/api/v1/sessions/102abc/lifecycle/refresh"},` +
			`"self":{"hints":{"allow":["GET","DELETE"]},"href":"https://idp.test/api/v1/sessions/102abc"},` +
			`"user":{"hints":{"allow":["GET"]},"href":"https://idp.test/api/v1/users/00u1","name":"` + u.DisplayName() + `"}},` +
			`"amr":["pwd","mfa"],"createdAt":"2026-01-02T03:04:05.006Z","expiresAt":"2026-01-02T05:04:05.006Z","id":"102abc",` +
			`"idp":{"id":"00o1","type":"OKTA"},"lastFactorVerification":"2026-01-02T03:04:05.006Z",` +
			`"lastPasswordVerification":"2026-01-02T03:04:05.006Z","login":"ada@example.com","mfaActive":true,"status":"ACTIVE","userId":"00u1"}`},
		{"me, password only, user gone", &store.Session{ID: "102def", UserID: "00u2", AMR: []string{"pwd"}, Created: at}, nil, true,
			`{"_links":{"refresh":{"hints":{"allow":["POST"]},"href":"https://idp.test/api/v1/sessions/me/lifecycle/refresh"},` +
				`"self":{"hints":{"allow":["GET","DELETE"]},"href":"https://idp.test/api/v1/sessions/me"},` +
				`"user":{"hints":{"allow":["GET"]},"href":"https://idp.test/api/v1/users/me","name":""}},` +
				`"amr":["pwd"],"createdAt":"2026-01-02T03:04:05.006Z","expiresAt":null,"id":"102def",` +
				`"idp":{"id":"00o1","type":"OKTA"},"lastFactorVerification":null,"lastPasswordVerification":null,` +
				`"login":"","mfaActive":false,"status":"ACTIVE","userId":"00u2"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(Session(tt.s, tt.u, "https://idp.test", "00o1", tt.me))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b, tt.want)
			}
		})
	}
}
