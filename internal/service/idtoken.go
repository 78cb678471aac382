package service

import (
	"context"
	"time"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

// IDTokenSettings are an app's ID-token settings: the issuer mode (the same
// setting as settings.oauthClient.issuer_mode) and its groups claim.
type IDTokenSettings struct {
	IssuerMode      string
	ValueType       string
	Name            string
	Value           string
	GroupFilterType string
}

// SetIDTokenSettings sets the app's issuer mode and its groups claim; an
// input without a claim name, type or value removes the claim, as the
// Terraform provider sends when none is set. Values are stored as sent: an
// EXPRESSION is evaluated when a token is made, as Okta does. The API's
// internal idToken endpoint and the console's Sign On tab both call it.
func (s *Service) SetIDTokenSettings(ctx context.Context, c Context, appID string, in IDTokenSettings) (*store.App, error) {
	var cl oktaerr.Problems
	if in.IssuerMode != "" {
		cl.Enum("issuerMode", in.IssuerMode, IssuerOrgURL, IssuerCustomURL, IssuerDynamic)
	}
	var claim *store.AppGroupsClaim
	if in.Name != "" || in.ValueType != "" || in.Value != "" {
		claim = &store.AppGroupsClaim{Name: in.Name, ValueType: in.ValueType, Value: in.Value, GroupFilterType: in.GroupFilterType}
		if in.Name == "" {
			cl.Add("name", oktaerr.Blank)
		} else if len(in.Name) > 100 {
			cl.Add("name", "The value must be at most 100 characters long.")
		}
		if in.Value == "" {
			cl.Add("value", oktaerr.Blank)
		} else if len(in.Value) > 1024 {
			cl.Add("value", "The value must be at most 1024 characters long.")
		}
		if cl.Enum("valueType", in.ValueType, "GROUPS", "EXPRESSION") {
			if in.ValueType == "GROUPS" {
				cl.Enum("groupFilterType", in.GroupFilterType, "STARTS_WITH", "EQUALS", "CONTAINS", "REGEX")
			} else if in.GroupFilterType != "" {
				cl.Add("groupFilterType", "The field is allowed only when valueType is 'GROUPS'.")
			}
		}
	}
	if len(cl) > 0 {
		return nil, cl.Err()
	}
	return s.ModifyApp(ctx, c, appID, "application.lifecycle.update", "Update ID token settings",
		func(a *store.App, now time.Time) error {
			if in.IssuerMode != "" {
				a.Settings.OAuthClient.IssuerMode = in.IssuerMode
			}
			a.GroupsClaim = claim
			return nil
		})
}
