package service

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// GetAuthServer returns a custom authorization server ("default" or aus…).
func (s *Service) GetAuthServer(ctx context.Context, id string) (*store.AuthServer, error) {
	srv, err := s.Store.AuthServers().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(id, "AuthorizationServer")
	}
	return srv, err
}

// ListAuthServers lists the custom authorization servers.
//
// match, when not nil, keeps only the servers it accepts (the list's q);
// the page then counts matching servers only.
func (s *Service) ListAuthServers(ctx context.Context, p store.Page, match func(*store.AuthServer) bool) ([]*store.AuthServer, error) {
	if match == nil {
		return s.Store.AuthServers().List(ctx, p)
	}
	all, err := s.Store.AuthServers().ListAll(ctx)
	if err != nil {
		return nil, err
	}
	var out []*store.AuthServer
	for _, srv := range all {
		if (p.After == "" || srv.ID > p.After) && match(srv) {
			out = append(out, srv)
		}
	}
	slices.SortFunc(out, func(a, b *store.AuthServer) int { return strings.Compare(a.ID, b.ID) })
	if p.Limit > 0 && len(out) > p.Limit {
		out = out[:p.Limit]
	}
	return out, nil
}

// ListScopes lists a server's scopes by name.
func (s *Service) ListScopes(ctx context.Context, serverID string) ([]*store.Scope, error) {
	if _, err := s.GetAuthServer(ctx, serverID); err != nil {
		return nil, err
	}
	return s.Store.AuthServers().ListScopes(ctx, serverID)
}

// GetScope returns one scope.
func (s *Service) GetScope(ctx context.Context, serverID, id string) (*store.Scope, error) {
	if _, err := s.GetAuthServer(ctx, serverID); err != nil {
		return nil, err
	}
	sc, err := s.Store.AuthServers().GetScope(ctx, serverID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(id, "OAuth2Scope")
	}
	return sc, err
}

// ValidateScope normalizes and checks a scope (§4.3): the name is a single
// RFC 6749 scope token and not one of Okta's reserved names.
func ValidateScope(sc *store.Scope) *oktaerr.Error {
	var causes []string
	if sc.Name == "" {
		causes = append(causes, "name: The field cannot be left blank")
	} else {
		for _, r := range sc.Name {
			if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
				causes = append(causes, "name: Scope names may contain only printable ASCII characters other than space, double quote and backslash")
				break
			}
		}
		l := strings.ToLower(sc.Name)
		if !sc.System && (l == "okta" || l == "*" || strings.HasPrefix(l, "okta.") || strings.HasPrefix(l, "okta:")) {
			causes = append(causes, "name: The scope name is reserved")
		}
		if len(sc.Name) > 300 {
			causes = append(causes, "name: The scope name must be at most 300 characters")
		}
	}
	if sc.Consent == "" {
		sc.Consent = "IMPLICIT"
	}
	if sc.Consent != "IMPLICIT" && sc.Consent != "REQUIRED" && sc.Consent != "FLEXIBLE" {
		causes = append(causes, "consent: Must be one of IMPLICIT, REQUIRED, FLEXIBLE")
	}
	if sc.MetadataPublish == "" {
		sc.MetadataPublish = "NO_CLIENTS"
	}
	if sc.MetadataPublish != "NO_CLIENTS" && sc.MetadataPublish != "ALL_CLIENTS" {
		causes = append(causes, "metadataPublish: Must be one of NO_CLIENTS, ALL_CLIENTS")
	}
	if len(causes) > 0 {
		field := strings.SplitN(causes[0], ":", 2)[0]
		return oktaerr.Validation(field, causes...)
	}
	return nil
}

func scopeTarget(sc *store.Scope) audit.Target {
	return audit.Target{ID: sc.ID, Type: "OAuth2Scope", AlternateID: sc.Name, DisplayName: sc.Name}
}

var errScopeExists = oktaerr.Validation("name", "name: A scope with the same name already exists for this authorization server.")

// CreateScope adds a custom scope.
func (s *Service) CreateScope(ctx context.Context, c Context, serverID string, sc *store.Scope) error {
	sc.System = false
	if err := ValidateScope(sc); err != nil {
		return err
	}
	now := s.now()
	sc.ID, sc.ServerID, sc.Created, sc.LastUpdated = secret.NewID("scp"), serverID, now, now
	return s.configChange(ctx, func(tx store.Store) error {
		if _, err := tx.AuthServers().Get(ctx, serverID); errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(serverID, "AuthorizationServer")
		} else if err != nil {
			return err
		}
		if err := tx.AuthServers().CreateScope(ctx, sc); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errScopeExists
			}
			return err
		}
		return s.record(ctx, tx, c, "oauth2.scope.created", "Create OAuth 2.0 scope", scopeTarget(sc))
	})
}

// UpdateScope replaces a scope; a system scope keeps its name.
func (s *Service) UpdateScope(ctx context.Context, c Context, serverID string, sc *store.Scope) error {
	return s.configChange(ctx, func(tx store.Store) error {
		old, err := tx.AuthServers().GetScope(ctx, serverID, sc.ID)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(sc.ID, "OAuth2Scope")
		}
		if err != nil {
			return err
		}
		if old.System && sc.Name != old.Name {
			return oktaerr.Validation("name", "name: A system scope cannot be renamed.")
		}
		sc.System, sc.ServerID, sc.Created, sc.LastUpdated = old.System, serverID, old.Created, s.now()
		if err := ValidateScope(sc); err != nil {
			return err
		}
		if err := tx.AuthServers().UpdateScope(ctx, sc); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errScopeExists
			}
			return err
		}
		return s.record(ctx, tx, c, "oauth2.scope.updated", "Update OAuth 2.0 scope", scopeTarget(sc))
	})
}

// DeleteScope removes a custom scope; system scopes stay.
func (s *Service) DeleteScope(ctx context.Context, c Context, serverID, id string) error {
	return s.configChange(ctx, func(tx store.Store) error {
		sc, err := tx.AuthServers().GetScope(ctx, serverID, id)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(id, "OAuth2Scope")
		}
		if err != nil {
			return err
		}
		if sc.System {
			return oktaerr.Forbidden("name: System scopes cannot be deleted.")
		}
		if err := tx.AuthServers().DeleteScope(ctx, serverID, id); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "oauth2.scope.deleted", "Delete OAuth 2.0 scope", scopeTarget(sc))
	})
}
