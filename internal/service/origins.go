package service

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// Trusted-origin scope types (§4.9).
const (
	OriginScopeCORS     = "CORS"
	OriginScopeRedirect = "REDIRECT"
	OriginScopeIframe   = "IFRAME_EMBED"
)

// errOriginInvalid is Okta's answer to an origin that is more or less than
// scheme://host[:port].
var errOriginInvalid = oktaerr.Validation("origin", "origin: Origin value is not valid")

var errOriginExists = oktaerr.Validation("origin", "origin: An object with this field already exists in the current organization")

// NormalizeOrigin checks that s is an absolute http(s) origin with no
// path, query, fragment or user info, and returns it with scheme and host
// in lower case (browsers send the Origin header that way).
func NormalizeOrigin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery ||
		u.Fragment != "" || strings.Contains(s, "#") || u.Host == "" || u.Hostname() == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != p {
			return "", false
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return "", false
	}
	return scheme + "://" + strings.ToLower(u.Host), true
}

// ValidateTrustedOrigin normalizes and checks a trusted origin: a name, a
// valid origin, at least one known scope type (each once), and a status.
// IFRAME_EMBED is for Okta's end-user dashboard only, the one app Sesame
// could be asked to frame.
func ValidateTrustedOrigin(o *store.TrustedOrigin) *oktaerr.Error {
	o.Name = strings.TrimSpace(o.Name)
	if o.Name == "" {
		return oktaerr.Validation("name", "name: The field cannot be left blank")
	}
	if len(o.Name) > 255 {
		return oktaerr.Validation("name", "name: The field must be at most 255 characters")
	}
	norm, ok := NormalizeOrigin(o.Origin)
	if !ok {
		return errOriginInvalid
	}
	o.Origin = norm
	if len(o.Scopes) == 0 {
		return oktaerr.Validation("scopes", "scopes: The field cannot be left blank")
	}
	seen := map[string]bool{}
	for i := range o.Scopes {
		sc := &o.Scopes[i]
		switch sc.Type {
		case OriginScopeCORS, OriginScopeRedirect:
			if len(sc.AllowedOktaApps) > 0 {
				return oktaerr.Validation("scopes", "scopes: allowedOktaApps is only valid for the IFRAME_EMBED scope type")
			}
		case OriginScopeIframe:
			if len(sc.AllowedOktaApps) == 0 {
				sc.AllowedOktaApps = []string{"OKTA_ENDUSER"}
			}
			if slices.ContainsFunc(sc.AllowedOktaApps, func(a string) bool { return a != "OKTA_ENDUSER" }) {
				return oktaerr.Validation("scopes", "scopes: allowedOktaApps must be [\"OKTA_ENDUSER\"]")
			}
			sc.AllowedOktaApps = []string{"OKTA_ENDUSER"}
		default:
			return oktaerr.Validation("scopes", "scopes: The scope type must be one of CORS, REDIRECT, IFRAME_EMBED")
		}
		if seen[sc.Type] {
			return oktaerr.Validation("scopes", "scopes: The scope type "+sc.Type+" is listed more than once")
		}
		seen[sc.Type] = true
	}
	if o.Status != store.StatusActive && o.Status != store.StatusInactive {
		return oktaerr.Validation("status", "status: Must be one of ACTIVE, INACTIVE")
	}
	return nil
}

func originTarget(o *store.TrustedOrigin) audit.Target {
	return audit.Target{ID: o.ID, Type: "TrustedOrigin", AlternateID: o.Origin, DisplayName: o.Name}
}

func loadOrigin(ctx context.Context, st store.Store, id string) (*store.TrustedOrigin, error) {
	o, err := st.TrustedOrigins().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(id, "TrustedOrigin")
	}
	return o, err
}

// GetTrustedOrigin returns a trusted origin by id.
func (s *Service) GetTrustedOrigin(ctx context.Context, id string) (*store.TrustedOrigin, error) {
	return loadOrigin(ctx, s.Store, id)
}

// ListTrustedOrigins returns up to p.Limit trusted origins after p.After in
// id order, keeping only those match accepts (nil keeps all). It reads the
// store page by page so that a selective filter still fills the page.
func (s *Service) ListTrustedOrigins(ctx context.Context, p store.Page, match func(*store.TrustedOrigin) bool) ([]*store.TrustedOrigin, error) {
	var out []*store.TrustedOrigin
	after := p.After
	for {
		batch, err := s.Store.TrustedOrigins().List(ctx, store.Page{After: after, Limit: p.Limit})
		if err != nil {
			return nil, err
		}
		for _, o := range batch {
			if match == nil || match(o) {
				out = append(out, o)
				if len(out) == p.Limit {
					return out, nil
				}
			}
		}
		if len(batch) < p.Limit {
			return out, nil
		}
		after = batch[len(batch)-1].ID
	}
}

// CreateTrustedOrigin stores a new trusted origin; an empty status means
// ACTIVE.
func (s *Service) CreateTrustedOrigin(ctx context.Context, c Context, o *store.TrustedOrigin) error {
	if o.Status == "" {
		o.Status = store.StatusActive
	}
	if err := ValidateTrustedOrigin(o); err != nil {
		return err
	}
	now := s.now()
	o.ID, o.Created, o.LastUpdated, o.CreatedBy, o.LastUpdatedBy = secret.NewID("tos"), now, now, c.Actor.ID, c.Actor.ID
	return s.configChange(ctx, func(tx store.Store) error {
		if err := tx.TrustedOrigins().Create(ctx, o); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errOriginExists
			}
			return err
		}
		return s.record(ctx, tx, c, "security.trusted_origin.create", "Create trusted origin", originTarget(o))
	})
}

// UpdateTrustedOrigin replaces a trusted origin's name, origin and scopes,
// and its status when one is given (Terraform sends it).
func (s *Service) UpdateTrustedOrigin(ctx context.Context, c Context, o *store.TrustedOrigin) error {
	return s.configChange(ctx, func(tx store.Store) error {
		old, err := loadOrigin(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if o.Status == "" {
			o.Status = old.Status
		}
		if err := ValidateTrustedOrigin(o); err != nil {
			return err
		}
		o.Created, o.CreatedBy, o.LastUpdated, o.LastUpdatedBy = old.Created, old.CreatedBy, s.now(), c.Actor.ID
		if err := tx.TrustedOrigins().Update(ctx, o); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errOriginExists
			}
			return err
		}
		return s.record(ctx, tx, c, "security.trusted_origin.update", "Update trusted origin", originTarget(o))
	})
}

// SetTrustedOriginStatus activates or deactivates a trusted origin and
// returns it.
func (s *Service) SetTrustedOriginStatus(ctx context.Context, c Context, id, status string) (*store.TrustedOrigin, error) {
	var out *store.TrustedOrigin
	err := s.configChange(ctx, func(tx store.Store) error {
		o, err := loadOrigin(ctx, tx, id)
		if err != nil {
			return err
		}
		out = o
		if o.Status == status {
			return nil
		}
		o.Status, o.LastUpdated, o.LastUpdatedBy = status, s.now(), c.Actor.ID
		if err := tx.TrustedOrigins().Update(ctx, o); err != nil {
			return err
		}
		ev, msg := "security.trusted_origin.activate", "Activate trusted origin"
		if status == store.StatusInactive {
			ev, msg = "security.trusted_origin.deactivate", "Deactivate trusted origin"
		}
		return s.record(ctx, tx, c, ev, msg, originTarget(o))
	})
	return out, err
}

// DeleteTrustedOrigin removes a trusted origin, active or not (Okta allows
// both).
func (s *Service) DeleteTrustedOrigin(ctx context.Context, c Context, id string) error {
	return s.configChange(ctx, func(tx store.Store) error {
		o, err := loadOrigin(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := tx.TrustedOrigins().Delete(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "security.trusted_origin.delete", "Delete trusted origin", originTarget(o))
	})
}
