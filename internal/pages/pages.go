// Package pages renders Sesame's HTML pages (sign-in, consent, messages and
// the pages that hand an authorization response to an app) with the
// security headers every one of them needs. Pages use no third-party
// assets and no script except the inline one of a response page, allowed by
// a per-response nonce.
package pages

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/sesame-idp/sesame/internal/secret"
)

//go:embed templates/*.html
var fs embed.FS

var tmpl = template.Must(template.ParseFS(fs, "templates/*.html"))

// Common is what every page shows.
type Common struct {
	Title   string
	OrgName string
}

// Login is the hosted sign-in page; Forgot offers "Forgot password?".
type Login struct {
	Common
	CSRF, FromURI, Username, Error string
	Forgot                         bool
}

// Forgot is the "Forgot password?" page: the form, or (Sent) the answer
// given whether or not the username exists.
type Forgot struct {
	Common
	CSRF, Username, Error string
	Available, Sent       bool
}

// Message is an information or error page.
type Message struct {
	Common
	Error   string
	Lines   []string
	SignOut bool
	CSRF    string
}

// Consent asks a user to grant scopes to an app.
type Consent struct {
	Common
	ClientName, Login, CSRF, Action, Request string
	Scopes                                   []ConsentScope
}

// Device is the device-activation page (RFC 8628 verification URI).
type Device struct {
	Common
	CSRF, UserCode, ClientName, Login, Error, Done string
	Scopes                                         []string
}

// SetPassword is the page of an activation or password-reset link, where
// a person chooses a password under the rules shown.
type SetPassword struct {
	Common
	CSRF, Action, Login, Error string
	Rules                      []string
}

// Factor is the sign-in's second step: enter a code of an enrolled
// factor (State MFA_REQUIRED), start enrolling one (MFA_ENROLL), or
// finish an enrolment with the QR code and a first code
// (MFA_ENROLL_ACTIVATE).
type Factor struct {
	Common
	CSRF, StateToken, State, Login, Error string
	Factors                               []FactorChoice
	// Enrolment: the QR code as a PNG data URL, and the secret to type in.
	QRCode       template.URL
	SharedSecret string
	FactorID     string
	// Remember offers "remember this device"; RememberChecked is its
	// initial state (off unless the policy says otherwise).
	Remember, RememberChecked bool
	RememberMinutes           int
	// WebAuthn: HasWebAuthn offers the passkey on the verify step;
	// WebAuthnMode ("create" or "get") and WebAuthnOptions (JSON for
	// navigator.credentials) run a ceremony, whose script needs Nonce.
	HasWebAuthn                   bool
	WebAuthnMode, WebAuthnOptions string
	Nonce                         string
}

// Recovery shows a new set of recovery codes once, then goes on.
type Recovery struct {
	Common
	Login    string
	Codes    []string
	Continue string // a path on this server; empty: the sign-in is done
}

// FactorChoice is one enrolled factor the person may use.
type FactorChoice struct {
	ID, Label string
	Checked   bool
}

// Settings is a signed-in person's own page (/enduser/settings).
type Settings struct {
	Common
	CSRF, Login, Email, Notice, Error string
	Causes                            []string
	Fields                            []SettingsField
	Rules                             []string
}

// SettingsField is a profile attribute the person may edit.
type SettingsField struct{ Name, Label, Autocomplete, Value string }

// ConsentScope is one scope on the consent page.
type ConsentScope struct {
	Name, Label, Description string
	Optional                 bool
}

// Field is a hidden form field.
type Field struct{ Name, Value string }

const basePolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'"

// SetHeaders sets the headers every HTML page of Sesame carries: its CSP,
// no caching, no referrer, no sniffing, and no framing when the CSP forbids
// it. The admin console, which renders its own templates, uses it too.
func SetHeaders(w http.ResponseWriter, csp string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	if strings.Contains(csp, "frame-ancestors 'none'") {
		h.Set("X-Frame-Options", "DENY")
	}
}

func render(w http.ResponseWriter, log *slog.Logger, status int, name, csp string, data any) {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		log.Error("rendering page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	SetHeaders(w, csp)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// Render writes one of the ordinary pages (Login, Message, Consent): forms
// post only to this server and no one may frame them.
func Render(w http.ResponseWriter, log *slog.Logger, status int, data any) {
	name := ""
	switch data.(type) {
	case *Login:
		name = "login.html"
	case *Message:
		name = "message.html"
	case *Consent:
		name = "consent.html"
	case *Device:
		name = "device.html"
	case *SetPassword:
		name = "setpassword.html"
	case *Forgot:
		name = "forgot.html"
	case *Factor:
		name = "factor.html"
	case *Recovery:
		name = "recovery.html"
	case *Settings:
		name = "settings.html"
	default:
		panic("pages: unknown page type")
	}
	// The sign-in and consent forms post here, and the answer redirects on
	// to the app on another origin; browsers hold such redirects to
	// form-action, so those two pages leave it open. Their only forms are
	// the ones rendered here from escaped values.
	policy := basePolicy + "; form-action 'self'; frame-ancestors 'none'"
	if name == "login.html" || name == "consent.html" || name == "device.html" || name == "factor.html" {
		policy = basePolicy + "; frame-ancestors 'none'"
	}
	if f, ok := data.(*Factor); ok && f.WebAuthnMode != "" {
		f.Nonce = secret.RandomString(22)
		policy += "; script-src 'nonce-" + f.Nonce + "'"
	}
	render(w, log, status, name, policy, data)
}

// FormPost writes the form_post response page: a form that submits itself
// to the app's redirect URI.
func FormPost(w http.ResponseWriter, log *slog.Logger, action string, fields []Field) {
	nonce := secret.RandomString(22)
	render(w, log, http.StatusOK, "form_post.html",
		basePolicy+"; script-src 'nonce-"+nonce+"'; form-action "+cspSource(action)+"; frame-ancestors 'none'",
		struct {
			Action string
			Fields []Field
			Nonce  string
		}{action, fields, nonce})
}

// PostMessage writes the okta_post_message response page: served from the
// issuer's origin, it posts data to the window that opened or framed it,
// and only to targetOrigin (the redirect URI's origin). Only that origin,
// and the extra ones given (trusted IFRAME_EMBED origins), may frame it.
func PostMessage(w http.ResponseWriter, log *slog.Logger, targetOrigin string, data map[string]string, frameOrigins []string) {
	nonce := secret.RandomString(22)
	ancestors := []string{cspSource(targetOrigin)}
	for _, o := range frameOrigins {
		ancestors = append(ancestors, cspSource(o))
	}
	render(w, log, http.StatusOK, "post_message.html",
		basePolicy+"; script-src 'nonce-"+nonce+"'; form-action 'none'; frame-ancestors "+strings.Join(ancestors, " "),
		struct {
			Data         map[string]string
			TargetOrigin string
			Nonce        string
		}{data, targetOrigin, nonce})
}

// cspSource quotes nothing and strips what a CSP source may not contain; an
// origin or URL is already a valid host-source once ';' and ',' and spaces
// are gone.
func cspSource(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ';' || r == ',' || r == ' ' || r == '\'' || r < 0x21 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}
