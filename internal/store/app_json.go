package store

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// The documents below round-trip members Sesame does not interpret: they are
// decoded into Extra (or JWK) and merged back when encoding, so that a client
// reading back what it wrote finds everything it sent.

func (s AppSettings) MarshalJSON() ([]byte, error) {
	type plain AppSettings
	return mergeExtra(plain(s), s.Extra)
}

// UnmarshalJSON replaces s with the document, as json.Unmarshal replaces a
// struct without one: decoded into s itself, cleared first, rather than into
// a copy (which the snapshot build would allocate for every app).
func (s *AppSettings) UnmarshalJSON(b []byte) error {
	type plain AppSettings
	*s = AppSettings{}
	extra, err := splitExtra(b, (*plain)(s), "oauthClient")
	if err != nil {
		return err
	}
	s.Extra = extra
	return nil
}

// oauthClientNames are the members OAuthClientSettings interprets.
var oauthClientNames = jsonNames(OAuthClientSettings{})

func (s OAuthClientSettings) MarshalJSON() ([]byte, error) {
	type plain OAuthClientSettings
	return mergeExtra(plain(s), s.Extra)
}

func (s *OAuthClientSettings) UnmarshalJSON(b []byte) error {
	type plain OAuthClientSettings
	*s = OAuthClientSettings{}
	extra, err := splitExtra(b, (*plain)(s), oauthClientNames...)
	if err != nil {
		return err
	}
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
//
// The members are found by walking b once more rather than by decoding it
// a second time into a map: b has just been accepted by json.Unmarshal, so
// it is valid, and only the unknown members (usually none) are copied. The
// configuration snapshot decodes every app's settings this way on each
// build, and the map doubled what the build allocated (bench/README.md,
// "Idle memory with 10,000 apps").
func splitExtra(b []byte, v any, known ...string) (map[string]json.RawMessage, error) {
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	var err error
	eachMember(b, func(name, value []byte) bool {
		key, ok := memberName(name)
		if !ok {
			// Escapes or invalid UTF-8: unquote as encoding/json does.
			if err = json.Unmarshal(name, &key); err != nil {
				return false
			}
		}
		for _, k := range known {
			if strings.EqualFold(key, k) {
				return true
			}
		}
		if m == nil {
			m = map[string]json.RawMessage{}
		}
		m[key] = append(json.RawMessage(nil), value...)
		return true
	})
	if err != nil || len(m) == 0 {
		return nil, err
	}
	return m, nil
}

// memberName is the name of a quoted member name that needs no unquoting.
func memberName(quoted []byte) (string, bool) {
	n := quoted[1 : len(quoted)-1]
	for _, c := range n {
		if c == '\\' || c >= utf8.RuneSelf {
			return "", false
		}
	}
	return string(n), true
}

// eachMember calls f with each member of the object b, its quoted name and
// its value as written, until f returns false. b must be valid JSON; when
// it is not an object (null) there are no members.
func eachMember(b []byte, f func(name, value []byte) bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i++
	for {
		if i = skipSpace(b, i); i >= len(b) {
			return
		}
		switch b[i] {
		case '}':
			return
		case ',':
			i = skipSpace(b, i+1)
		}
		start := i
		i = skipString(b, i)
		name := b[start:i]
		i = skipSpace(b, skipSpace(b, i)+1) // the colon
		if i >= len(b) {
			return
		}
		start = i
		i = skipValue(b, i)
		if !f(name, b[start:i]) {
			return
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// skipValue returns the index after the value that starts at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(b) && !strings.ContainsRune(",}] \t\n\r", rune(b[i])) {
		i++
	}
	return i
}
