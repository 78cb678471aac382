// Package jsonenc appends JSON values without reflection, byte for byte as
// encoding/json writes them, for the answers and claims written on every
// token request.
package jsonenc

import (
	"encoding/json"
	"strconv"
)

// String appends s as a JSON string, escaped exactly as json.Marshal
// escapes it (including its HTML escaping of <, > and &).
func String(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			// Rare in what is written here (ids, URLs, scope names):
			// encoding/json has the rules for the rest.
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Strings appends a JSON array of strings; nil is null, as json.Marshal
// writes a nil slice.
func Strings(b []byte, list []string) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = String(b, s)
	}
	return append(b, ']')
}

// Member appends ,"name": (or "name": first in an object) and the string v.
func Member(b []byte, name, v string) []byte {
	return String(key(b, name), v)
}

// Int appends a member with an integer value.
func Int(b []byte, name string, v int64) []byte {
	return strconv.AppendInt(key(b, name), v, 10)
}

// Key appends the member name and colon, after a comma unless the object
// has just been opened.
func Key(b []byte, name string) []byte { return key(b, name) }

func key(b []byte, name string) []byte {
	if len(b) > 0 && b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = String(b, name)
	return append(b, ':')
}
