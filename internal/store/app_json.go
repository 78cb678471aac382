package store

import (
	"encoding/json"
	"strings"
)

// The documents below round-trip members Sesame does not interpret: they are
// decoded into Extra (or JWK) and merged back when encoding, so that a client
// reading back what it wrote finds everything it sent.

func (s AppSettings) MarshalJSON() ([]byte, error) {
	type plain AppSettings
	return mergeExtra(plain(s), s.Extra)
}

func (s *AppSettings) UnmarshalJSON(b []byte) error {
	type plain AppSettings
	var p plain
	extra, err := splitExtra(b, &p, "oauthClient")
	if err != nil {
		return err
	}
	*s = AppSettings(p)
	s.Extra = extra
	return nil
}

func (s OAuthClientSettings) MarshalJSON() ([]byte, error) {
	type plain OAuthClientSettings
	return mergeExtra(plain(s), s.Extra)
}

func (s *OAuthClientSettings) UnmarshalJSON(b []byte) error {
	type plain OAuthClientSettings
	var p plain
	extra, err := splitExtra(b, &p, jsonNames(p)...)
	if err != nil {
		return err
	}
	*s = OAuthClientSettings(p)
	s.Extra = extra
	return nil
}

// MarshalJSON writes the key members followed by the bookkeeping members.
func (k AppJWK) MarshalJSON() ([]byte, error) {
	type plain AppJWK
	var members map[string]json.RawMessage
	if len(k.JWK) > 0 {
		if err := json.Unmarshal(k.JWK, &members); err != nil {
			return nil, err
		}
	}
	return mergeExtra(plain(k), members)
}

func (k *AppJWK) UnmarshalJSON(b []byte) error {
	type plain AppJWK
	var p plain
	rest, err := splitExtra(b, &p, "id", "status", "created", "lastUpdated")
	if err != nil {
		return err
	}
	*k = AppJWK(p)
	k.JWK = nil
	if len(rest) > 0 {
		if k.JWK, err = json.Marshal(rest); err != nil {
			return err
		}
	}
	return nil
}

// mergeExtra encodes v and adds the members of extra that v does not have.
func mergeExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, val := range extra {
		if _, ok := m[k]; !ok {
			m[k] = val
		}
	}
	return json.Marshal(m)
}

// splitExtra decodes b into v and returns the members whose names are not in
// known. encoding/json matches member names without regard to case, so a
// member that differs from a known one only in case was decoded into v (or
// overridden by the exact one): it is dropped, never kept as extra, lest it
// come back on the next read and replace the value that was validated.
func splitExtra(b []byte, v any, known ...string) (map[string]json.RawMessage, error) {
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for name := range m {
		for _, k := range known {
			if strings.EqualFold(name, k) {
				delete(m, name)
				break
			}
		}
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}
