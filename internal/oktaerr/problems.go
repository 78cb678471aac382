package oktaerr

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem is one thing wrong with a request or a record: the member as Okta
// names it, and what is wrong with it in Okta's words.
type Problem struct{ Field, Text string }

// Problems collects every problem found, so that one answer tells the
// client everything to fix. The service's validation and the management
// API's decoding add to the same list; Err turns it into E0000001.
type Problems []Problem

// Blank is Okta's text for a required member that is missing or empty.
const Blank = "The field cannot be left blank"

// Add records a problem with field.
func (p *Problems) Add(field, format string, args ...any) {
	*p = append(*p, Problem{field, fmt.Sprintf(format, args...)})
}

// Has reports whether a problem with field was recorded.
func (p Problems) Has(field string) bool {
	return slices.ContainsFunc(p, func(x Problem) bool { return x.Field == field })
}

// Texts are the problems as Okta's causes: "field: text".
func (p Problems) Texts() []string {
	out := make([]string, len(p))
	for i, x := range p {
		out[i] = x.Field + ": " + x.Text
	}
	return out
}

// Err is nil without problems, else E0000001 named after the first field,
// with every problem as a cause.
func (p Problems) Err() *Error {
	if len(p) == 0 {
		return nil
	}
	return Validation(p[0].Field, p.Texts()...)
}

// Enum records a blank or unknown value the way Okta words it, and reports
// whether the value is valid.
func (p *Problems) Enum(field, v string, valid ...string) bool {
	if slices.Contains(valid, v) {
		return true
	}
	if v == "" {
		p.Add(field, Blank)
		return false
	}
	leaf := field[strings.LastIndexByte(field, '.')+1:]
	p.Add(field, "'%s' is invalid. Valid values: [%s].", leaf, strings.Join(valid, ", "))
	return false
}

// maxShownRune bounds a client-supplied value echoed in a cause.
const maxShownRune = 100

// Show makes a client-supplied value safe and short enough to quote in a
// cause: control characters become '?', and long values are cut.
func Show(v string) string {
	v = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, v)
	if utf8.RuneCountInString(v) > maxShownRune {
		v = string([]rune(v)[:maxShownRune]) + "…"
	}
	return v
}
