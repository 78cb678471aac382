package audit

import (
	"context"
	"net/http"

	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// RequestFrom is what the System Log records of an HTTP request: its id,
// the client's address and user agent.
func RequestFrom(r *http.Request) Request {
	return Request{ID: web.RequestID(r.Context()), IP: web.ClientIP(r), UserAgent: r.UserAgent()}
}

// UserActor names a person in an event. Every event about a person uses
// it, so that one person shows under one name everywhere in the log.
func UserActor(u *store.User) Actor {
	return Actor{ID: u.ID, Type: "User", AlternateID: u.Login, DisplayName: u.DisplayName()}
}

// UserActorByID is UserActor for a person known only by id (a session's
// user). One that cannot be read any more is named by id alone.
func UserActorByID(ctx context.Context, st store.Store, id string) Actor {
	u, err := st.Users().Get(ctx, id)
	if err != nil {
		return Actor{ID: id, Type: "User", AlternateID: id, DisplayName: id}
	}
	return UserActor(u)
}

// ClientActor names an OAuth client in an event: by its app's label, or by
// its client id when the app is unknown (a failed authentication).
func ClientActor(clientID, label string) Actor {
	if label == "" {
		label = clientID
	}
	return Actor{ID: clientID, Type: "PublicClientApp", AlternateID: label, DisplayName: label}
}
