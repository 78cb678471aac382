package service

import (
	"context"
	"errors"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// Stand-ins, identical to the users branch's (service/users.go), so that
// groups builds on its own: the integrator deletes this file when merging
// users.

func userTarget(u *store.User) audit.Target {
	return audit.Target{ID: u.ID, Type: "User", AlternateID: u.Login, DisplayName: UserActor(u).DisplayName}
}

// loadUser finds a user by id or, failing that, by login, answering
// E0000007 when neither matches.
func loadUser(ctx context.Context, st store.Store, idOrLogin string) (*store.User, error) {
	u, err := st.Users().Get(ctx, idOrLogin)
	if errors.Is(err, store.ErrNotFound) {
		u, err = st.Users().GetByLogin(ctx, idOrLogin)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, web.NotFound(idOrLogin, "User")
	}
	return u, err
}
