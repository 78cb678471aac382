package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/keys"
)

const (
	jwksTTL          = 5 * time.Minute
	jwksMinRefetch   = 30 * time.Second
	jwksMaxBytes     = 256 << 10
	jwksFetchTimeout = 5 * time.Second
)

// jwksFetcher fetches and caches clients' jwks_uri documents. An unknown kid
// triggers a refetch (the client may have rotated), at most once per
// jwksMinRefetch so that bad assertions cannot make Sesame hammer the URI.
type jwksFetcher struct {
	client *http.Client
	mu     sync.Mutex
	byURI  map[string]*jwksEntry
}

type jwksEntry struct {
	keys    []cache.ClientKey
	fetched time.Time
}

func newJWKSFetcher(c *http.Client) *jwksFetcher {
	if c == nil {
		c = &http.Client{Timeout: jwksFetchTimeout}
	}
	return &jwksFetcher{client: c, byURI: map[string]*jwksEntry{}}
}

func (f *jwksFetcher) get(ctx context.Context, uri, kid string) ([]cache.ClientKey, error) {
	f.mu.Lock()
	e := f.byURI[uri]
	f.mu.Unlock()
	now := time.Now()
	if e != nil {
		fresh := now.Sub(e.fetched) < jwksTTL
		if fresh && (kid == "" || hasKID(e.keys, kid) || now.Sub(e.fetched) < jwksMinRefetch) {
			return e.keys, nil
		}
	}
	ks, err := f.fetch(ctx, uri)
	if err != nil {
		if e != nil && now.Sub(e.fetched) < jwksTTL {
			return e.keys, nil
		}
		return nil, err
	}
	f.mu.Lock()
	// The uri is a view into a configuration snapshot's packed text
	// (cache.appPacker); as a key of this long-lived map it would keep that
	// whole chunk alive after the snapshot is replaced.
	f.byURI[strings.Clone(uri)] = &jwksEntry{keys: ks, fetched: now}
	f.mu.Unlock()
	return ks, nil
}

func (f *jwksFetcher) fetch(ctx context.Context, uri string) ([]cache.ClientKey, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks_uri answered %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("jwks_uri document: %w", err)
	}
	var out []cache.ClientKey
	for _, raw := range doc.Keys {
		pub, info, err := keys.ParseJWK(raw)
		if err != nil {
			continue
		}
		out = append(out, cache.ClientKey{KID: info.KID, Alg: info.Alg, Use: info.Use, Key: pub})
	}
	return out, nil
}

func hasKID(ks []cache.ClientKey, kid string) bool {
	for _, k := range ks {
		if k.KID == kid {
			return true
		}
	}
	return false
}
