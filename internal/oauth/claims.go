package oauth

import (
	"slices"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/expr"
)

// resourceClaims evaluates a custom server's RESOURCE claims for a token
// issued to a client on its own behalf (§4.4): there is no user, so user.*
// and appuser are null and GROUPS claims give nothing. A claim whose
// expression fails is left out and logged; the token is still issued.
//
// Expressions are parsed on each mint: a parse is a few microseconds for the
// at most 1024 bytes a value may have, far below the RSA signature.
func (s *Server) resourceClaims(snap *cache.Snapshot, srv *cache.Server, app *cache.App, granted []string) map[string]any {
	var out map[string]any
	env := expr.Env{App: &expr.App{ID: app.ID, ClientID: app.ClientID, Label: app.Label, Profile: app.Profile}}
	if snap != nil && snap.Org != nil {
		env.Org = expr.Org{ID: snap.Org.ID, Name: snap.Org.Name}
	}
	for _, c := range srv.Claims {
		// System claims (sub) are computed by the token code itself.
		if c.System || c.Status != "ACTIVE" || c.ClaimType != "RESOURCE" || c.ValueType != "EXPRESSION" {
			continue
		}
		if len(c.ConditionScopes) > 0 && !slices.ContainsFunc(c.ConditionScopes, func(sc string) bool { return slices.Contains(granted, sc) }) {
			continue
		}
		e, err := expr.Parse(c.Value)
		if err != nil {
			s.log.Warn("claim expression does not parse; claim left out", "server", srv.ID, "claim", c.ID, "err", err)
			continue
		}
		v, err := e.Eval(env)
		if err != nil {
			s.log.Warn("claim expression failed; claim left out", "server", srv.ID, "claim", c.ID, "err", err)
			continue
		}
		if v == nil {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[c.Name] = v
	}
	return out
}
