package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/expr"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// ReservedClaimNames are the claims Sesame itself sets in access and ID
// tokens (§3.2, §3.3); a custom claim of that name would change what clients
// verify, so none may be created. Okta does not publish its list.
var ReservedClaimNames = []string{
	"iss", "sub", "aud", "exp", "iat", "jti", "cid", "uid", "scp", "ver",
	"auth_time", "nonce", "amr", "idp", "at_hash", "c_hash",
}

// maxClaimNameLen bounds a claim name; Okta rejects very long names too.
const maxClaimNameLen = 255

// ListClaims lists a server's claims by name.
func (s *Service) ListClaims(ctx context.Context, serverID string) ([]*store.Claim, error) {
	if _, err := s.GetAuthServer(ctx, serverID); err != nil {
		return nil, err
	}
	return s.Store.AuthServers().ListClaims(ctx, serverID)
}

// GetClaim returns one claim.
func (s *Service) GetClaim(ctx context.Context, serverID, id string) (*store.Claim, error) {
	if _, err := s.GetAuthServer(ctx, serverID); err != nil {
		return nil, err
	}
	c, err := s.Store.AuthServers().GetClaim(ctx, serverID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(id, "OAuth2Claim")
	}
	return c, err
}

// ValidateClaim normalizes and checks a claim on its own (§4.4); that its
// name is free and its scopes exist is checked against the server.
func ValidateClaim(c *store.Claim) *oktaerr.Error {
	var causes []string
	switch {
	case c.Name == "":
		causes = append(causes, "name: The field cannot be left blank")
	case len(c.Name) > maxClaimNameLen:
		causes = append(causes, fmt.Sprintf("name: The claim name must be at most %d characters", maxClaimNameLen))
	case !c.System && slices.Contains(ReservedClaimNames, c.Name):
		causes = append(causes, "name: The claim name '"+c.Name+"' is reserved")
	case strings.IndexFunc(c.Name, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		causes = append(causes, "name: Claim names may not contain spaces or control characters")
	}
	if c.Status == "" {
		c.Status = store.StatusActive
	}
	if c.Status != store.StatusActive && c.Status != store.StatusInactive {
		causes = append(causes, "status: Must be one of ACTIVE, INACTIVE")
	}
	switch c.ClaimType {
	case "":
		causes = append(causes, "claimType: The field cannot be left blank")
	case "RESOURCE":
		// Access tokens carry every applicable resource claim.
		c.AlwaysIncludeInToken = true
	case "IDENTITY":
	default:
		causes = append(causes, "claimType: Must be one of RESOURCE, IDENTITY")
	}
	if c.ValueType == "" {
		c.ValueType = "EXPRESSION"
	}
	switch {
	case c.ValueType == "SYSTEM" && c.System:
	case c.ValueType == "EXPRESSION":
		c.GroupFilterType = ""
		if c.Value == "" {
			causes = append(causes, "value: The field cannot be left blank")
		} else if err := expr.Check(c.Value); err != nil {
			var pe *expr.Error
			if errors.As(err, &pe) {
				causes = append(causes, fmt.Sprintf("value: Invalid expression at position %d: %s", pe.Pos, pe.Msg))
			} else {
				causes = append(causes, "value: Invalid expression")
			}
		}
	case c.ValueType == "GROUPS":
		switch c.GroupFilterType {
		case "":
			causes = append(causes, "group_filter_type: The field cannot be left blank for a GROUPS claim")
		case "STARTS_WITH", "EQUALS", "CONTAINS":
		case "REGEX":
			if _, err := regexp.Compile(c.Value); err != nil {
				causes = append(causes, "value: Invalid regular expression: "+err.Error())
			}
		default:
			causes = append(causes, "group_filter_type: Must be one of STARTS_WITH, EQUALS, CONTAINS, REGEX")
		}
		if c.Value == "" {
			causes = append(causes, "value: The field cannot be left blank")
		} else if len(c.Value) > expr.MaxSourceLen {
			causes = append(causes, fmt.Sprintf("value: The value must be at most %d characters", expr.MaxSourceLen))
		}
	default:
		causes = append(causes, "valueType: Must be one of EXPRESSION, GROUPS")
	}
	if c.ConditionScopes == nil {
		c.ConditionScopes = []string{}
	}
	if len(causes) > 0 {
		return oktaerr.Validation(strings.SplitN(causes[0], ":", 2)[0], causes...)
	}
	return nil
}

// checkClaimOnServer checks what depends on the server's other objects: the
// name is unique per claim type and every condition scope exists.
func checkClaimOnServer(ctx context.Context, tx store.Store, c *store.Claim) error {
	claims, err := tx.AuthServers().ListClaims(ctx, c.ServerID)
	if err != nil {
		return err
	}
	for _, o := range claims {
		if o.ID != c.ID && o.Name == c.Name && o.ClaimType == c.ClaimType {
			return oktaerr.Validation("name", "name: A claim with the same name and claim type already exists for this authorization server.")
		}
	}
	if len(c.ConditionScopes) == 0 {
		return nil
	}
	scopes, err := tx.AuthServers().ListScopes(ctx, c.ServerID)
	if err != nil {
		return err
	}
	var causes []string
	for _, want := range c.ConditionScopes {
		if !slices.ContainsFunc(scopes, func(sc *store.Scope) bool { return sc.Name == want }) {
			causes = append(causes, "conditions.scopes: The scope '"+want+"' does not exist on this authorization server.")
		}
	}
	if len(causes) > 0 {
		return oktaerr.Validation("conditions.scopes", causes...)
	}
	return nil
}

func claimTarget(c *store.Claim) audit.Target {
	return audit.Target{ID: c.ID, Type: "OAuth2Claim", AlternateID: c.Name, DisplayName: c.Name}
}

// CreateClaim adds a custom claim.
func (s *Service) CreateClaim(ctx context.Context, sc Context, serverID string, c *store.Claim) error {
	c.System = false
	if err := ValidateClaim(c); err != nil {
		return err
	}
	now := s.now()
	c.ID, c.ServerID, c.Created, c.LastUpdated = secret.NewID("ocl"), serverID, now, now
	return s.configChange(ctx, func(tx store.Store) error {
		if _, err := tx.AuthServers().Get(ctx, serverID); errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(serverID, "AuthorizationServer")
		} else if err != nil {
			return err
		}
		if err := checkClaimOnServer(ctx, tx, c); err != nil {
			return err
		}
		if err := tx.AuthServers().CreateClaim(ctx, c); err != nil {
			return err
		}
		return s.record(ctx, tx, sc, "oauth2.as.claim.created", "Create OAuth 2.0 claim", claimTarget(c))
	})
}

// UpdateClaim replaces a claim; a system claim keeps its name, type and value.
func (s *Service) UpdateClaim(ctx context.Context, sc Context, serverID string, c *store.Claim) error {
	return s.configChange(ctx, func(tx store.Store) error {
		if _, err := tx.AuthServers().Get(ctx, serverID); errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(serverID, "AuthorizationServer")
		} else if err != nil {
			return err
		}
		old, err := tx.AuthServers().GetClaim(ctx, serverID, c.ID)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(c.ID, "OAuth2Claim")
		}
		if err != nil {
			return err
		}
		if old.System {
			// okta_auth_server_claim_default sends only what it changes (no
			// value for a system claim): what is left out keeps its
			// computed value.
			keep := func(v *string, was string) {
				if *v == "" {
					*v = was
				}
			}
			keep(&c.Name, old.Name)
			keep(&c.ClaimType, old.ClaimType)
			keep(&c.ValueType, old.ValueType)
			keep(&c.Value, old.Value)
			keep(&c.Status, old.Status)
		}
		if old.System && (c.Name != old.Name || c.ClaimType != old.ClaimType || c.ValueType != old.ValueType || c.Value != old.Value) {
			return oktaerr.Validation("name", "name: The name, claim type and value of a system claim cannot be changed.")
		}
		c.System, c.ServerID, c.Created, c.LastUpdated = old.System, serverID, old.Created, s.now()
		if err := ValidateClaim(c); err != nil {
			return err
		}
		if err := checkClaimOnServer(ctx, tx, c); err != nil {
			return err
		}
		if err := tx.AuthServers().UpdateClaim(ctx, c); err != nil {
			return err
		}
		return s.record(ctx, tx, sc, "oauth2.as.claim.updated", "Update OAuth 2.0 claim", claimTarget(c))
	})
}

// DeleteClaim removes a custom claim; system claims stay.
func (s *Service) DeleteClaim(ctx context.Context, sc Context, serverID, id string) error {
	return s.configChange(ctx, func(tx store.Store) error {
		if _, err := tx.AuthServers().Get(ctx, serverID); errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(serverID, "AuthorizationServer")
		} else if err != nil {
			return err
		}
		c, err := tx.AuthServers().GetClaim(ctx, serverID, id)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(id, "OAuth2Claim")
		}
		if err != nil {
			return err
		}
		if c.System {
			return oktaerr.Forbidden("name: System claims cannot be deleted.")
		}
		if err := tx.AuthServers().DeleteClaim(ctx, serverID, id); err != nil {
			return err
		}
		return s.record(ctx, tx, sc, "oauth2.as.claim.deleted", "Delete OAuth 2.0 claim", claimTarget(c))
	})
}
