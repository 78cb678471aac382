package sqlstore

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
	"unsafe"
)

// Times are stored as unix milliseconds so that both databases compare and
// index them as plain integers; the zero time is 0 so "unset" survives the
// trip.

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// msTime scans a BIGINT unix-millisecond column into a time.Time.
type msTime struct{ t *time.Time }

func (m msTime) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*m.t = fromMS(v)
	case nil:
		*m.t = time.Time{}
	default:
		return fmt.Errorf("time column: unexpected %T", src)
	}
	return nil
}

// jsonDoc stores any JSON-encodable value as TEXT and scans it back into the
// value v points at.
type jsonDoc struct{ v any }

func (j jsonDoc) Value() (driver.Value, error) {
	b, err := json.Marshal(j.v)
	if err != nil {
		return nil, fmt.Errorf("encode json column: %w", err)
	}
	return string(b), nil
}

func (j jsonDoc) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		// A view of the string, not a copy: json.Unmarshal only reads its
		// input, and the values it decodes (strings, json.RawMessage) are
		// copies. TEXT columns arrive as strings, so every app's documents
		// were copied once more on each configuration snapshot build.
		b = unsafe.Slice(unsafe.StringData(v), len(v))
	case []byte:
		b = v
	case nil:
		return nil
	default:
		return fmt.Errorf("json column: unexpected %T", src)
	}
	if err := json.Unmarshal(b, j.v); err != nil {
		return fmt.Errorf("decode json column: %w", err)
	}
	return nil
}

// blob stores an empty byte slice as NULL, so that nil and empty read back
// alike (as nil) on both databases.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// bytesCol scans BLOB/BYTEA; NULL and empty both become nil.
type bytesCol struct{ b *[]byte }

func (c bytesCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.b = nil
	case []byte:
		if len(v) == 0 {
			*c.b = nil
		} else {
			*c.b = append([]byte(nil), v...)
		}
	case string:
		if v == "" {
			*c.b = nil
		} else {
			*c.b = []byte(v)
		}
	default:
		return fmt.Errorf("bytes column: unexpected %T", src)
	}
	return nil
}
