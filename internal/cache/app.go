package cache

import (
	"encoding/binary"
	"log/slog"
	"strings"
	"unsafe"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// App is what the token, authorize, logout and userinfo paths read of an
// application. It is copied out of the decoded store.App rather than
// pointing into it: an org may have tens of thousands of apps, and the
// decoded records (every settings member, secrets' bookkeeping, the
// decoder's own allocations) would otherwise stay resident, scattered
// among the build's garbage so that the runtime cannot return the pages.
//
// Like the rest of the snapshot it is never modified; its strings and
// slices may be shared with other apps of the same snapshot.
type App struct {
	ID       string
	ClientID string
	Label    string
	Status   string

	// From settings.oauthClient.
	ApplicationType        string
	GrantTypes             []string
	ResponseTypes          []string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	JWKSURI                string
	IssuerMode             string
	ConsentMethod          string
	RefreshToken           *store.RefreshTokenSettings // nil when not set

	// PKCERequired is credentials.oauthClient.pkce_required.
	PKCERequired bool
	// Profile is the app's profile for expressions (app.profile); nil
	// when the record has none.
	Profile     map[string]any
	GroupsClaim *store.AppGroupsClaim

	// Keys are the client's public keys from settings.oauthClient.jwks.
	Keys []ClientKey
	// OrgScopes are the Okta API scopes granted for the org authorization
	// server; nil when none are.
	OrgScopes map[string]bool
	// Secrets are the clear active client secrets, kept only for
	// client_secret_jwt, whose HMAC key is the secret itself.
	Secrets [][]byte

	authMethod   string
	secretHashes [][]byte // of the active secrets
}

// ClientAuthMethod is how the app authenticates at the token endpoint (see
// store.App.ClientAuthMethod).
func (a *App) ClientAuthMethod() string { return a.authMethod }

// SecretMatches reports whether clear is one of the app's active client
// secrets, as store.App.SecretMatches does.
func (a *App) SecretMatches(clear string) bool { return secret.MatchesAny(clear, a.secretHashes) }

// emptyProfile stands for every profile stored as {}: most apps have one,
// and expressions tell it from none (app.profile is {} or null).
var emptyProfile = map[string]any{}

// Chunk sizes of appPacker: large enough that each chunk is a span of its
// own (over 32 KB), small enough that a small org wastes little.
const (
	textChunk  = 64 << 10
	listChunk  = 4 << 10 // strings: 64 KB
	bytesChunk = 4 << 10 // byte slices: 96 KB
)

// appPacker copies the decoded apps of one build into few, large
// allocations made after decoding, so that what the snapshot keeps lies
// densely in spans of its own and the decoded records become wholly
// garbage. Strings and lists with few distinct values (status, methods,
// grant and response types, scope names) are shared across the build's
// apps. Nothing is ever written to a chunk where a string or slice views
// it, and every slice it returns is capped at its length, so an append
// copies rather than writing into a neighbour's elements.
type appPacker struct {
	sealer *keys.Sealer
	log    *slog.Logger

	text   []byte
	lists  []string
	hashes [][]byte

	shared      map[string]string
	sharedLists map[string][]string
	refresh     map[store.RefreshTokenSettings]*store.RefreshTokenSettings
	key         []byte
}

func newAppPacker(sealer *keys.Sealer, log *slog.Logger) *appPacker {
	return &appPacker{sealer: sealer, log: log, shared: map[string]string{}, sharedLists: map[string][]string{},
		refresh: map[store.RefreshTokenSettings]*store.RefreshTokenSettings{}}
}

// pack fills ca from a.
func (p *appPacker) pack(ca *App, a *store.App) {
	o := &a.Settings.OAuthClient
	ca.ID = p.str(a.ID)
	ca.ClientID = ca.ID
	if a.ClientID != a.ID {
		ca.ClientID = p.str(a.ClientID)
	}
	ca.Label = p.str(a.Label)
	ca.Status = p.common(a.Status)
	ca.authMethod = p.common(a.ClientAuthMethod())
	ca.PKCERequired = a.Credentials.OAuthClient.PKCERequired

	ca.ApplicationType = p.common(o.ApplicationType)
	ca.GrantTypes = p.commonList(o.GrantTypes)
	ca.ResponseTypes = p.commonList(o.ResponseTypes)
	ca.RedirectURIs = p.strs(o.RedirectURIs)
	ca.PostLogoutRedirectURIs = p.strs(o.PostLogoutRedirectURIs)
	ca.JWKSURI = p.str(o.JWKSURI)
	ca.IssuerMode = p.common(o.IssuerMode)
	ca.ConsentMethod = p.common(o.ConsentMethod)
	if rt := o.RefreshToken; rt != nil {
		v := *rt
		v.RotationType = p.common(v.RotationType)
		if p.refresh[v] == nil {
			p.refresh[v] = &v
		}
		ca.RefreshToken = p.refresh[v]
	}

	switch {
	case a.Profile != nil && len(a.Profile) == 0:
		ca.Profile = emptyProfile
	default:
		// Few apps have a profile; its decoded values are kept as they are.
		ca.Profile = a.Profile
	}
	if gc := a.GroupsClaim; gc != nil {
		v := *gc
		v.Name, v.ValueType, v.Value, v.GroupFilterType = p.str(v.Name), p.common(v.ValueType), p.str(v.Value), p.common(v.GroupFilterType)
		ca.GroupsClaim = &v
	}

	ca.Keys = clientKeys(a, p.log)
	active := a.ActiveSecrets()
	if len(active) == 0 {
		return
	}
	if cap(p.hashes)-len(p.hashes) < len(active) {
		p.hashes = make([][]byte, 0, max(bytesChunk, len(active)))
	}
	start := len(p.hashes)
	for _, s := range active {
		p.hashes = append(p.hashes, p.bytes(s.Hash))
		if len(s.Sealed) == 0 {
			continue
		}
		sec, err := p.sealer.Open(s.Sealed, []byte(a.ID))
		if err != nil {
			p.log.Error("cannot open client secret; client_secret_jwt will fail with it", "app", a.ID, "secret", s.ID, "err", err)
			continue
		}
		ca.Secrets = append(ca.Secrets, sec)
	}
	end := len(p.hashes)
	ca.secretHashes = p.hashes[start:end:end]
}

// grant records an active Okta API scope granted to ca.
func (p *appPacker) grant(ca *App, scope string) {
	if ca.OrgScopes == nil {
		ca.OrgScopes = map[string]bool{}
	}
	ca.OrgScopes[p.common(scope)] = true
}

// origin is the key of a redirect URI's origin (lower case): most often
// the start of the URI itself, which the snapshot already keeps.
func (p *appPacker) origin(uri, origin string) string {
	if strings.HasPrefix(uri, origin) {
		return uri[:len(origin)]
	}
	return p.str(origin)
}

// str copies s into the current text chunk.
func (p *appPacker) str(s string) string {
	if s == "" {
		return ""
	}
	b := p.take(len(s))
	copy(b, s)
	return unsafe.String(&b[0], len(b))
}

// bytes copies b into the current text chunk.
func (p *appPacker) bytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	out := p.take(len(b))
	copy(out, b)
	return out
}

// take reserves n bytes of the text chunk, capped at n.
func (p *appPacker) take(n int) []byte {
	if cap(p.text)-len(p.text) < n {
		p.text = make([]byte, 0, max(textChunk, n))
	}
	start := len(p.text)
	p.text = p.text[:start+n]
	return p.text[start : start+n : start+n]
}

// strs copies a list of strings (and their text) into the current chunks,
// nil staying nil.
func (p *appPacker) strs(l []string) []string {
	if l == nil {
		return nil
	}
	if len(l) == 0 {
		return []string{}
	}
	if cap(p.lists)-len(p.lists) < len(l) {
		p.lists = make([]string, 0, max(listChunk, len(l)))
	}
	start := len(p.lists)
	for _, s := range l {
		p.lists = append(p.lists, p.str(s))
	}
	end := len(p.lists)
	return p.lists[start:end:end]
}

// common returns the build's one copy of s.
func (p *appPacker) common(s string) string {
	if c, ok := p.shared[s]; ok {
		return c
	}
	c := p.str(s)
	p.shared[c] = c
	return c
}

// commonList returns the build's one copy of a list of common strings.
func (p *appPacker) commonList(l []string) []string {
	if len(l) == 0 {
		return p.strs(l)
	}
	p.key = p.key[:0]
	for _, s := range l {
		p.key = binary.AppendUvarint(p.key, uint64(len(s)))
		p.key = append(p.key, s...)
	}
	if c, ok := p.sharedLists[string(p.key)]; ok {
		return c
	}
	c := make([]string, len(l))
	for i, s := range l {
		c[i] = p.common(s)
	}
	p.sharedLists[string(p.key)] = c
	return c
}
